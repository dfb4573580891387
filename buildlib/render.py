"""Procedure pages: one catalogue procedure -> its HTML pages, framed by the mkdocs shell.

Each procedure gives `thu-tuc/<code>/` (the version in force today) and one permanent page per
version, `thu-tuc/<code>/<effective_from>/`. Pages are rendered by our Jinja2 templates with
autoescape on and StrictUndefined, then inserted into the shell page that mkdocs-material built,
so the site looks like one mkdocs site without mkdocs ever seeing 10,000 pages (its nav and
per-page work grow with pages x pages).

Large catalogues are rendered by one process per core: the catalogue is handed to the workers
through fork (module state set before the pool starts), so only procedure codes cross the pipe.
"""

import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import markupsafe
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from . import labels, opendata
from .diff import compare

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "theme" / "templates"
MARKER = "<!--MOTCUA:CONTENT-->"
SHELL_TITLE = "MOTCUA_SHELL_TITLE"
PARALLEL_FROM = 300  # procedures; below this, starting workers costs more than it saves
CHUNK = 250


class RenderError(Exception):
    """A page could not be rendered or links to a page that does not exist."""


@dataclass(frozen=True)
class Shell:
    """The page frame mkdocs built for `_shell/` (depth 1), cut around the content marker.

    `bare_head` and `bare_tail` are a light frame for pages made to be printed: the same <head>
    (styles, icon, title), colour scheme and header bar (logo and site name, linking home), but
    no navigation drawer, footer or scripts."""

    head: str
    tail: str
    bare_head: str = ""
    bare_tail: str = ""

    @classmethod
    def from_html(cls, html: str) -> "Shell":
        if html.count(MARKER) != 1:
            raise RenderError(f"trang khung _shell/index.html phải chứa đúng một {MARKER}")
        # Indentation is ~20% of the frame, which every one of ~20,000 pages repeats; the frame
        # has no <pre> or <textarea>, so dropping it changes nothing rendered.
        html = re.sub(r"\n\s*", "\n", html)
        html = re.sub(r'<link rel="canonical" href="[^"]*">\s*', "", html)
        # What these pages never use, repeated ~30,000 times at 10,000 procedures: the generator
        # tag, the script that opens tabbed content (no page has tabs) and the empty table-of-
        # contents sidebar (as mkdocs-material's own `hide: [toc]` leaves it out).
        html = re.sub(r'<meta name="generator" content="[^"]*">\n', "", html)
        html = re.sub(
            r"<script>var target=document\.getElementById\(location\.hash.*?</script>\n", "", html
        )
        html = re.sub(
            r'<div class="md-sidebar md-sidebar--secondary"[^>]*>\n'
            r'<div class="md-sidebar__scrollwrap">\n<div class="md-sidebar__inner">\n'
            r'<nav class="md-nav md-nav--secondary"[^>]*>\n</nav>\n</div>\n</div>\n</div>\n',
            "",
            html,
        )
        # mkdocs-material's page configuration, ASCII-escaped (Vietnamese translations): the same
        # object in UTF-8 is ~40% smaller.
        html = re.sub(
            r'(<script id="__config" type="application/json">)(.*?)(</script>)',
            lambda m: m[1] + opendata.script_json(json.loads(m[2])) + m[3],
            html,
            count=1,
            flags=re.S,
        )
        head, tail = html.split(MARKER)
        body = re.search(r"<body[^>]*>", head)
        if "</head>" not in head or body is None:
            raise RenderError("trang khung _shell/index.html thiếu </head> hoặc <body>")
        top = re.sub(r"<script\b.*?</script>\n?", "", head[: head.index("</head>")], flags=re.S)
        header = re.search(r"<header\b.*?</header>\n?", head, flags=re.S)
        bar = re.sub(
            r'<label\b[^>]*\bfor="__drawer"[^>]*>.*?</label>\n?'
            r'|<div\b[^>]*\bdata-md-component="header-topic"[^>]*>.*?</div>\n?',
            "",
            header[0] if header else "",
            flags=re.S,
        )
        bare_head = (
            f"{top}</head>\n{body[0]}\n{bar}"
            '<main class="md-main"><div class="md-main__inner md-grid">'
            '<div class="md-content"><article class="md-content__inner md-typeset">\n'
        )
        bare_tail = "</article></div></div></main>\n</body>\n</html>\n"
        return cls(head, tail, bare_head, bare_tail)

    def wrap(self, content: str, *, title: str, depth: int) -> str:
        """The page at `depth` folders below the site root: the frame's relative URLs re-rooted
        (only the frame's: the content's links are already relative to its own page)."""
        head, tail = self._at(self.head, self.tail, depth)
        return head.replace(SHELL_TITLE, _attr(title), 2) + content + tail

    def bare(self, content: str, *, title: str, depth: int) -> str:
        """The page at `depth` in the light frame (see the class)."""
        head, tail = self._at(self.bare_head, self.bare_tail, depth)
        return head.replace(SHELL_TITLE, _attr(title), 1) + content + tail

    @staticmethod
    def _at(head: str, tail: str, depth: int) -> tuple[str, str]:
        if depth == 1:
            return head, tail
        prefix = "../" * depth

        def move(html: str) -> str:
            return html.replace('"../', '"' + prefix).replace('".."', '"' + prefix[:-1] + '"')

        return move(head), move(tail)


