"""Atom feeds (RFC 4287) of the catalogue's changes: one per procedure (`thu-tuc/<code>/`), per
field (`duyet/linh-vuc/<field>/`) and per agency (`co-quan/<agency>/`), each `thay-doi.xml` in
its page's folder, which names it with `<link rel="alternate feed">`.

An entry is a change that has come into force by the build's date: a version from its
`effective_from` (what changed from the version before, as `build.py diff` says it), an ending
(abolished, replaced) from its `effective_to`. A scheduled version enters the feeds on its date,
with the daily build (deploy/systemd/motcua-build.timer, .github/workflows/publish.yml); until
then its procedure's page says "áp dụng từ …".

Ids are the version's permanent page under the public URL (`paths.site_url()`), so an entry keeps
its id from one build to the next. `entries` is kept in each procedure's browse summary (the
page cache), so field and agency feeds need no procedure loaded again: packed (`pack`), as one
bytes object, which the page cache reads as one (the entries were half of its 14 MB at 10,000
procedures, read by every rebuild as ~100,000 objects; a rename's feeds unpack ~1 in 5).
"""

import functools
import marshal
import re
from collections.abc import Iterable
from pathlib import Path

import markupsafe

from buildlib import paths
from buildlib.catalogue import labels
from buildlib.catalogue.changes import compare, ended_text

FILE = "thay-doi.xml"
ATOM = "http://www.w3.org/2005/Atom"
ZONE = "+07:00"  # the dates are Vietnam's
LIMIT = 50  # entries per feed, newest first


def entries(code: str, versions: list[dict], today: str) -> list[dict]:
    """The procedure's changes in force by `today`, oldest first (JSON-able, for the cache)."""
    out = []
    for i, version in enumerate(versions):
        start = str(version["effective_from"])
        if start > today:
            continue
        change = version.get("change", {})
        lines = [c.markdown() for c in compare(versions[i - 1], version)] if i else []
        if change.get("summary"):
            lines.insert(0, change["summary"])
        lines.append(f"Quyết định {labels.decision(version.get('decision'))}.")
        out.append(
            {
                "path": f"thu-tuc/{code}/{start}/",
                "date": start,
                "title": f"{version['name']}: áp dụng từ {labels.date(start)}",
                "text": "\n".join(lines),
            }
        )
    last = versions[-1]
    end = last.get("effective_to")
    if last.get("ended") and end is not None and str(end) <= today:
        text = ended_text(last) or ""
        out.append(
            {
                "path": f"thu-tuc/{code}/#het-hieu-luc-{end}",
                "date": str(end),
                "title": f"{last['name']}: {text} từ {labels.date(str(end))}",
                "text": f"{text.capitalize()} từ {labels.date(str(end))}.",
            }
        )
    return out


def pack(items: list[dict]) -> bytes:
    """`entries` as the summary keeps them: b"" when there are none."""
    return marshal.dumps(items) if items else b""


def unpack(packed: bytes) -> list[dict]:
    return marshal.loads(packed) if packed else []


@functools.cache
def site_name() -> str:
    """The feeds' author: the site's name, mkdocs.yml's `site_name` (read as text: the file has
    mkdocs' own YAML tags)."""
    text = paths.MKDOCS_CONFIG.read_text(encoding="utf-8")
    found = re.search(r"^site_name:\s*(.+?)\s*$", text, re.MULTILINE)
    return found[1].strip("\"'") if found else "MotCua"


def feed(path: str, title: str, items: Iterable[dict]) -> str:
    """The Atom document for the page at `path` (below the site, ending in '/'), from entries
    made by `entries`: newest first, at most LIMIT. Written as text, byte for byte what
    ElementTree.tostring(..., xml_declaration=True) made of the same elements (tests/test_feeds.py
    compares them): 10,000 procedure feeds through ElementTree were ~2 CPU s of a full build."""
    return _document(path, title, newest(items))


