"""`build.py build`: catalogue -> site/, full or incremental.

mkdocs-material builds only the hand-sized pages (home, about, and a hidden shell page); every
procedure, agency and browse page is rendered by our templates into the shell's frame and
written straight into site/. Why: mkdocs with one page per procedure is quadratic (2,000
procedures: 282 s, 7 GB), this is linear (see bench/site_bench.py).

Incremental: build/cache/pages.marshal keeps a hash per procedure (its files' bytes) and one for
everything else a page depends on (other catalogue files, templates, build code, shell). When
only procedures changed, only they are loaded, checked and rendered again (plus the procedures
that name them); browse pages come from cached summaries and are rendered only when their inputs
changed, the search index from cached records (only the shards whose tokens changed are
rewritten), the open data from cached chunks and fragments (opendata.Chunk, Fragment); mkdocs
is skipped when its inputs did not change. Everything is checked before anything is written.

`build_command` reads as its phases: plan (what changed, from hashes; mkdocs builds the frame,
when its inputs changed, in a process of its own from here on) -> load (and check) -> frame
(mkdocs' shell moved into the site, static files) -> pages (procedures in the render workers,
with their links checked; the field and agency feeds and the browse, application and back office
pages are made by this process while the workers render) -> data (search index, open data) ->
save the cache (the gzip copies made meanwhile in a process of their own). A phase that fails
raises a BuildError whose message is what the editor reads.
"""

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Container, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from jinja2 import Environment, TemplateError
from markupsafe import Markup

from buildlib import paths
from buildlib.background import in_background
from buildlib.bundle import catalogue_revision
from buildlib.catalogue import offices
from buildlib.catalogue.crosschecks import run_all
from buildlib.catalogue.load import Catalogue, Document, Stub, discover, load, load_jobs
from buildlib.errors import BuildError, CatalogueError, RenderError
from chalicelib.calendar import WorkingCalendar
from chalicelib.versions import has_ended, shown_index, shown_version, state

from . import application, backoffice, browse, cache, feeds, opendata, search
from . import frame as frames
from .cache import VERSION as CACHE_VERSION
from .links import check_links
from .opendata import Fragment, Published, write_open_data
from .pagedata import SiteData, compact_json, environment
from .parallel import render_procedures
from .precompress import precompress, write_with_copy
from .shell import Shell

if TYPE_CHECKING:  # imported when the statistics page is written (`statistics_page`)
    from . import stats as statistics

THEME = paths.THEME
OUR_DIRS = ("thu-tuc", "co-quan", "duyet", "su-kien", "mau", "thong-ke")
# Written with their gzip copies and removed with them, or nothing to compress (precompress.py).
UNWALKED = ("thu-tuc", "nop-ho-so", "du-lieu-mo/thu-tuc")
# stats.PAGE: stats.py (and through it the API's ratings and dossiers modules, ~0.02 s) is
# imported only when the statistics page is made again, which a rebuild rarely does.
STATISTICS_PAGE = "thong-ke/index.html"
CALENDAR_DAYS = 400


@dataclass
class Plan:
    """What this build does, decided from hashes before anything is read or written."""

    catalogue_dir: Path
    site_dir: Path
    cache_dir: Path
    today: str
    hashes: dict[str, str]  # per procedure code: its files
    per_code: dict[str, list[str]]
    signatures: dict[str, tuple]  # per procedure code: its files' names and stat (cache.scan)
    others: str  # every other catalogue file
    others_signature: tuple | None  # their names and stat (cache.scan)
    code: str  # templates and build code (cache.code_inputs)
    shell_hash: str
    previous: dict[str, Any]  # what the last build saved (empty: none, or a full build)
    keep_shell: bool  # mkdocs' frame is still right
    incremental: bool
    changed: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)

    @property
    def old(self) -> dict[str, dict]:
        """The last build's entry per procedure (only on an incremental build)."""
        return self.previous.get("procedures", {}) if self.incremental else {}

    @functools.cached_property
    def revision(self) -> str:
        """The git revision the open data name (two git commands: asked once a build)."""
        return catalogue_revision()

    @property
    def cache_file(self) -> Path:
        return self.cache_dir / "pages.marshal"

    @property
    def nothing_to_do(self) -> bool:
        return (
            self.incremental
            and not self.changed
            and not self.removed
            and self.previous.get("today") == self.today
        )


@dataclass
class Loaded:
    """The catalogue as far as this build needs it, checked."""

    catalogue: Catalogue
    procedures: dict[str, list[dict]]  # code -> versions: those loaded (changed, dependents)
    summaries: dict[str, dict]  # code -> browse.summary() of every procedure
    todo: set[str]  # procedures whose pages are rendered: changed ones and those naming them
    cached_others: Any  # the other files' data as the last build saved it, if read

    @property
    def forms(self) -> dict[str, dict]:
        return {d.data["id"]: d.data for d in self.catalogue.of_kind("form")}


class Rendered(NamedTuple):
    browse_written: int
    procedure_pages: int
    records: dict[str, Any]  # code -> (search record, open-data fragment) of changed procedures
    browse_inputs: dict[str, str]  # browse page -> digest of its inputs (browse.pages' `made`)
    order: list[str]  # every procedure in the lists' order (browse.ranked)
    feed_cutoffs: dict[str, feeds.Cutoff]  # the field and agency feeds' cutoffs (feeds.write_all)


