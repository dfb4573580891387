"""What a rebuild after one change writes again (buildlib/site/build.py, cache.py): the files whose
content changed, every one of them, and no other. Each test changes one procedure of a copy of
the fixture catalogue, rebuilds, and compares with a full build of the changed catalogue."""

import gzip
import io
import json
import re
from pathlib import Path

import pytest

from buildlib.catalogue.yamlsource import load_text
from buildlib.site import browse, feeds, precompress
from buildlib.site import build as build_module
from buildlib.site.build import build_command
from buildlib.site.feeds import FILE
from chalicelib.stats import COLUMNS

pytestmark = pytest.mark.slow

TODAY = "2026-09-15"
CODE = "1.001193"  # field ho-tich


def run_build(catalogue: Path, tmp: Path, **kw) -> tuple[int, str]:
    """build_command into tmp/site with its cache in tmp/cache: its exit code and what it said."""
    out = io.StringIO()
    code = build_command(
        catalogue, out=out, today=TODAY, site_dir=tmp / "site", cache_dir=tmp / "cache", **kw
    )
    return code, out.getvalue()


def build(catalogue: Path, tmp: Path, **kw) -> str:
    code, said = run_build(catalogue, tmp, **kw)
    assert code == 0, said
    return said


def stamps(site: Path, pattern: str) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_mtime_ns for p in site.glob(pattern)}


def rename(catalogue: Path, code: str, prefix: str) -> dict:
    """The procedure's last version renamed; its browse summary after the change."""
    folder = catalogue / "procedures" / code
    version = sorted(folder.glob("*.yaml"))[-1]
    text = version.read_text(encoding="utf-8")
    version.write_text(text.replace("\nname: ", f"\nname: {prefix}", 1), encoding="utf-8")
    versions = [
        load_text(p.read_text(encoding="utf-8"), p.name)[0] for p in sorted(folder.glob("*.yaml"))
    ]
    return browse.summary(versions, TODAY)