def newest(items: Iterable[dict]) -> list[dict]:
    """The entries a feed shows: newest first, at most LIMIT."""
    return sorted(items, key=_key, reverse=True)[:LIMIT]


def _key(entry: dict) -> tuple[str, str]:
    return entry["date"], entry["path"]


def _document(path: str, title: str, chosen: list[dict]) -> str:
    base = paths.site_url()
    own = _attribute(base + path + FILE)
    # A feed without entries still needs `updated`: a fixed date keeps the file the same.
    parts = [
        "<?xml version='1.0' encoding='utf-8'?>\n",
        f'<feed xmlns="{ATOM}" xml:lang="vi">',
        _element("id", base + path + FILE),
        _element("title", title),
        _element("updated", _instant(chosen[0]["date"] if chosen else "2025-01-01")),
        f'<link rel="self" type="application/atom+xml" href="{own}" />',
        f'<link rel="alternate" type="text/html" href="{_attribute(base + path)}" />',
        f"<author>{_element('name', site_name())}</author>",
    ]
    for item in chosen:
        parts += [
            "<entry>",
            _element("id", base + item["path"]),
            _element("title", item["title"]),
            _element("updated", _instant(item["date"])),
            f'<link rel="alternate" type="text/html" href="{_attribute(base + item["path"])}" />',
            _element("summary", item["text"], ' type="text"'),
            "</entry>",
        ]
    parts.append("</feed>\n")
    return "".join(parts)


def _element(tag: str, text: str, attributes: str = "") -> str:
    """An element holding text (ElementTree's short form when it is empty)."""
    if not text:
        return f"<{tag}{attributes} />"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<{tag}{attributes}>{text}</{tag}>"


def _attribute(value: str) -> str:
    """An attribute's value, escaped as ElementTree escapes it."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = value.replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
    return value.replace("\t", "&#09;")


def _instant(date: str) -> str:
    return f"{date}T00:00:00{ZONE}"


def link(title: str) -> str:
    """The `<link rel="alternate feed">` a page names its feed with (it sits in the page's
    folder). Feed readers look for the `alternate` token; the second token keeps the link out of
    mkdocs-material's `link[rel=alternate]` (an exact match), which takes every such link for a
    language version of the site and fetches `sitemap.xml` beside it: a 404 in each page's
    console (bench/lighthouse.py, tests/browser/test_clean_loads.py)."""
    title = markupsafe.escape(title)
    return (
        f'<link rel="alternate feed" type="application/atom+xml" title="{title}" href="{FILE}">\n'
    )


def write_procedure(site_dir: Path, code: str, summary: dict) -> None:
    """The procedure's own feed, `thu-tuc/<code>/thay-doi.xml` (the build's render workers write
    it with the procedure's pages)."""
    _write(site_dir, f"thu-tuc/{code}/", f"Thay đổi: {summary['name']}", unpack(summary["changes"]))


def _write(site_dir: Path, path: str, title: str, items: Iterable[dict]) -> list[dict]:
    """Writes the feed; returns the entries it shows."""
    chosen = newest(items)
    target = site_dir / path / FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_document(path, title, chosen), encoding="utf-8")
    return chosen


# A field or agency feed's last entry when it shows LIMIT of them, as `_key` (date, path): an
# entry older than that is not shown.
Cutoff = tuple[str, str]