def build_command(
    catalogue_dir: Path,
    *,
    out: TextIO,
    today: str | None = None,
    site_dir: Path | None = None,
    cache_dir: Path | None = None,
    full: bool = False,
    workers: int | None = None,
    stats: Path | None = None,
    keep: list[object] | None = None,
) -> int:
    """`stats`: the anonymised event export the statistics page is computed from (stats.py);
    without it the page says there is no data yet. `keep`: where what a successful build made
    (the loaded catalogue, the pages' records) is put instead of being freed when this returns,
    for a caller that ends the process without freeing it (build.py: freeing those millions of
    objects one by one was ~0.3 s of a full build at 10,000 procedures, with nothing else to
    do)."""
    started = time.perf_counter()
    site_dir = (site_dir or paths.SITE).resolve()
    cache_dir = (cache_dir or paths.CACHE).resolve()
    last = last_build(site_dir, cache_dir, full=full)
    # mkdocs' frame needs nothing from the catalogue: its process starts before the scan (the
    # scan hashes every catalogue file, ~1 s of a full build at 10,000 with the other core idle).
    building = start_frame(last, cache_dir, out)
    run = plan(
        catalogue_dir,
        last,
        today=today or dt.date.today().isoformat(),
        site_dir=site_dir,
        cache_dir=cache_dir,
    )
    if run.nothing_to_do and stats is None:
        print("Không có gì thay đổi kể từ lần dựng trước.", file=out)
        return 0
    try:
        events = None
        if stats is not None:
            from . import stats as statistics

            events = statistics.read_events(stats)
        loaded = load_catalogue(run)
        shell = frame(run, loaded, building)
        site = _site_data(loaded.catalogue, run.today, loaded.summaries)
        env = environment(run.cache_dir / "jinja")

        def meanwhile() -> None:  # this process's pages, while the workers render procedures
            application_pages(run, loaded, shell, env)
            backoffice_pages(run, loaded, shell, env)

        # The open data and its part of the cache are made by a process of their own while this
        # one makes the search index (~0.7 and ~0.5 s at 10,000 procedures, one after the other
        # with a core idle before); on a rebuild whose procedures this process rendered, from
        # when they are rendered, while it makes the browse pages too (`pages`' `rendered_here`:
        # a rename at 10,000 waited ~0.09 s for it after the search index).
        publishing: list[Future[None]] = []

        def publish_from(records: dict[str, Any]) -> None:
            publishing.append(in_background(publish, run, loaded, shell, records))

        try:
            rendered = pages(run, loaded, shell, site, env, workers, meanwhile, publish_from)
            if not publishing:
                publish_from(rendered.records)
            search_records = search_index(run, loaded, rendered.records)
            stats_made = statistics_page(run, loaded, shell, events)
        finally:
            for process in publishing:  # nothing it writes comes after the build's answer
                process.result()  # a BuildError as the process raised it
    except BuildError as error:
        run.cache_file.unlink(missing_ok=True)  # the next build starts from scratch
        print(str(error), file=out)
        return 1
    # The gzip copies are made by a process of its own while this one saves the cache (the two
    # were ~1.2 s of a full build at 10,000 procedures with one core idle).
    compressing = in_background(
        precompress,
        run.site_dir,
        run.cache_dir / "gzip-static.txt",
        UNWALKED,
        run.cache_dir / "gzip-chunks",
    )
    save_cache(run, loaded, rendered, search_records, stats_made)
    try:
        compressing.result()
    except BaseException:
        run.cache_file.unlink(missing_ok=True)  # the next build starts from scratch
        raise
    kind = "một phần" if run.incremental else "toàn bộ"
    seconds = time.perf_counter() - started
    print(
        f"Đã dựng ({kind}) {len(loaded.todo)} thủ tục, {rendered.procedure_pages} trang thủ tục, "
        f"{rendered.browse_written} trang duyệt vào {run.site_dir} trong {seconds:.1f} s",
        file=out,
    )
    if keep is not None:
        keep.extend([run, loaded, rendered, search_records, site, shell, env])
    return 0


class LastBuild(NamedTuple):
    """What the last build saved (empty: none, or a full build) and whether mkdocs' frame it
    made is still right: known before the catalogue is scanned."""

    previous: dict[str, Any]
    shell_hash: str
    keep_shell: bool


def last_build(site_dir: Path, cache_dir: Path, *, full: bool) -> LastBuild:
    previous = (None if full else cache.read(cache_dir / "pages.marshal", [CACHE_VERSION])) or {}
    shell_hash = cache.shell_inputs()
    keep_shell = (
        previous.get("version") == CACHE_VERSION
        and previous.get("site") == str(site_dir)
        and previous.get("shell") == shell_hash
        and (site_dir / "_shell" / "index.html").exists()
    )
    return LastBuild(previous, shell_hash, keep_shell)


def plan(
    catalogue_dir: Path, last: LastBuild, *, today: str, site_dir: Path, cache_dir: Path
) -> Plan:
    """Full or incremental, and which procedures changed (their files, or what today shows)."""
    previous, shell_hash, keep_shell = last
    if previous:
        entries = cache.read_entries(cache_dir, previous.get("entries", {}))
        previous = {**previous, "procedures": entries} if entries is not None else {}
    known = {c: (p["stat"], p["hash"]) for c, p in previous.get("procedures", {}).items()}
    known_others = (previous.get("others_signature"), previous.get("others", ""))
    hashes, per_code, others, signatures, others_signature = cache.scan(
        catalogue_dir, known, known_others
    )
    code = cache.code_inputs()
    incremental = keep_shell and previous.get("others") == others and previous.get("code") == code
    run = Plan(
        catalogue_dir,
        site_dir,
        cache_dir,
        today,
        hashes,
        per_code,
        signatures,
        others,
        others_signature,
        code,
        shell_hash,
        previous,
        keep_shell,
        incremental,
    )
    if incremental:
        old = run.old
        same_day = previous.get("today") == today  # no procedure's day state can have changed
        run.changed = {
            c
            for c, h in hashes.items()
            if c not in old
            or old[c]["hash"] != h
            or (not same_day and old[c]["day"] != _day_state(old[c]["summary"]["ranges"], today))
        }
        run.removed = set(old) - set(hashes)
    else:
        run.changed = set(hashes)
    return run


