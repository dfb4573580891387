"""Procedure pages of a large catalogue, rendered by one process per core.

The catalogue is handed to the workers through fork (module state set before the pool starts),
so only procedure codes cross the pipe; other per-procedure work of the build (search record,
open data) rides along in the same workers (`also`).
"""

import os
import sys
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateError

from buildlib import paths
from buildlib.background import can_fork

from .links import check_links
from .pagedata import SiteData, environment
from .precompress import write_with_copy
from .procedure import procedure_pages
from .shell import Shell

PARALLEL_FROM = 300  # procedures; below this, starting workers costs more than it saves
CHUNK = 250

_job: dict[str, Any] = {}


Later = dict[str, tuple[int, list[str]]]  # target -> (links to it, the first one's message)


def _render_chunk(codes: list[str]) -> tuple[int, list[str], dict[str, Any], Later]:
    env, shell, site = _job["env"], _job["shell"], _job["site"]
    out, exists, also = _job["out"], _job["exists"], _job["also"]
    written, problems, extras = 0, [], {}
    later: Later = {}
    pending: list[tuple[str, str]] = []
    frames = _Frames(shell)
    for code in codes:
        if also is not None:
            extras[code] = also(code, _job["procedures"][code])
        try:
            pages = procedure_pages(code, _job["procedures"][code], env, shell, site)
        except TemplateError as error:
            problems.append(f"{_job['files'].get(code, code)}: {_where(error)}")
            continue
        own = {p[: -len("index.html")] for p, _ in pages}  # the pages link to each other

        def known(url: str, own: set[str] = own) -> bool:
            return url in own or exists(url)

        for path, html in pages:
            problems.extend(check_links(path, frames.strip(path, html), known, pending))
            target = os.path.join(out, path)  # as text: pathlib's parsing was ~3% of a worker
            _folder(os.path.dirname(target))
            write_with_copy(target, html, copy_only=True)  # only gzipped, here in parallel
            written += 1
        for link, message in pending:  # counted, and the first link of a chunk kept
            count, messages = later.get(link, (0, [message]))
            later[link] = (count + 1, messages)
        pending.clear()
    return written, problems, extras, later


class _Frames:
    """The links of a page's frame (after </head>: ~40 % of a procedure page, the same at each
    depth) checked once per depth, not in every page."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.pieces: dict[int, list[list[str]]] = {}
        self.checked: set[tuple[int, int]] = set()

    def strip(self, path: str, html: str) -> str:
        """`html` without its frame after </head> (its <head> kept: the page's own feed link),
        once that frame's links were checked in a page at the same depth; else as it is."""
        depth = path.count("/")
        if depth not in self.pieces:
            self.pieces[depth] = self.shell.frames(depth)
        for kind, pieces in enumerate(self.pieces[depth]):
            *body, tail = pieces
            if not html.endswith(tail):
                continue
            kept, at = [], 0
            for piece in body:
                start = html.find(piece, at)
                if start < 0:
                    return html
                kept.append(html[at:start])
                at = start + len(piece)
            if (depth, kind) not in self.checked:
                self.checked.add((depth, kind))  # this page is checked whole
                return html
            kept.append(html[at : len(html) - len(tail)])
            return "".join(kept)
        return html


def _folder(path: str) -> None:
    """os.makedirs(path, exist_ok=True) in one system call when its parent exists (the
    procedure's folder, made by its feed): makedirs' three were ~2 % of a worker."""
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)


def _where(error: TemplateError) -> str:
    """template:line of a rendering error; Jinja2 maps its frames back to template lines."""
    name, line = getattr(error, "filename", None), getattr(error, "lineno", None)
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.endswith(".j2"):
            name, line = frame.filename, frame.lineno
    if name:
        name = os.path.relpath(name, paths.ROOT) if os.path.isabs(name) else name
    return f"mẫu {name or '?'}" + (f":{line}" if line else "") + f": {error}"


def render_procedures(
    codes: Iterable[str],
    procedures: dict[str, list[dict]],
    *,
    shell: Shell,
    site: SiteData,
    out: Path,
    exists: Callable[[str], bool],
    files: dict[str, str],
    workers: int | None = None,
    also: Callable[[str, list[dict]], Any] | None = None,
    env: Environment | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[int, list[str], dict[str, Any], Later]:
    """Render the given procedures into `out`; (pages written, problems, {code: what `also`
    returned}, links to check later). A link to a target `exists` does not know yet is not a
    problem here: the caller checks it once `meanwhile()` has run, from the links to check
    later: {target: (links to it, the message of the first link of each chunk)}. `also(code,
    versions)` runs in the same workers: other per-procedure work of the
    build (its search record, its open data) shares the processes and their copy of the
    catalogue; what it returns comes back through the pipe. `meanwhile()` is other work of the
    build that this process does while the workers render (after them without workers).
    Progress to stderr."""
    codes = sorted(codes)
    _job.update(
        env=env or environment(),
        shell=shell,
        site=site,
        out=out,
        exists=exists,
        procedures=procedures,
        files=files,
        also=also,
    )
    workers = workers if workers is not None else (os.cpu_count() or 1)
    chunks = _chunks(codes, workers)
    written, problems, extras, done = 0, [], {}, 0
    later: Later = {}

    def gather(found: list[str], more: dict[str, Any], unknown: Later) -> None:
        problems.extend(found)
        extras.update(more)
        for target, (count, messages) in unknown.items():
            before, listed = later.get(target, (0, []))
            later[target] = (before + count, listed + messages)

    try:
        if workers > 1 and len(codes) >= PARALLEL_FROM and can_fork():
            import multiprocessing

            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                results = pool.map(_render_chunk, chunks)
                if meanwhile is not None:
                    meanwhile()
                for chunk, (count, found, more, unknown) in zip(chunks, results, strict=True):
                    written, done = written + count, done + len(chunk)
                    gather(found, more, unknown)
                    _progress(done - len(chunk), done, len(codes))
        else:
            for chunk in chunks:
                count, found, more, unknown = _render_chunk(chunk)
                written, done = written + count, done + len(chunk)
                gather(found, more, unknown)
                _progress(done - len(chunk), done, len(codes))
            if meanwhile is not None:
                meanwhile()
    finally:
        _job.clear()
    return written, problems, extras, later


def _chunks(codes: list[str], workers: int) -> list[list[str]]:
    """CHUNK codes a chunk, and the last `workers` chunks' codes in chunks a fifth as long: a
    worker that has no chunk left idles while the others end theirs (~0.8 s of a core for a
    chunk of 250 procedures), so the last ones are short."""
    short = CHUNK // 5
    tail = min(len(codes), workers * CHUNK) if workers > 1 else 0
    head = len(codes) - tail
    chunks = [codes[i : min(i + CHUNK, head)] for i in range(0, head, CHUNK)]
    return chunks + [codes[i : i + short] for i in range(head, len(codes), short)]


def _progress(before: int, done: int, total: int) -> None:
    """Every 2,000 procedures, and at the end."""
    if total >= 1000 and (done // 2000 > before // 2000 or done == total):
        print(f"Đã dựng {done}/{total} trang thủ tục...", file=sys.stderr, flush=True)
