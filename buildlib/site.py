"""`build.py build`: catalogue -> site/, full or incremental.

mkdocs-material builds only the hand-sized pages (home, about, and a hidden shell page); every
procedure, agency and browse page is rendered by buildlib/render.py into the shell's frame and
written straight into site/. Why: mkdocs with one page per procedure is quadratic (2,000
procedures: 282 s, 7 GB), this is linear (see bench/site_bench.py).

Incremental: build/cache/pages.marshal keeps a hash per procedure (its files' bytes) and one for
everything else a page depends on (other catalogue files, templates, build code, shell). When
only procedures changed, only they are loaded, checked and rendered again (plus the procedures
that name them); browse pages come from cached summaries and are rendered only when their inputs
changed, the search index from cached records, the open data from cached fragments
(opendata.Fragment); mkdocs is skipped when its inputs did not change. Everything is checked
before anything is written.
"""

import contextlib
import datetime as dt
import gc
import hashlib
import importlib.util
import json
import marshal
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from . import apply, browse, opendata, search, webfont
from .bundle import catalogue_revision
from .catalogue import Catalogue, Document, discover, load, load_jobs
from .checks import run_all
from .opendata import Fragment, write_open_data
from .render import (
    RenderError,
    Shell,
    SiteData,
    check_links,
    dumps,
    environment,
    render_procedures,
)

ROOT = Path(__file__).resolve().parent.parent
THEME = ROOT / "theme"
CACHE_VERSION = 4  # 2: search records cached per procedure; 3: summary has the form; 4: browse
OUR_DIRS = ("thu-tuc", "co-quan", "duyet", "su-kien", "mau")
CODE_INPUTS = (
    "render.py",
    "browse.py",
    "site.py",
    "labels.py",
    "diff.py",
    "opendata.py",
    "search.py",
    "apply.py",
    "qr.py",
)
CALENDAR_DAYS = 400


def _digest(paths: list[Path], extra: str = "") -> str:
    h = hashlib.blake2b(extra.encode(), digest_size=16)
    for path in paths:
        h.update(str(path.name).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def _files(folder: Path, skip=lambda p: False) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not skip(p))


def _theme_asset(path: Path) -> bool:
    """Our assets; search* belongs to the search build (buildlib/search.py)."""
    return not path.name.startswith("search")


def shell_inputs() -> str:
    from importlib.metadata import version

    paths = [ROOT / "mkdocs.yml", *_files(THEME / "overrides"), *_files(THEME / "pages")]
    paths += [p for p in _files(THEME / "assets") if _theme_asset(p)]
    paths += webfont.inputs()
    return _digest(paths, version("mkdocs") + version("mkdocs-material"))


def _scan(catalogue_dir: Path) -> tuple[dict[str, str], dict[str, list[Path]], str]:
    """Hash per procedure folder, its files, and one hash over every other catalogue file."""
    per_code: dict[str, list[Path]] = {}
    others: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(catalogue_dir):
        dirnames.sort()
        rel = Path(dirpath).relative_to(catalogue_dir).parts
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if len(rel) == 2 and rel[0] == "procedures":
                per_code.setdefault(rel[1], []).append(path)
            else:
                others.append(path)
    hashes = {code: _digest(paths) for code, paths in per_code.items()}
    rels = "".join(str(p.relative_to(catalogue_dir)) for p in others)
    return hashes, per_code, _digest(others, rels)


def _shown_index(ranges: list[list], today: str) -> int:
    """Which version the stable page shows today (render.shown_version, from cached ranges)."""
    for i, (start, end) in enumerate(ranges):
        if start <= today and (end is None or today < end):
            return i
    future = [i for i, (start, _) in enumerate(ranges) if start > today]
    return future[0] if future else len(ranges) - 1


def _day_state(ranges: list[list], today: str) -> str:
    """Everything about `today` a procedure page shows: the version shown and each one's state."""
    states = "".join("f" if s > today else ("p" if e and e <= today else "c") for s, e in ranges)
    return f"{_shown_index(ranges, today)}:{states}"