def load_catalogue(run: Plan) -> Loaded:
    """The changed procedures (all of them on a full build) and every other file, checked; the
    procedures that name a renamed or ended one, whose links must say so."""
    cached_others = None
    if run.incremental:
        key = [CACHE_VERSION, run.others, run.code]
        cached_others = cache.read(run.cache_dir / "others.marshal", key)
        catalogue = _load_partial(run.catalogue_dir, run.changed, cached_others or {}, run.per_code)
    else:
        catalogue = load(run.catalogue_dir)
    # The holidays of each calendar's year are checked against the `holidays` package (~0.08 s)
    # when the calendars or the package changed since the last build that checked them.
    holidays = _holidays_key(run)
    library = run.previous.get("holidays") != holidays
    with _checked(catalogue, calendar_library=library, meanwhile=not run.incremental):
        procedures = {c: [d.data for d in docs] for c, docs in catalogue.procedures().items()}
        old = run.old
        summaries = {c: old[c]["summary"] for c in run.hashes if c in old}
        renamed = set(run.removed)
        for c in run.changed:
            summaries[c] = browse.summary(procedures[c], run.today)
            if c in old and (
                old[c]["summary"]["name"] != summaries[c]["name"]
                or old[c]["summary"]["status"] != summaries[c]["status"]
            ):
                renamed.add(c)
    dependents = {c for c, s in summaries.items() if not renamed.isdisjoint(s["refs"])}
    dependents -= run.changed
    if dependents:  # their links to a renamed or ended procedure must say so
        procedures.update(_load_procedures(run.catalogue_dir, dependents, run.per_code))
    return Loaded(catalogue, procedures, summaries, run.changed | dependents, cached_others)


def start_frame(last: LastBuild, cache_dir: Path, out: TextIO) -> "Future[None] | None":
    """mkdocs' frame, when its inputs changed, built by a process of its own into a scratch
    folder while this one scans, loads and checks the catalogue: mkdocs and the web font's cut
    need nothing from it, and were ~1.3 s of a full build with one core idle. `frame` waits for
    it."""
    if last.keep_shell:
        return None
    print("Dựng khung trang bằng mkdocs...", file=out)
    shutil.rmtree(cache_dir / frames.FOLDER, ignore_errors=True)
    return in_background(frames.run_mkdocs, cache_dir / frames.FOLDER, cache_dir)


def frame(run: Plan, loaded: Loaded, building: "Future[None] | None") -> Shell:
    """mkdocs' frame (`building`, when its inputs changed) moved into the site once the catalogue
    is known to be right (mkdocs empties the site first: nothing is written before the checks),
    the folders this build rewrites emptied, and the static files made from the catalogue
    (working calendar, form templates)."""
    site_dir = run.site_dir
    if building is not None:
        building.result()  # MkdocsError, as mkdocs raised it
        frames.move_into(run.cache_dir / frames.FOLDER, site_dir)
    elif not run.incremental:
        for name in OUR_DIRS:
            shutil.rmtree(site_dir / name, ignore_errors=True)
    for c in run.removed | loaded.todo:
        shutil.rmtree(site_dir / "thu-tuc" / c, ignore_errors=True)
    shell = Shell.from_html((site_dir / "_shell" / "index.html").read_text(encoding="utf-8"))
    assets = site_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    calendar = assets / "ngay-nghi.js"
    # Made from the calendars (other files) and the date: a rebuild on the same date has it.
    if not (run.incremental and run.previous.get("today") == run.today and calendar.is_file()):
        calendar.write_text(_calendar_script(loaded.catalogue, run.today), encoding="utf-8")
    templates = loaded.catalogue.root / "templates"
    if templates.is_dir():
        shutil.copytree(templates, site_dir / "mau", dirs_exist_ok=True)
    return shell


def write_feeds(run: Plan, loaded: Loaded) -> dict[str, feeds.Cutoff]:
    """The Atom feeds of changes (feeds.py) of the fields and agencies, from the summaries:
    written by this process while the workers render (`pages`; ~0.2 s of a full build at 10,000
    procedures with a core idle when it came before them), before the browse pages, whose links
    to them are checked (no procedure page links to them). Each procedure's own feed is written
    by the render workers, before its pages. Returns their cutoffs, for the next build."""
    catalogue = loaded.catalogue
    fields = {f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]}
    agencies = {d.data["id"]: d.data["name"] for d in catalogue.of_kind("agency")}
    return feeds.write_all(
        run.site_dir,
        loaded.summaries,
        fields=fields,
        agencies=agencies,
        touched=_touched(run, loaded),
        cutoffs=run.previous.get("feeds") if run.incremental else None,
    )