def test_a_renamed_procedure_rewrites_its_fields_and_agencies_feeds_and_no_other(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    build(catalogue_copy, tmp_path / "a")
    site = tmp_path / "a" / "site"
    before = stamps(site, f"duyet/linh-vuc/*/{FILE}") | stamps(site, f"co-quan/*/{FILE}")
    summary = rename(catalogue_copy, CODE, "Mới - ")
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a")
    after = stamps(site, f"duyet/linh-vuc/*/{FILE}") | stamps(site, f"co-quan/*/{FILE}")
    assert after.keys() == before.keys()
    rewritten = {path for path in after if after[path] != before[path]}
    agencies = {a for ids in summary["agencies"].values() for a in ids}
    assert agencies
    assert rewritten == {f"duyet/linh-vuc/ho-tich/{FILE}"} | {
        f"co-quan/{a}/{FILE}" for a in agencies
    }
    for path in rewritten:  # and each says so
        assert "Mới - " in (site / path).read_text(encoding="utf-8"), path
    build(catalogue_copy, tmp_path / "b", full=True)
    full = tmp_path / "b" / "site"
    for path in [*after, f"thu-tuc/{CODE}/{FILE}"]:
        assert (site / path).read_bytes() == (full / path).read_bytes(), path


def test_a_feed_the_rebuild_must_change_is_rewritten_even_when_its_page_is_kept(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    """The field's feed changes with its procedure's entries, not with its browse page: a change
    to a version's summary of changes leaves the field's list as it was, not its feed."""
    build(catalogue_copy, tmp_path / "a")
    site = tmp_path / "a" / "site"
    page = site / "duyet" / "linh-vuc" / "ho-tich" / "index.html"
    listed = page.stat().st_mtime_ns
    folder = catalogue_copy / "procedures" / CODE
    version = sorted(folder.glob("*.yaml"))[-1]
    text = version.read_text(encoding="utf-8")
    start = text.index("\nchange:\n")
    assert "\n  summary: " in text[start : text.index("\nchannels:")]
    text = text[:start] + text[start:].replace("\n  summary: ", "\n  summary: Bỏ một giấy tờ. ", 1)
    version.write_text(text, encoding="utf-8")
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a")
    assert page.stat().st_mtime_ns == listed
    feed = (site / "duyet" / "linh-vuc" / "ho-tich" / FILE).read_text(encoding="utf-8")
    assert "Bỏ một giấy tờ." in feed
    build(catalogue_copy, tmp_path / "b", full=True)
    full = tmp_path / "b" / "site" / "duyet" / "linh-vuc" / "ho-tich" / FILE
    assert feed == full.read_text(encoding="utf-8")


def test_a_feed_showing_none_of_the_renamed_procedures_entries_is_kept(
    catalogue_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A field or agency feed shows its feeds.LIMIT newest entries: one whose last shown entry
    is newer than the renamed procedure's entries shows the same ones, and is kept. With one
    entry a feed, ho-tich's shows 2.000528's (2026-06-10, like CODE's, a later path): renaming
    CODE keeps every field and agency feed; renaming 2.000528 rewrites ho-tich's. Both times the
    feeds are those a full build writes."""
    monkeypatch.setattr(feeds, "LIMIT", 1)
    build(catalogue_copy, tmp_path / "a")
    site = tmp_path / "a" / "site"
    field_feed = site / "duyet" / "linh-vuc" / "ho-tich" / FILE
    assert "/thu-tuc/2.000528/2026-06-10/</id>" in field_feed.read_text(encoding="utf-8")
    patterns = (f"duyet/linh-vuc/*/{FILE}", f"co-quan/*/{FILE}")

    def every_feed() -> dict[str, int]:
        return {path: n for pattern in patterns for path, n in stamps(site, pattern).items()}

    def same_as_a_full_build(name: str) -> None:
        build(catalogue_copy, tmp_path / name, full=True)
        full = tmp_path / name / "site"
        for path in every_feed():
            assert (site / path).read_bytes() == (full / path).read_bytes(), path

    before = every_feed()
    rename(catalogue_copy, CODE, "Mới - ")
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a")
    assert every_feed() == before  # none rewritten
    same_as_a_full_build("b")
    rename(catalogue_copy, "2.000528", "Mới - ")
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a")
    after = every_feed()
    assert after[f"duyet/linh-vuc/ho-tich/{FILE}"] != before[f"duyet/linh-vuc/ho-tich/{FILE}"]
    assert "Mới - " in field_feed.read_text(encoding="utf-8")
    same_as_a_full_build("c")


def test_a_rebuild_publishes_the_open_data_from_when_its_procedures_are_rendered(
    catalogue_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendered by this process (no workers), the changed procedures' records are there before
    the feeds and browse pages: the open data's process starts then, once, with them."""
    build(catalogue_copy, tmp_path / "a")
    rename(catalogue_copy, CODE, "Mới - ")
    steps: list[str] = []
    records: list[dict] = []
    start, feeds_of = build_module.in_background, build_module.write_feeds

    def in_background(work, *args):
        if work is build_module.publish:
            steps.append("publish")
            records.append(args[-1])
        return start(work, *args)

    def write_feeds(*args):
        steps.append("feeds")
        return feeds_of(*args)

    monkeypatch.setattr(build_module, "in_background", in_background)
    monkeypatch.setattr(build_module, "write_feeds", write_feeds)
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a")
    assert steps == ["publish", "feeds"]
    assert list(records[0]) == [CODE]
    dataset = tmp_path / "a" / "site" / "du-lieu-mo" / "thu-tuc.json.gz"
    assert "Mới - " in gzip.decompress(dataset.read_bytes()).decode("utf-8")


def write_export(path: Path, months: list[str]) -> Path:
    """An event export (chalicelib/stats.py's columns): one received dossier a month."""
    lines = []
    for month in months:
        event = dict.fromkeys(COLUMNS, "")
        event |= {"kind": "received", "month": month, "office": "ubnd-xa-vinh-bao"}
        event |= {"procedure": CODE, "channel": "truc_tuyen"}
        lines.append(json.dumps(event, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_statistics_are_written_again_only_when_their_export_or_catalogue_changed(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    export = write_export(tmp_path / "events.jsonl", ["2026-07", "2026-08"])
    build(catalogue_copy, tmp_path / "a", stats=export)
    site = tmp_path / "a" / "site"
    written = stamps(site, "thong-ke/*") | stamps(site, "du-lieu-mo/thong-ke/*")
    assert "du-lieu-mo/thong-ke/thong-ke.csv" in written
    rename(catalogue_copy, "1.004837", "Mới - ")  # no event names it: the same statistics
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a", stats=export)
    assert stamps(site, "thong-ke/*") | stamps(site, "du-lieu-mo/thong-ke/*") == written

    write_export(export, ["2026-07", "2026-08", "2026-09"])  # a month more
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a", stats=export)
    assert "2026-09" in (site / "du-lieu-mo/thong-ke/thong-ke.csv").read_text(encoding="utf-8")
    build(catalogue_copy, tmp_path / "b", full=True, stats=export)
    full = tmp_path / "b" / "site"
    for path in written:
        assert (site / path).read_bytes() == (full / path).read_bytes(), path

    rename(catalogue_copy, "1.004837", "Mới hơn - ")
    build(catalogue_copy, tmp_path / "a")  # without the export: no statistics published
    assert not list(site.glob("du-lieu-mo/thong-ke/*"))
    assert "du-lieu-mo/thong-ke/" not in (site / "thong-ke" / "index.html").read_text("utf-8")


def test_a_calendar_changed_since_the_last_build_is_checked_against_the_holidays_package(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    """A rebuild leaves out the holidays check while the calendars and the package are the ones
    the last build checked; a calendar edited since is checked again."""
    build(catalogue_copy, tmp_path / "a")
    rename(catalogue_copy, CODE, "Mới - ")
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a")
    calendar = catalogue_copy / "calendar" / "2025.yaml"
    text = calendar.read_text(encoding="utf-8")
    edited = re.sub(r",\s*2025-09-02\]", "]", text, count=1)
    assert edited != text
    calendar.write_text(edited, encoding="utf-8")
    code, said = run_build(catalogue_copy, tmp_path / "a")
    assert code == 1
    assert "thư viện holidays coi 2025-09-02 là ngày nghỉ" in said


def test_a_renamed_procedures_item_is_new_on_every_list_and_in_every_gzip_copy(
    catalogue_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each list item is written once a build and a long page is gzipped in cached chunks (here
    every page from 2 KB, the fixture's lists being short): the renamed procedure's item must be
    the new one on every list it is on, in the page and in its copy, as a full build of the
    changed catalogue writes it."""
    monkeypatch.setattr(precompress, "CHUNKED_BYTES", 2048)
    build(catalogue_copy, tmp_path / "a")
    assert any((tmp_path / "a" / "cache" / "gzip-chunks").iterdir())
    rename(catalogue_copy, CODE, "Mới - ")
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a")
    build(catalogue_copy, tmp_path / "b", full=True)
    site, full = tmp_path / "a" / "site", tmp_path / "b" / "site"
    listing = [
        p.relative_to(site)
        for folder in ("duyet", "co-quan")
        for p in (site / folder).rglob("index.html")
        if f"thu-tuc/{CODE}/" in p.read_text(encoding="utf-8")
    ]
    assert len(listing) >= 4  # its field, level, audience, online kind and agencies
    for path in listing:
        page = (site / path).read_text(encoding="utf-8")
        assert page == (full / path).read_text(encoding="utf-8"), path
        item = page[page.index(f"thu-tuc/{CODE}/") :].split("</li>", 1)[0]
        assert "Mới - " in item, path
        copy = site / path.with_name("index.html.gz")
        assert gzip.decompress(copy.read_bytes()).decode("utf-8") == page, path


def test_the_open_data_page_states_the_size_of_a_per_procedure_file_the_rebuild_rewrote(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    """A rebuild states the per-procedure open-data files' total size from the sizes the last
    build kept, but for the files it writes again: a renamed procedure's file, grown by kilobytes
    here, must count with its new size, as a full build of the changed catalogue states it."""
    build(catalogue_copy, tmp_path / "a")
    page = tmp_path / "a" / "site" / "du-lieu-mo" / "index.html"
    before = re.search(r"tệp, tổng ([^)]*)\)", page.read_text(encoding="utf-8"))
    rename(catalogue_copy, CODE, " ".join(f"{i:x}" for i in range(600)) + " ")
    assert "(một phần)" in build(catalogue_copy, tmp_path / "a")
    build(catalogue_copy, tmp_path / "b", full=True)
    after = re.search(r"tệp, tổng ([^)]*)\)", page.read_text(encoding="utf-8"))
    assert before and after and before[1] != after[1]
    full = tmp_path / "b" / "site" / "du-lieu-mo" / "index.html"
    assert page.read_text(encoding="utf-8") == full.read_text(encoding="utf-8")