def _load_partial(catalogue_dir: Path, codes: set[str], others: dict[str, Any]) -> Catalogue:
    """The catalogue with only `codes` loaded; other procedures are known by name (data None),
    so cross-checks see them as existing without reading 10,000 files. `others` holds the data
    of the other files (forms, agencies...) as the last build loaded them, by path: they are
    unchanged (same hash), so they are not parsed and validated again."""
    catalogue_dir = catalogue_dir.resolve()
    root = catalogue_dir.parent
    wanted, kept, stubs = [], [], []
    for kind, path in discover(catalogue_dir):
        code = path.parent.name if kind == "procedure" else None
        rel = str(path.relative_to(root))
        if kind == "procedure" and code not in codes:
            stubs.append(Document(kind, rel, path, None))
        elif kind != "procedure" and rel in others:
            kept.append(Document(kind, rel, path, others[rel]))
        else:
            wanted.append((kind, str(path), rel))
    results = load_jobs(wanted, ROOT / "schemas")
    catalogue = Catalogue(root=catalogue_dir)
    for (kind, path, rel), (data, problems) in zip(wanted, results, strict=True):
        catalogue.documents.append(Document(kind, rel, Path(path), data))
        catalogue.problems.extend(problems)
    catalogue.documents.extend(kept + stubs)
    return catalogue


def _load_procedures(
    catalogue_dir: Path, codes: set[str], per_code: dict[str, list[Path]]
) -> dict[str, list[dict]]:
    """Just these procedures' versions (already checked in an earlier build, unchanged since)."""
    root = catalogue_dir.resolve().parent
    jobs = [
        ("procedure", str(path), str(path.resolve().relative_to(root)))
        for code in sorted(codes)
        for path in sorted(per_code[code])
    ]
    out: dict[str, list[dict]] = {}
    for (_, path, _), (data, _) in zip(jobs, load_jobs(jobs, ROOT / "schemas"), strict=True):
        out.setdefault(Path(path).parent.name, []).append(data)
    for versions in out.values():
        versions.sort(key=lambda v: v["effective_from"])
    return out


def _published_versions(
    codes: set[str], site_dir: Path, catalogue_dir: Path, per_code: dict[str, list[Path]]
) -> dict[str, list[dict]]:
    """Versions of procedures that did not change: read back from their own open-data file (all
    versions, as edited), far cheaper than their YAML, which is read when that file is missing."""
    out, missing = {}, set()
    for c in codes:
        published = site_dir / "du-lieu-mo" / "thu-tuc" / f"{c}.json"
        if published.is_file():
            out[c] = json.loads(published.read_text(encoding="utf-8"))["versions"]
        else:
            missing.add(c)
    if missing:
        out.update(_load_procedures(catalogue_dir, missing, per_code))
    return out


def _cached(path: Path, key: list) -> Any:
    """What the previous build saved to `path` with the same `key`, else None. marshal, not
    JSON: at 10,000 procedures the page cache loads and saves in ~0.2 s instead of ~0.5 s, and the
    open-data fragments (~75 MB of JSON text) in ~0.2 s instead of seconds as JSON strings.
    marshal's format belongs to the Python version, which is in the key."""
    try:
        data = path.read_bytes()  # marshal.load on a file reads it object by object
        with _no_gc():
            cached = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(cached, dict) or cached.get("key") != [sys.version, *key]:
        return None
    return cached["value"]


def _save(path: Path, key: list, value: Any) -> None:
    with _no_gc():
        data = marshal.dumps({"key": [sys.version, *key], "value": value})
    path.write_bytes(data)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic collector re-scans the hundreds of thousands of young objects a cache holds
    while they are made (as in catalogue.load); none of them form cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _errors(catalogue: Catalogue, out: TextIO) -> bool:
    errors = [p for p in catalogue.problems + run_all(catalogue) if p.severity == "error"]
    for problem in errors:
        print(problem.text(), file=out)
    if errors:
        print(f"Không dựng trang: {len(errors)} lỗi trong danh mục.", file=out)
    return bool(errors)