def pages(
    run: Plan,
    loaded: Loaded,
    shell: Shell,
    site: SiteData,
    env: Environment,
    workers: int | None,
    meanwhile: Callable[[], None] | None = None,
    rendered_here: Callable[[dict[str, Any]], None] | None = None,
) -> Rendered:
    """Browse pages (those whose inputs changed) and procedure pages, every link checked; the
    render workers also make each changed procedure's search record and open-data fragment.
    `meanwhile()`: other pages this process makes while the workers render. `rendered_here`:
    given those records (the returned `records`) when this process rendered the procedures
    itself (no workers: a rebuild), once they are rendered, before the browse pages are made.
    The field and agency feeds (`write_feeds`) and the browse pages are made here while the
    workers render too (they were ~1 s of a full build with one core idle): a procedure page's
    link to one is checked once they are all known (`later`)."""
    site_dir, today = run.site_dir, run.today
    made = dict(run.previous.get("browse", {})) if run.incremental else {}
    # assets/search.js is copied by the search phase, after the pages
    known = {"", "gioi-thieu/", "du-lieu-mo/", "tra-cuu/", "assets/search.js"}
    forms, summaries = loaded.forms, loaded.summaries

    def exists(path: str) -> bool:  # a file found is remembered (the frame's, on every page)
        if path in known or _procedure_page(path, summaries, forms):
            return True
        if path.endswith("/") or not os.path.isfile(os.path.join(site_dir, path)):
            return False
        known.add(path)
        return True

    problems: list[str] = []
    browse_pages: list[browse.Page] = []
    order: list[str] = []
    cutoffs: dict[str, feeds.Cutoff] = {}

    made_here: dict[str, tuple[dict, tuple]] = {}  # data_of's, when it runs in this process

    def browse_then_meanwhile() -> None:
        if rendered_here is not None and made_here.keys() == changed:
            rendered_here(dict(made_here))
        previous = run.previous.get("order") if run.incremental else None
        order.extend(browse.ranked(summaries, previous, run.changed | run.removed))
        cutoffs.update(write_feeds(run, loaded))  # the browse pages link to them
        try:
            browse_pages.extend(browse.pages(env, shell, site, made, _touched(run, loaded), order))
        except TemplateError as error:
            raise RenderError(f"Không dựng được trang duyệt: {error}") from error
        known.update(p.path[: -len("index.html")] for p in browse_pages)
        problems.extend(_write_browse_pages(site_dir, browse_pages, made, exists, summaries))
        if meanwhile is not None:
            meanwhile()

    # Each changed procedure's search record (its folded, weighted tokens) and open-data
    # fragment are made in the render workers, which also write its own open-data file and
    # the feed of every procedure rendered.
    catalogue = loaded.catalogue
    fields = {f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]}
    agencies = {d.data["id"]: d.data["name"] for d in catalogue.of_kind("agency")}
    revision = run.revision
    changed = run.changed

    def data_of(c: str, versions: list[dict]) -> tuple[dict, tuple] | None:
        # its feed, before its pages link to it (10,000 files at a full build, here in parallel)
        feeds.write_procedure(site_dir, c, loaded.summaries[c])
        if c not in changed:  # re-rendered for a renamed procedure's name: its data is the same
            return None
        version, ended = shown_version(versions, today), has_ended(versions, today)
        fragment = opendata.fragment(c, versions, today, fields, agencies)
        opendata.write_single(site_dir, c, fragment.versions, revision, today)
        made = search.record(version, ended, fields, agencies), tuple(fragment)
        made_here[c] = made  # in a render worker, its own copy's
        return made

    written, found, data, later = render_procedures(
        loaded.todo,
        loaded.procedures,
        shell=shell,
        site=site,
        out=site_dir,
        exists=exists,
        files={c: f"catalogue/procedures/{c}" for c in loaded.todo},
        workers=workers,
        also=data_of,
        env=env,
        meanwhile=browse_then_meanwhile,
    )
    problems.extend(found)
    unlisted = 0  # broken links to one target beyond the first of each chunk (parallel.py)
    for target, (count, messages) in later.items():
        if not exists(target):
            problems.extend(messages)
            unlisted += count - len(messages)
    if problems:
        run.cache_file.unlink(missing_ok=True)  # the next build starts from scratch
        lines = [*problems[:50], f"Dựng trang thất bại: {len(problems) + unlisted} lỗi."]
        raise RenderError("\n".join(lines))
    written_browse = sum(p.html is not None for p in browse_pages)
    return Rendered(written_browse, written, data, made, order, cutoffs)


def _procedure_page(path: str, summaries: dict[str, dict], forms: dict[str, dict]) -> bool:
    """`path` is a procedure's page (`thu-tuc/<code>/`), one of its versions'
    (`thu-tuc/<code>/<start>/`) or its application page (`nop-ho-so/<code>/`, when it has a
    form): read from the summaries, not looked up among ~33,000 paths made beforehand (making
    them was ~0.03 s of a one-procedure rebuild at 10,000 procedures)."""
    folder, _, rest = path.partition("/")
    if folder not in ("thu-tuc", "nop-ho-so") or not rest.endswith("/"):
        return False
    code, _, start = rest[:-1].partition("/")
    s = summaries.get(code)
    if s is None:
        return False
    if folder == "nop-ho-so":
        return not start and s.get("form") in forms
    return not start or any(start == str(begin) for begin, _ in s["ranges"])


def _write_browse_pages(
    site_dir: Path,
    browse_pages: list[browse.Page],
    made: dict[str, str],
    exists: Callable,
    procedures: Container[str],
) -> list[str]:
    """The browse pages made again written (their broken links returned), and the files of
    those no longer made removed. A list's items link to `thu-tuc/<code>/`, a page there is when
    the code is one of the `procedures` (as `_procedure_page` says): looked up there, not by
    `exists` (~51,000 items on the 9 lists a rename rebuild at 10,000 writes: ~0.15 s)."""
    problems = []
    for path in set(made) - {p.path for p in browse_pages}:  # e.g. a field without procedures
        del made[path]
        (site_dir / path).unlink(missing_ok=True)
        (site_dir / f"{path}.gz").unlink(missing_ok=True)  # its copy (precompress.py)
        with contextlib.suppress(OSError):  # its folder, unless something else is in it
            (site_dir / path).parent.rmdir()
    for path, html, frame, listed in browse_pages:
        if html is None:  # the same as the file already there
            continue
        problems.extend(check_links(path, html if frame is None else frame, exists))
        problems.extend(
            f"{path}: liên kết hỏng: thu-tuc/{c}/" for c in listed if c not in procedures
        )
        target = site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    return problems