def _attr(text: str) -> str:
    return str(markupsafe.escape(text))


def environment() -> Environment:
    """Autoescape everywhere: catalogue text must never become markup."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = labels.date
    env.filters["money"] = labels.money
    env.filters["deadline"] = labels.deadline
    env.filters["decision"] = labels.decision
    env.globals["L"] = labels
    return env


@dataclass
class SiteData:
    """What every page may refer to: names of fields, agencies, life events, other procedures."""

    today: str
    fields: dict[str, str]
    agencies: dict[str, dict]
    forms: set[str]
    life_events: dict[str, str]
    summaries: dict[str, dict]  # code -> browse.summary() of every procedure
    templates: set[str] = field(default_factory=set)  # files under catalogue/templates/
    life_event_docs: dict[str, dict] = field(default_factory=dict)

    @property
    def browsed(self) -> dict[str, set[str]]:
        """Fields and levels that have a browse page (an old version may name one that has not)."""
        if not hasattr(self, "_browsed"):
            self._browsed = {
                "field": {s["field"] for s in self.summaries.values()},
                "levels": {x for s in self.summaries.values() for x in s["levels"]},
            }
        return self._browsed


def shown_version(versions: list[dict], today: str) -> dict:
    """The version the stable URL shows: in force today, else the first scheduled, else the last."""
    for v in versions:
        if v["effective_from"] <= today and ("effective_to" not in v or today < v["effective_to"]):
            return v
    future = [v for v in versions if v["effective_from"] > today]
    return future[0] if future else versions[-1]


def _state(v: dict, today: str) -> str:
    if v["effective_from"] > today:
        return "future"
    if v.get("effective_to") and v["effective_to"] <= today:
        return "past"
    return "current"


def _notice(last: dict, today: str, site: SiteData) -> dict | None:
    ended = last.get("ended")
    if not ended:
        return None
    end = last.get("effective_to")
    done = bool(end) and end <= today
    replaced = [
        {"code": c, "name": site.summaries.get(c, {}).get("name"), "known": c in site.summaries}
        for c in ended.get("replaced_by", [])
    ]
    return {
        "kind": ended["kind"],
        "done": done,
        "end": end,
        "decision": ended.get("decision"),
        "note": ended.get("note"),
        "replaced": replaced,
    }


def _calculator(v: dict) -> list[dict]:
    out = []
    for c in v["channels"]:
        d = c.get("deadline") or {}
        amount = d.get("amount")
        out.append(
            {
                "channel": labels.CHANNELS[c["kind"]],
                "amount": amount if isinstance(amount, int) else None,
                "unit": d.get("unit", "unpublished"),
            }
        )
    return out


def procedure_pages(
    code: str, versions: list[dict], env: Environment, shell: Shell, site: SiteData
) -> list[tuple[str, str]]:
    """(path below the site, HTML) for the stable page and every version's permanent page."""
    today = site.today
    shown = shown_version(versions, today)
    history = []
    for i, v in enumerate(versions):
        changes = compare(versions[i - 1], v) if i else []
        history.append(
            {
                "from": v["effective_from"],
                "to": v.get("effective_to"),
                "state": _state(v, today),
                "kind": v.get("change", {}).get("kind"),
                "summary": v.get("change", {}).get("summary"),
                "changes": [c.markdown() for c in changes],
                "decision": v.get("decision"),
            }
        )
    notice = _notice(versions[-1], today, site)
    template = env.get_template("procedure.html.j2")
    pages = []
    for v in [None, *versions]:
        version = v or shown
        depth = 2 if v is None else 3
        root = "../" * depth
        home = f"{root}thu-tuc/{code}/"
        picker = [{"from": h["from"], "to": h["to"], "url": f"{home}{h['from']}/"} for h in history]
        content = template.render(
            v=version,
            code=code,
            root=root,
            home=home,
            permalink=v is not None,
            state=_state(version, today),
            history=history,
            notice=notice,
            site=site,
            picker=picker,
            calculator=_calculator(version),
            form=site.summaries[code].get("form") in site.forms,
            # The service is described once, on its stable page; a version's permalink is a record.
            jsonld=markupsafe.Markup(
                opendata.government_service_jsonld(
                    version, opendata.procedure_url(code), site.agencies, site.fields
                )
            )
            if v is None
            else None,
        )
        path = f"thu-tuc/{code}/" + ("" if v is None else f"{v['effective_from']}/")
        title = (
            version["name"]
            if v is None
            else f"{version['name']} (từ {labels.date(v['effective_from'])})"
        )
        pages.append((path + "index.html", shell.wrap(content, title=title, depth=depth)))
    pages.append(checklist_page(code, shown, env, shell, site))
    return pages