def write_all(
    site_dir: Path,
    summaries: dict[str, dict],
    *,
    fields: dict[str, str],
    agencies: dict[str, str],
    touched: list[dict] | None = None,
    cutoffs: dict[str, Cutoff] | None = None,
) -> dict[str, Cutoff]:
    """Writes the feeds of the fields and agencies (from every summary's entries); returns the
    cutoff of each one showing LIMIT entries, by its folder (`cutoffs` of the next build).

    `touched` (a rebuild on the same date, with the same other catalogue files): the summaries,
    before and after, of every procedure that changed, appeared or went. A field or agency feed
    that none of them is in has the same entries as the file already there, which is kept (a
    rebuild after one change rewrote ~100 feeds for the one or two whose entries changed). So is
    a feed they are in when it shows LIMIT entries and each of theirs, before and after, is
    older than its last one (`cutoffs`, what the last build returned): it shows the same ones (a
    rename at 10,000 procedures rewrote the feeds of its field and agencies, ~8,600 procedures'
    entries unpacked, ~0.08 s, for none of them changed)."""
    site = site_dir
    before = cutoffs or {}
    made: dict[str, Cutoff] = {}

    def write(path: str, title: str, items: Iterable[dict]) -> None:
        chosen = _write(site, path, title, items)
        if len(chosen) == LIMIT:
            made[path] = _key(chosen[-1])

    slugs = labels.SLUGS.get("field", {})
    every_field = {summary["field"] for summary in summaries.values()}
    wanted = {f"duyet/linh-vuc/{slugs.get(f, f)}/" for f in every_field}
    wanted |= {f"co-quan/{a}/" for a in agencies}
    for folder in ("duyet/linh-vuc", "co-quan"):  # a field or agency left without its page
        for stale in site.glob(f"{folder}/*/{FILE}*"):
            if f"{folder}/{stale.parent.name}/" not in wanted:
                stale.unlink()
    # the newest of the touched procedures' entries (before and after) in each feed they are in
    newest_touched: dict[str, Cutoff] = {}
    for s in touched or ():
        latest = max(map(_key, unpack(s["changes"])), default=("", ""))
        field_path = f"duyet/linh-vuc/{slugs.get(s['field'], s['field'])}/"
        for path in [field_path, *(f"co-quan/{a}/" for a in _agencies(s))]:
            newest_touched[path] = max(newest_touched.get(path, latest), latest)

    def redo(path: str) -> bool:
        if touched is None or not (site / path / FILE).is_file():
            return True
        if path not in newest_touched:
            return False
        cutoff = before.get(path)
        return cutoff is None or newest_touched[path] >= cutoff

    field_paths = {f: f"duyet/linh-vuc/{slugs.get(f, f)}/" for f in every_field}
    redo_fields = {f for f, path in field_paths.items() if redo(path)}
    redo_agencies = {a for a in agencies if redo(f"co-quan/{a}/")}
    made.update({p: c for p, c in before.items() if p in wanted})  # those kept
    for path in {field_paths[f] for f in redo_fields} | {f"co-quan/{a}/" for a in redo_agencies}:
        made.pop(path, None)  # written again: their cutoff is made below
    by_field: dict[str, list[dict]] = {f: [] for f in redo_fields}
    by_agency: dict[str, list[dict]] = {a: [] for a in redo_agencies}
    for summary in summaries.values() if by_field or by_agency else ():  # the feeds' entries
        packed = summary["changes"]
        if not packed:
            continue
        # the agencies it names whose feeds are written (a set of all it names, intersected,
        # was ~0.02 s of a one-procedure rebuild at 10,000 procedures)
        named = (
            {a for ids in summary["agencies"].values() for a in ids if a in by_agency}
            if by_agency  # none when only a field's feed is written (~0.007 s at 10,000)
            else ()
        )
        if not named and summary["field"] not in by_field:
            continue
        changes = unpack(packed)
        if summary["field"] in by_field:
            by_field[summary["field"]].extend(changes)
        for agency in named:
            by_agency[agency].extend(changes)
    for field, items in by_field.items():
        name = fields.get(field, field)
        write(field_paths[field], f"Thay đổi: lĩnh vực {name}", items)
    for agency in redo_agencies:  # every agency has its feed, with or without changes
        write(f"co-quan/{agency}/", f"Thay đổi: {agencies[agency]}", by_agency[agency])
    return made


def _agencies(summary: dict) -> set[str]:
    """Every agency the procedure names, in any role (its changes are in their feeds)."""
    return {a for ids in summary["agencies"].values() for a in ids}