def search_index(run: Plan, loaded: Loaded, records: dict[str, Any]) -> "SearchRecords":
    """The search index: records are cached with the page hash, so a rebuild tokenises only
    what changed; with the same procedures as before it rewrites only the shards whose tokens
    changed (search.update_files), else it re-assembles them all. The page cache keeps each
    record without its tokens (what meta.json needs); the tokens, ~70% of that cache, are kept
    per chunk of codes (_tokens_file) and read only for the chunks holding a changed procedure
    (or all of them when the index is re-assembled)."""
    old, changed = run.old, run.changed
    made = {c: records[c][0] for c in changed}
    codes = sorted(loaded.summaries)
    chunk_of = opendata.chunk_of  # search_chunk's, called once for each of 10,000 codes
    # The same procedures as the index written (none appeared or went): it is patched, with
    # the tokens of the changed ones as they were.
    patched, wanted, tokens = False, {chunk_of(c) for c in changed}, {}
    if run.incremental and not run.removed and changed <= old.keys():
        tokens = _read_tokens(run, wanted)
        if all(c in tokens for c in changed):  # else an older cache: no tokens kept
            before = {
                c: {**old[c]["search"], "main": tokens[c][0], "body": tokens[c][1]} for c in changed
            }
            patched = search.update_files(run.site_dir, codes, before, made)
    # code -> record without tokens: the changed ones' (the others' are in the page cache), or
    # every one's when the index is assembled again
    light = {c: _light(made[c]) for c in changed}
    if not patched:
        light = {c: light[c] if c in changed else old[c]["search"] for c in codes}
        wanted = {chunk_of(c) for c in codes}
        tokens = _read_tokens(run, wanted)
    # the procedures of the chunks whose tokens are saved again, found once
    listed = [c for c in codes if chunk_of(c) in wanted]
    missing = {c for c in listed if c not in made and c not in tokens}
    for c, record in _records(run, loaded, missing).items():  # their tokens, made again
        tokens[c] = (record["main"], record["body"])
    if not patched:
        every = [
            made.get(c) or {**light[c], "main": tokens[c][0], "body": tokens[c][1]} for c in codes
        ]
        search.write_files(search.assemble(every), run.site_dir, measure=False)
    shutil.copy2(THEME / "assets" / "search.js", run.site_dir / "assets" / "search.js")
    for c, record in made.items():
        tokens[c] = (record["main"], record["body"])
    chunks: dict[str, dict[str, tuple]] = {}
    for c in listed:
        chunks.setdefault(chunk_of(c), {})[c] = tokens[c]
    return SearchRecords(light, chunks)


class SearchRecords(NamedTuple):
    # code -> its search record without tokens, for the page cache: the changed procedures' (the
    # others' are those of the last build) or every one's
    light: dict[str, dict]
    chunks: dict[str, dict[str, tuple]]  # chunk -> {code: (main, body)} to save (changed ones)


def search_chunk(code: str) -> str:
    return opendata.chunk_of(code)


def _light(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("main", "body")}


def _tokens_file(run: Plan, chunk: str) -> Path:
    return run.cache_dir / "search" / f"{chunk}.marshal"


def _read_tokens(run: Plan, chunks: set[str]) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    if not run.incremental:
        return out
    for chunk in sorted(chunks):
        out.update(cache.read(_tokens_file(run, chunk), _fragment_key(run)) or {})
    return out


def _records(run: Plan, loaded: Loaded, codes: set[str]) -> dict[str, dict]:
    catalogue = loaded.catalogue
    fields = {f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]}
    agencies = {d.data["id"]: d.data["name"] for d in catalogue.of_kind("agency")}
    versions = {c: loaded.procedures[c] for c in codes if c in loaded.procedures}
    versions.update(
        _published_versions(codes - set(versions), run.site_dir, run.catalogue_dir, run.per_code)
    )
    return {
        c: search.record(shown_version(v, run.today), has_ended(v, run.today), fields, agencies)
        for c, v in versions.items()
    }