def checklist_page(
    code: str, version: dict, env: Environment, shell: Shell, site: SiteData
) -> tuple[str, str]:
    """`thu-tuc/<code>/in/`: what to bring, pay and where to go, made to be printed, with a QR
    code back to the procedure's public page (printed pages get carried to the counter). In the
    light frame: a printout needs no site navigation, and 10,000 of them weigh half as much."""
    url = opendata.procedure_url(code)
    content = env.get_template("checklist.html.j2").render(
        v=version,
        code=code,
        root="../../../",
        home="../",
        url=url,
        qr=markupsafe.Markup(opendata.qr_svg(url)),
        state=_state(version, site.today),
        site=site,
    )
    title = f"Danh sách giấy tờ: {version['name']}"
    return f"thu-tuc/{code}/in/index.html", shell.bare(content, title=title, depth=3)


_HREF = re.compile(r'(?:href|src|action)="([^"]*)"')


def check_links(path: str, html: str, exists: Callable[[str], bool]) -> list[str]:
    """Broken internal links of one page (`path` below the site root)."""
    base = path.rsplit("/", 1)[0].split("/") if "/" in path else []
    broken = []
    for url in set(_HREF.findall(html)):
        if url.startswith(("#", "mailto:", "tel:", "data:")):
            continue
        if re.match(r"^[a-z]+:", url) or url.startswith("//"):
            broken.append(f"{path}: liên kết ra ngoài trang: {url}")
            continue
        target = url.split("#", 1)[0].split("?", 1)[0]
        parts = list(base)
        for piece in target.split("/"):
            if piece == "..":
                if not parts:
                    broken.append(f"{path}: liên kết ra ngoài gốc trang: {url}")
                    break
                parts.pop()
            elif piece not in ("", "."):
                parts.append(piece)
        else:
            resolved = "/".join(parts) + ("/" if target.endswith("/") or not target else "")
            if not exists(resolved):
                broken.append(f"{path}: liên kết hỏng: {url}")
    return broken


# --- parallel rendering -------------------------------------------------------------------

_job: dict[str, Any] = {}


def _render_chunk(codes: list[str]) -> tuple[int, list[str], dict[str, Any]]:
    env, shell, site = _job["env"], _job["shell"], _job["site"]
    out, exists, also = _job["out"], _job["exists"], _job["also"]
    written, problems, extras = 0, [], {}
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
            problems.extend(check_links(path, html, known))
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
            written += 1
    return written, problems, extras


def _where(error: TemplateError) -> str:
    """template:line of a rendering error; Jinja2 maps its frames back to template lines."""
    name, line = getattr(error, "filename", None), getattr(error, "lineno", None)
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.endswith(".j2"):
            name, line = frame.filename, frame.lineno
    if name:
        name = os.path.relpath(name, ROOT) if os.path.isabs(name) else name
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
) -> tuple[int, list[str], dict[str, Any]]:
    """Render the given procedures into `out`; (pages written, problems, {code: what `also`
    returned}). `also(code, versions)` runs in the same workers: other per-procedure work of the
    build (its search record, its open data) shares the processes and their copy of the
    catalogue; what it returns comes back through the pipe. Progress to stderr."""
    codes = sorted(codes)
    _job.update(
        env=environment(),
        shell=shell,
        site=site,
        out=out,
        exists=exists,
        procedures=procedures,
        files=files,
        also=also,
    )
    workers = workers if workers is not None else (os.cpu_count() or 1)
    chunks = [codes[i : i + CHUNK] for i in range(0, len(codes), CHUNK)]
    written, problems, extras, done = 0, [], {}, 0
    try:
        if workers > 1 and len(codes) >= PARALLEL_FROM and "fork" in _start_methods():
            import multiprocessing

            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                results = pool.map(_render_chunk, chunks)
                for chunk, (count, found, more) in zip(chunks, results, strict=True):
                    written, done = written + count, done + len(chunk)
                    problems.extend(found)
                    extras.update(more)
                    _progress(done, len(codes))
        else:
            for chunk in chunks:
                count, found, more = _render_chunk(chunk)
                written, done = written + count, done + len(chunk)
                problems.extend(found)
                extras.update(more)
                _progress(done, len(codes))
    finally:
        _job.clear()
    return written, problems, extras


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def _progress(done: int, total: int) -> None:
    if total >= 1000 and (done % 2000 < CHUNK or done == total):
        print(f"Đã dựng {done}/{total} trang thủ tục...", file=sys.stderr, flush=True)


def dumps(value: Any) -> str:
    """Compact JSON for data files (the working calendar)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
