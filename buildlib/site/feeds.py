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
page cache), so field and agency feeds need no procedure loaded again.
"""

import functools
import re
import xml.etree.ElementTree as ET
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


@functools.cache
def site_name() -> str:
    """The feeds' author: the site's name, mkdocs.yml's `site_name` (read as text: the file has
    mkdocs' own YAML tags)."""
    text = paths.MKDOCS_CONFIG.read_text(encoding="utf-8")
    found = re.search(r"^site_name:\s*(.+?)\s*$", text, re.MULTILINE)
    return found[1].strip("\"'") if found else "MotCua"


def feed(path: str, title: str, items: Iterable[dict]) -> str:
    """The Atom document for the page at `path` (below the site, ending in '/'), from entries
    made by `entries`: newest first, at most LIMIT."""
    base = paths.site_url()
    chosen = sorted(items, key=lambda e: (e["date"], e["path"]), reverse=True)[:LIMIT]
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "vi"})

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    add(root, "id", base + path + FILE)
    add(root, "title", title)
    # A feed without entries still needs `updated`: a fixed date keeps the file the same.
    add(root, "updated", _instant(chosen[0]["date"] if chosen else "2025-01-01"))
    add(root, "link", rel="self", type="application/atom+xml", href=base + path + FILE)
    add(root, "link", rel="alternate", type="text/html", href=base + path)
    author = add(root, "author")
    add(author, "name", site_name())
    for item in chosen:
        entry = add(root, "entry")
        add(entry, "id", base + item["path"])
        add(entry, "title", item["title"])
        add(entry, "updated", _instant(item["date"]))
        add(entry, "link", rel="alternate", type="text/html", href=base + item["path"])
        add(entry, "summary", item["text"], type="text")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


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


def write_all(
    site_dir: Path,
    summaries: dict[str, dict],
    *,
    codes: Iterable[str],
    fields: dict[str, str],
    agencies: dict[str, str],
) -> int:
    """Writes the feeds of `codes` (the procedures rendered this build) and of every field and
    agency (from every summary's entries); returns how many were written."""
    site = site_dir
    written = 0

    def write(path: str, title: str, items: Iterable[dict]) -> None:
        nonlocal written
        target = site / path / FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(feed(path, title, items), encoding="utf-8")
        written += 1

    for code in codes:
        summary = summaries[code]
        write(f"thu-tuc/{code}/", f"Thay đổi: {summary['name']}", summary["changes"])
    by_field: dict[str, list[dict]] = {}
    by_agency: dict[str, list[dict]] = {}
    for summary in summaries.values():
        by_field.setdefault(summary["field"], []).extend(summary["changes"])
        for agency in {a for ids in summary["agencies"].values() for a in ids}:
            by_agency.setdefault(agency, []).extend(summary["changes"])
    slugs = labels.SLUGS.get("field", {})
    wanted = {f"duyet/linh-vuc/{slugs.get(f, f)}/" for f in by_field}
    wanted |= {f"co-quan/{a}/" for a in agencies}
    for folder in ("duyet/linh-vuc", "co-quan"):  # a field or agency left without its page
        for stale in site.glob(f"{folder}/*/{FILE}*"):
            if f"{folder}/{stale.parent.name}/" not in wanted:
                stale.unlink()
    for field, items in by_field.items():
        name = fields.get(field, field)
        write(f"duyet/linh-vuc/{slugs.get(field, field)}/", f"Thay đổi: lĩnh vực {name}", items)
    for agency, name in agencies.items():  # every agency has its page, with or without changes
        write(f"co-quan/{agency}/", f"Thay đổi: {name}", by_agency.get(agency, []))
    return written