def open_data(run: Plan, loaded: Loaded, shell: Shell, records: dict[str, Any]) -> Published:
    """Open data covers every procedure, but a rebuild joins and compresses again only the
    chunks (opendata.chunk_of) holding a procedure that changed, appeared or went: the others
    come whole from the previous build, and the touched ones' other procedures from their
    cached fragments (opendata.Fragment)."""
    site_dir, changed = run.site_dir, run.changed
    key = _fragment_key(run)
    cached = (cache.read(_chunks_file(run), key) if run.incremental else None) or {}
    singles = site_dir / "du-lieu-mo" / "thu-tuc"
    published = (
        {n.removesuffix(opendata.SINGLE_SUFFIX) for n in os.listdir(singles)}
        if singles.is_dir()
        else set()
    )
    by_chunk: dict[str, set[str]] = {}
    for c in run.hashes:
        by_chunk.setdefault(opendata.chunk_of(c), set()).add(c)
    touched = {
        opendata.chunk_of(c) for c in changed | run.removed | (run.hashes.keys() - published)
    }
    touched |= by_chunk.keys() - cached.keys()
    kept = {k: opendata.Chunk(*cached[k]) for k in by_chunk.keys() - touched}
    fragments: dict[str, Fragment] = {}
    for k in sorted(touched & by_chunk.keys()):
        part = cache.read(_chunk_file(run, k), key) if k in cached else None
        fragments.update({c: Fragment(*f) for c, f in (part or {}).items() if c in by_chunk[k]})
    fragments.update({c: Fragment(*records[c][1]) for c in changed})  # made by the workers
    redo = {c for k in touched for c in by_chunk.get(k, ())}
    stale = {c for c in redo if c not in fragments or c not in published} - changed
    serialise = {c: loaded.procedures[c] for c in stale if c in loaded.procedures}
    serialise.update(
        _published_versions(stale - set(serialise), site_dir, run.catalogue_dir, run.per_code)
    )
    # The per-procedure files' sizes (the page states their total): the last build's, but for
    # the files written since (changed procedures' by the workers, `stale` ones below). Saved
    # here: they are those of the files on disk, whatever happens next.
    sizes = (cache.read(_sizes_file(run), key) if run.incremental else None) or {}
    made = write_open_data(
        loaded.catalogue,
        site_dir,
        run.today,
        run.revision,
        shell=shell,
        procedures=serialise,
        fragments={c: f for c, f in fragments.items() if c not in stale},
        chunks=kept,
        sizes={c: n for c, n in sizes.items() if c not in changed and c not in stale},
    )
    run.cache_dir.mkdir(parents=True, exist_ok=True)
    cache.save(_sizes_file(run), key, made.sizes)
    return made


def publish(run: Plan, loaded: Loaded, shell: Shell, records: dict[str, Any]) -> None:
    """The open data (`open_data`) and its part of the cache: each chunk's fragments and every
    chunk, for the next build."""
    published = open_data(run, loaded, shell, records)
    key = _fragment_key(run)
    chunks = {k: tuple(chunk) for k, chunk in published.chunks.items()}
    (run.cache_dir / "opendata").mkdir(parents=True, exist_ok=True)
    for k in published.chunks.keys() & {opendata.chunk_of(c) for c in published.fragments}:
        parts = {c: tuple(published.fragments[c]) for c in published.chunks[k].codes}
        cache.save(_chunk_file(run, k), key, parts)
    for gone in (run.cache_dir / "opendata").glob("*.marshal"):
        if gone.stem not in chunks:
            gone.unlink()
    cache.save(_chunks_file(run), key, chunks)


def statistics_page(
    run: Plan, loaded: Loaded, shell: Shell, events: "statistics.Events | None"
) -> str:
    """thong-ke/ and its open data (stats.py), written again only when what they are made from
    changed since the last build: the export (not one of the catalogue's files, so the plan's
    hashes do not see it), the procedures' fields, the field and office names, the revision and
    the date. Returns the digest of those inputs, for the cache."""
    catalogue = loaded.catalogue
    documents = [(d.kind, d.data) for d in catalogue.documents if d.data is not None]
    field_names = {f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]}
    names = {o["id"]: o["name"] for o in offices.of_catalogue(documents)}
    procedure_fields = {c: s["field"] for c, s in loaded.summaries.items()}
    inputs = [run.today, field_names, names]
    if events is not None:  # without an export, the page says there is none: nothing else shown
        inputs += [events.events, sorted(procedure_fields.items()), run.revision]
    made = hashlib.blake2b(compact_json(inputs).encode(), digest_size=16).hexdigest()
    page = run.site_dir / STATISTICS_PAGE
    if run.incremental and run.previous.get("stats") == made and page.is_file():
        return made
    from . import stats as statistics

    statistics.write(
        run.site_dir,
        shell,
        events,
        procedure_fields=procedure_fields,
        field_names=field_names,
        offices=names,
        revision=run.revision,
        today=run.today,
    )
    return made


def application_pages(run: Plan, loaded: Loaded, shell: Shell, env: Environment) -> None:
    """Application pages of the procedures whose version in force has a form, and the units
    their address questions load. A rebuild redoes only changed procedures' pages: forms,
    agencies and units are "others" (a change to them means a full build)."""
    redo = run.changed | run.removed if run.incremental else None
    forms = loaded.forms
    with_form = {
        c
        for c, s in loaded.summaries.items()
        if s.get("form") in forms and (redo is None or c in redo)
    }
    applying = {c: loaded.procedures[c] for c in with_form if c in loaded.procedures}
    applying.update(
        _published_versions(
            with_form - set(applying), run.site_dir, run.catalogue_dir, run.per_code
        )
    )
    try:
        _write_application_pages(
            env, shell, loaded.catalogue, forms, applying, run.site_dir, run.today, redo
        )
    except TemplateError as error:
        raise RenderError(f"Không dựng được trang nộp hồ sơ: {error}") from error