def _run_mkdocs(site_dir: Path, work: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    docs = work / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    shutil.copytree(THEME / "pages", docs)
    (docs / "assets").mkdir(exist_ok=True)
    for asset in _files(THEME / "assets"):
        if _theme_asset(asset):
            shutil.copy2(asset, docs / "assets" / asset.name)
    webfont.copy_fonts(docs / "assets" / "fonts")
    build(load_config(str(ROOT / "mkdocs.yml"), docs_dir=str(docs), site_dir=str(site_dir)))


def _calendar_script(catalogue: Catalogue, today: str) -> str:
    """Non-working days of the next ~400 days, for the expected-result-date calculator."""
    spec = importlib.util.spec_from_file_location(
        "motcua_calendar", ROOT / "functions" / "chalicelib" / "calendar.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    calendar = module.WorkingCalendar.from_documents(d.data for d in catalogue.of_kind("calendar"))
    start = dt.date.fromisoformat(today)
    days = [start + dt.timedelta(days=i) for i in range(CALENDAR_DAYS)]
    off = [d.isoformat() for d in days if not calendar.is_working_day(d)]
    data = {"from": days[0].isoformat(), "to": days[-1].isoformat(), "off": off}
    return f"window.MOTCUA_NGAY_NGHI={dumps(data)};\n"


def _site_data(catalogue: Catalogue, today: str, summaries: dict[str, dict]) -> SiteData:
    templates = catalogue.root / "templates"
    return SiteData(
        today=today,
        fields={f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]},
        agencies={d.data["id"]: d.data for d in catalogue.of_kind("agency")},
        forms={d.data["id"] for d in catalogue.of_kind("form")},
        life_events={d.data["id"]: d.data["name"] for d in catalogue.of_kind("life-event")},
        life_event_docs={d.data["id"]: d.data for d in catalogue.of_kind("life-event")},
        summaries=summaries,
        templates={str(p.relative_to(templates)) for p in _files(templates)}
        if templates.is_dir()
        else set(),
    )


def _write_application_pages(
    env, shell, catalogue, forms, procedures, site_dir, today, only: set[str] | None = None
) -> None:
    """`only`: the codes whose pages may have changed (a rebuild), else all of them."""
    if only is None:
        shutil.rmtree(site_dir / "nop-ho-so", ignore_errors=True)
    for c in only or ():
        shutil.rmtree(site_dir / "nop-ho-so" / c, ignore_errors=True)
    units = [d.data for d in catalogue.of_kind("units")]
    agencies = {d.data["id"]: d.data for d in catalogue.of_kind("agency")}
    written = list(
        apply.pages(
            env,
            shell,
            forms=forms,
            procedures=procedures,
            agencies=agencies,
            units=units,
            today=today,
        )
    )
    for path, text in [*written, *apply.unit_files(units)]:
        target = site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def build_command(
    catalogue_dir: Path,
    *,
    out: TextIO,
    today: str | None = None,
    site_dir: Path | None = None,
    cache_dir: Path | None = None,
    full: bool = False,
    workers: int | None = None,
) -> int:
    started = time.perf_counter()
    today = today or dt.date.today().isoformat()
    site_dir = (site_dir or ROOT / "site").resolve()
    cache_dir = (cache_dir or ROOT / "build" / "cache").resolve()
    cache_file = cache_dir / "pages.marshal"
    hashes, per_code, others = _scan(catalogue_dir)
    code = _digest(
        [
            *_files(THEME / "templates"),
            *(Path(__file__).parent / n for n in CODE_INPUTS),
            apply.RULES_MODULE,
        ]
    )
    shell_hash = shell_inputs()
    cache = (None if full else _cached(cache_file, [CACHE_VERSION])) or {}
    shell_file = site_dir / "_shell" / "index.html"
    keep_shell = (
        cache.get("version") == CACHE_VERSION
        and cache.get("site") == str(site_dir)
        and cache.get("shell") == shell_hash
        and shell_file.exists()
    )
    incremental = keep_shell and cache.get("others") == others and cache.get("code") == code
    old: dict[str, dict] = cache.get("procedures", {}) if incremental else {}
    cached_others = None

    if incremental:
        changed = {
            c
            for c, h in hashes.items()
            if c not in old
            or old[c]["hash"] != h
            or old[c]["day"] != _day_state(old[c]["summary"]["ranges"], today)
        }
        removed = set(old) - set(hashes)
        if not changed and not removed and cache.get("today") == today:
            print("Không có gì thay đổi kể từ lần dựng trước.", file=out)
            return 0
        cached_others = _cached(cache_dir / "others.marshal", [CACHE_VERSION, others, code])
        catalogue = _load_partial(catalogue_dir, changed, cached_others or {})
    else:
        changed, removed = set(hashes), set()
        catalogue = load(catalogue_dir)
    if _errors(catalogue, out):
        return 1
    procedures = {c: [d.data for d in docs] for c, docs in catalogue.procedures().items()}
    summaries = {c: old[c]["summary"] for c in hashes if c in old}
    renamed = set(removed)
    for c in changed:
        summaries[c] = browse.summary(procedures[c], today)
        if c in old and (
            old[c]["summary"]["name"] != summaries[c]["name"]
            or old[c]["summary"]["status"] != summaries[c]["status"]
        ):
            renamed.add(c)
    dependents = {c for c, s in summaries.items() if renamed & set(s["refs"])} - changed
    if dependents:  # their links to a renamed or ended procedure must say so
        procedures.update(_load_procedures(catalogue_dir, dependents, per_code))
    todo = changed | dependents

    if not keep_shell:
        print("Dựng khung trang bằng mkdocs...", file=out)
        try:
            _run_mkdocs(site_dir, cache_dir)
        except Exception as error:  # mkdocs' strict mode: a warning aborts the build
            print(f"mkdocs: {error}", file=out)
            return 1
    elif not incremental:
        for name in OUR_DIRS:
            shutil.rmtree(site_dir / name, ignore_errors=True)
    for c in removed | todo:
        shutil.rmtree(site_dir / "thu-tuc" / c, ignore_errors=True)
    shell = Shell.from_html(shell_file.read_text(encoding="utf-8"))
    site = _site_data(catalogue, today, summaries)
    assets = site_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    (assets / "ngay-nghi.js").write_text(_calendar_script(catalogue, today), encoding="utf-8")
    templates = catalogue.root / "templates"
    if templates.is_dir():
        shutil.copytree(templates, site_dir / "mau", dirs_exist_ok=True)

    env = environment()
    try:
        made = dict(cache.get("browse", {})) if incremental else {}
        browse_pages = list(browse.pages(env, shell, site, made))
    except Exception as error:
        print(f"Không dựng được trang duyệt: {error}", file=out)
        return 1
    known = {"", "gioi-thieu/", "du-lieu-mo/"} | {p[: -len("index.html")] for p, _ in browse_pages}
    forms = {d.data["id"]: d.data for d in catalogue.of_kind("form")}
    known.update(f"nop-ho-so/{c}/" for c, s in summaries.items() if s.get("form") in forms)
    for c, s in summaries.items():
        known.add(f"thu-tuc/{c}/")
        known.update(f"thu-tuc/{c}/{start}/" for start, _ in s["ranges"])

    def exists(path: str) -> bool:
        return path in known or (not path.endswith("/") and (site_dir / path).is_file())

    problems = []
    for path in set(made) - {p for p, _ in browse_pages}:  # e.g. a field without procedures
        del made[path]
        (site_dir / path).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # its folder, unless something else is in it
            (site_dir / path).parent.rmdir()
    for path, html in browse_pages:
        if html is None:  # made from the same inputs as the file already there
            continue
        problems.extend(check_links(path, html, exists))
        target = site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    # Each changed procedure's search record (its folded, weighted tokens) and open-data
    # fragment are made in the render workers, which also write its own open-data file.
    fields = {f["id"]: f["name"] for d in catalogue.of_kind("field") for f in d.data["fields"]}
    agencies = {d.data["id"]: d.data["name"] for d in catalogue.of_kind("agency")}
    revision = catalogue_revision()

    def data_of(c: str, versions: list[dict]) -> tuple[dict, tuple] | None:
        if c not in changed:  # re-rendered for a renamed procedure's name: its data is the same
            return None
        version, ended = search.shown_version(versions, today)
        made = opendata.fragment(c, versions, today, fields, agencies)
        opendata.write_single(site_dir, c, made.versions, revision, today)
        return search.record(version, ended, fields, agencies), tuple(made)

    try:
        written, found, data = render_procedures(
            todo,
            procedures,
            shell=shell,
            site=site,
            out=site_dir,
            exists=exists,
            files={c: f"catalogue/procedures/{c}" for c in todo},
            workers=workers,
            also=data_of,
        )
    except RenderError as error:
        print(str(error), file=out)
        return 1
    problems.extend(found)
    if problems:
        for problem in problems[:50]:
            print(problem, file=out)
        print(f"Dựng trang thất bại: {len(problems)} lỗi.", file=out)
        cache_file.unlink(missing_ok=True)  # the next build starts from scratch
        return 1

    # The search index: records are cached with the page hash, so a rebuild tokenises only what
    # changed and re-assembles the shards.
    search_records = {c: old[c]["search"] for c in summaries if c in old and c not in changed}
    search_records.update({c: data[c][0] for c in changed})
    search.write_files(search.assemble(list(search_records.values())), site_dir, measure=False)
    shutil.copy2(THEME / "assets" / "search.js", assets / "search.js")

    # Open data covers every procedure, but only changed ones are serialised again: the others'
    # shares of the catalogue-wide files come from the previous build (opendata.Fragment).
    fragment_file = cache_dir / "opendata.marshal"
    fragment_key = [CACHE_VERSION, str(site_dir), shell_hash, others, code]
    cached_fragments = (_cached(fragment_file, fragment_key) if incremental else None) or {}
    fragments = {c: Fragment(*f) for c, f in cached_fragments.items()}
    singles = site_dir / "du-lieu-mo" / "thu-tuc"
    published = (
        {n.removesuffix(".json") for n in os.listdir(singles)} if singles.is_dir() else set()
    )
    fragments.update({c: Fragment(*data[c][1]) for c in changed})  # made by the workers
    stale = {c for c in hashes if c not in fragments or c not in published} - changed
    serialise = {c: procedures[c] for c in stale if c in procedures}
    serialise.update(_published_versions(stale - set(serialise), site_dir, catalogue_dir, per_code))
    _, fragments = write_open_data(
        catalogue,
        site_dir,
        today,
        revision,
        shell=shell,
        procedures=serialise,
        fragments={c: f for c, f in fragments.items() if c in hashes and c not in stale},
    )
    # Application pages need the procedures whose version in force has a form. A rebuild redoes
    # only changed procedures' pages: forms, agencies and units are "others" (a full build).
    redo = changed | removed if incremental else None
    with_form = {
        c for c, s in summaries.items() if s.get("form") in forms and (redo is None or c in redo)
    }
    applying = {c: procedures[c] for c in with_form if c in procedures}
    applying.update(
        _published_versions(with_form - set(applying), site_dir, catalogue_dir, per_code)
    )

    # Application pages and the units their address questions load.
    try:
        _write_application_pages(env, shell, catalogue, forms, applying, site_dir, today, redo)
    except Exception as error:
        print(f"Không dựng được trang nộp hồ sơ: {error}", file=out)
        return 1

    cache_dir.mkdir(parents=True, exist_ok=True)
    entries = {
        c: {
            "hash": hashes[c],
            "summary": s,
            "day": _day_state(s["ranges"], today),
            "search": search_records[c],
        }
        for c, s in summaries.items()
    }
    _save(fragment_file, fragment_key, {c: tuple(f) for c, f in fragments.items()})
    if not incremental or cached_others is None:
        loaded = {d.rel: d.data for d in catalogue.documents if d.kind != "procedure"}
        _save(cache_dir / "others.marshal", [CACHE_VERSION, others, code], loaded)
    _save(
        cache_file,
        [CACHE_VERSION],
        {
            "version": CACHE_VERSION,
            "site": str(site_dir),
            "shell": shell_hash,
            "others": others,
            "code": code,
            "today": today,
            "procedures": entries,
            "browse": made,
        },
    )
    kind = "một phần" if incremental else "toàn bộ"
    seconds = time.perf_counter() - started
    print(
        f"Đã dựng ({kind}) {len(todo)} thủ tục, {written} trang thủ tục, "
        f"{sum(h is not None for _, h in browse_pages)} trang duyệt vào {site_dir} "
        f"trong {seconds:.1f} s",
        file=out,
    )
    return 0