def backoffice_pages(run: Plan, loaded: Loaded, shell: Shell, env: Environment) -> None:
    """The officers' pages (can-bo/): five small files, made on every build and written when
    they differ from the file there (a rebuild then leaves them and their gzip copies alone)."""
    forms = loaded.forms
    procedures = {c: s["name"] for c, s in loaded.summaries.items() if s.get("form") in forms}
    try:
        written = list(backoffice.pages(env, shell, procedures))
    except TemplateError as error:
        raise RenderError(f"Không dựng được trang cán bộ: {error}") from error
    for path, html in written:
        target = run.site_dir / path
        data = html.encode("utf-8")
        with contextlib.suppress(FileNotFoundError):
            if target.read_bytes() == data:  # kept with its mtime: its gzip copy is current
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def save_cache(
    run: Plan,
    loaded: Loaded,
    rendered: Rendered,
    search_records: SearchRecords,
    stats_made: str,
) -> None:
    """The page cache (the open data's part is saved by `publish`)."""
    run.cache_dir.mkdir(parents=True, exist_ok=True)
    old, same_day = run.old, run.previous.get("today") == run.today
    entries = {
        c: old[c]  # an unchanged procedure's entry, as the last build saved it
        if same_day and c not in run.changed and old[c]["stat"] == run.signatures[c]
        else {
            "hash": run.hashes[c],
            "stat": run.signatures[c],
            "summary": s,
            "day": _day_state(s["ranges"], run.today),
            "search": search_records.light[c] if c in search_records.light else old[c]["search"],
        }
        for c, s in loaded.summaries.items()
    }
    key = _fragment_key(run)
    (run.cache_dir / "search").mkdir(exist_ok=True)
    for k, tokens in search_records.chunks.items():
        cache.save(_tokens_file(run, k), key, tokens)
    chunks = {search_chunk(c) for c in run.hashes}  # the open data's chunks
    for gone in (run.cache_dir / "search").glob("*.marshal"):
        if gone.stem not in chunks:
            gone.unlink()
    if not run.incremental or loaded.cached_others is None:
        others = {d.rel: d.data for d in loaded.catalogue.documents if d.kind != "procedure"}
        key = [CACHE_VERSION, run.others, run.code]
        cache.save(run.cache_dir / "others.marshal", key, others)
    cache.save(
        run.cache_file,
        [CACHE_VERSION],
        {
            "version": CACHE_VERSION,
            "site": str(run.site_dir),
            "shell": run.shell_hash,
            "others": run.others,
            "others_signature": run.others_signature,
            "code": run.code,
            "today": run.today,
            "entries": cache.save_entries(  # the procedures' entries, in parts
                run.cache_dir,
                entries,
                old=run.old,
                kept=run.previous.get("entries", {}) if run.incremental else {},
            ),
            "browse": rendered.browse_inputs,
            "order": rendered.order,  # the next build's browse.ranked starts from it
            "feeds": rendered.feed_cutoffs,  # the next build's feeds.write_all keeps feeds by them
            "stats": stats_made,  # statistics_page's inputs
            "holidays": _holidays_key(run),  # the calendars checked against `holidays`
        },
    )


def _chunks_file(run: Plan) -> Path:
    return run.cache_dir / "opendata.marshal"


def _sizes_file(run: Plan) -> Path:
    return run.cache_dir / "opendata-sizes.marshal"


def _chunk_file(run: Plan, chunk: str) -> Path:
    return run.cache_dir / "opendata" / f"{chunk}.marshal"


def _fragment_key(run: Plan) -> list:
    return [CACHE_VERSION, str(run.site_dir), run.shell_hash, run.others, run.code]


# --- helpers of the phases ------------------------------------------------------------------


def _touched(run: Plan, loaded: Loaded) -> list[dict] | None:
    """On a rebuild on the same date: the summaries, before and after, of every procedure that
    changed, appeared or went (the browse pages and the feeds that list none of them are kept
    as they are). None: everything is made again (a full build, or another date)."""
    if not run.incremental or run.previous.get("today") != run.today:
        return None
    old = run.old
    return [
        summary
        for c in run.changed | run.removed
        for summary in (old.get(c, {}).get("summary"), loaded.summaries.get(c))
        if summary is not None
    ]


def _day_state(ranges: list[list], today: str) -> str:
    """Everything about `today` a procedure page shows: the version shown and each one's state
    (from the cached [start, end] ranges of its versions)."""
    spans = [(start, end) for start, end in ranges]
    states = "".join(state(start, end, today)[0] for start, end in spans)
    return f"{shown_index(spans, today)}:{states}"


def _load_partial(
    catalogue_dir: Path, codes: set[str], others: dict[str, Any], per_code: dict[str, list[str]]
) -> Catalogue:
    """The catalogue with only `codes` loaded; every other procedure is one stub document (data
    None, the path of its first file), so cross-checks see its code as existing without reading
    10,000 files or walking their folders again (`per_code` is cache.scan's listing). `others`
    holds the data of the other files (forms, agencies...) as the last build loaded them, by
    path: they are unchanged (same hash), so they are not parsed and validated again."""
    given, catalogue_dir = str(catalogue_dir), catalogue_dir.resolve()
    root = catalogue_dir.parent
    wanted: list[tuple[str, str, str]] = []
    kept: list[Document] = []
    stubs: list[Document] = []
    for kind, path in discover(catalogue_dir, procedures=False):
        rel = str(path.relative_to(root))
        if rel in others:
            kept.append(Document(kind, rel, path, others[rel]))
        else:
            wanted.append((kind, str(path), rel))
    top, name, cut = str(catalogue_dir), catalogue_dir.name, len(given) + 1
    for code in sorted(per_code):  # joined as text (os.path.join of a Path costs more)
        below = [f[cut:] for f in per_code[code] if f.endswith((".yaml", ".yml"))]
        if code in codes:
            wanted.extend(("procedure", top + os.sep + b, name + os.sep + b) for b in below)
        elif below:
            stubs.append(Stub(code, name + os.sep + below[0], top + os.sep + below[0]))
    results = load_jobs(wanted, paths.SCHEMAS)
    catalogue = Catalogue(root=catalogue_dir)
    for (kind, file, rel), (data, problems) in zip(wanted, results, strict=True):
        catalogue.documents.append(Document(kind, rel, Path(file), data))
        catalogue.problems.extend(problems)
    catalogue.documents.extend(kept + stubs)
    return catalogue


def _load_procedures(
    catalogue_dir: Path, codes: set[str], per_code: dict[str, list[str]]
) -> dict[str, list[dict]]:
    """Just these procedures' versions (already checked in an earlier build, unchanged since)."""
    root = catalogue_dir.resolve().parent
    jobs = [
        ("procedure", path, str(Path(path).resolve().relative_to(root)))
        for code in sorted(codes)
        for path in sorted(per_code[code])
    ]
    out: dict[str, list[dict]] = {}
    for (_, path, _), (data, _) in zip(jobs, load_jobs(jobs, paths.SCHEMAS), strict=True):
        out.setdefault(Path(path).parent.name, []).append(data)
    for versions in out.values():
        versions.sort(key=lambda v: v["effective_from"])
    return out


def _published_versions(
    codes: set[str], site_dir: Path, catalogue_dir: Path, per_code: dict[str, list[str]]
) -> dict[str, list[dict]]:
    """Versions of procedures that did not change: read back from their own open-data file (all
    versions, as edited), far cheaper than their YAML, which is read when that file is missing."""
    out, missing = {}, set()
    for c in codes:
        try:
            out[c] = json.loads(opendata.read_single(opendata.single_path(site_dir, c)))["versions"]
        except FileNotFoundError:
            missing.add(c)
    if missing:
        out.update(_load_procedures(catalogue_dir, missing, per_code))
    return out


def _holidays_key(run: Plan) -> str:
    """What check_calendar_library's verdict depends on: the calendars (among the other files)
    and the version of the `holidays` package."""
    return f"{cache.version('holidays')}:{run.others}"


@contextlib.contextmanager
def _checked(catalogue: Catalogue, *, calendar_library: bool, meanwhile: bool) -> Iterator[None]:
    """The catalogue checked (`_check`) before the block runs or, with `meanwhile`, by a process
    of its own while it runs: a full build summarises its procedures meanwhile (at 10,000
    procedures ~0.6 and ~0.5 s, one after the other with a core idle). Either way nothing after
    the block runs unless the check passed, and a failed check's error is the one raised (a
    summary of a document the check refuses may fail first)."""
    if not meanwhile:
        _check(catalogue, calendar_library=calendar_library)
        yield
        return
    checking = in_background(
        functools.partial(_check, catalogue, calendar_library=calendar_library)
    )
    try:
        yield
    finally:
        checking.result()  # a CatalogueError as the process raised it


def _check(catalogue: Catalogue, *, calendar_library: bool = True) -> None:
    found = run_all(catalogue, calendar_library=calendar_library)
    errors = [p for p in catalogue.problems + found if p.severity == "error"]
    if errors:
        lines = [p.text() for p in errors]
        raise CatalogueError(
            "\n".join([*lines, f"Không dựng trang: {len(errors)} lỗi trong danh mục."])
        )


def _calendar_script(catalogue: Catalogue, today: str) -> str:
    """Non-working days of the next ~400 days, for the expected-result-date calculator."""
    calendar = WorkingCalendar.from_documents(d.data for d in catalogue.of_kind("calendar"))
    start = dt.date.fromisoformat(today)
    days = [start + dt.timedelta(days=i) for i in range(CALENDAR_DAYS)]
    off = [d.isoformat() for d in days if not calendar.is_working_day(d)]
    data = {"from": days[0].isoformat(), "to": days[-1].isoformat(), "off": off}
    return f"window.MOTCUA_NGAY_NGHI={compact_json(data)};\n"


def _site_data(catalogue: Catalogue, today: str, summaries: dict[str, dict]) -> SiteData:
    templates = catalogue.root / "templates"
    by_agency: dict[str, list[dict]] = {}
    for office in offices.of_catalogue([(d.kind, d.data) for d in catalogue.documents if d.data]):
        by_agency.setdefault(office["agency"], []).append(office)
    return SiteData(
        today=today,
        fields={f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]},
        agencies={d.data["id"]: d.data for d in catalogue.of_kind("agency")},
        forms={d.data["id"] for d in catalogue.of_kind("form")},
        life_events={d.data["id"]: d.data["name"] for d in catalogue.of_kind("life-event")},
        life_event_docs={d.data["id"]: d.data for d in catalogue.of_kind("life-event")},
        summaries=summaries,
        offices=by_agency,
        templates={str(p.relative_to(templates)) for p in cache.files(templates)}
        if templates.is_dir()
        else set(),
    )


def _write_application_pages(
    env: Environment,
    shell: Shell,
    catalogue: Catalogue,
    forms: dict[str, dict],
    procedures: dict[str, list[dict]],
    site_dir: Path,
    today: str,
    only: set[str] | None = None,
) -> None:
    """`only`: the codes whose pages may have changed (a rebuild), else all of them."""
    if only is None:
        shutil.rmtree(site_dir / "nop-ho-so", ignore_errors=True)
    for c in only or ():
        shutil.rmtree(site_dir / "nop-ho-so" / c, ignore_errors=True)
    units = [d.data for d in catalogue.of_kind("units")]
    agencies = {d.data["id"]: d.data for d in catalogue.of_kind("agency")}
    register = offices.of_catalogue([(d.kind, d.data) for d in catalogue.documents if d.data])
    written = list(
        application.pages(
            env,
            shell,
            forms=forms,
            procedures=procedures,
            agencies=agencies,
            units=units,
            offices=register,
            today=today,
            # only the procedures' pages state it (a rebuild often writes none of them)
            privacy=application.privacy_notice(catalogue.root) if procedures else Markup(),
        )
    )
    # The units' files are made from "other" files only: a rebuild (`only`) has them already.
    for path, text in [*written, *(application.unit_files(units) if only is None else ())]:
        target = site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_with_copy(str(target), text)  # nop-ho-so/ is not walked by precompress
