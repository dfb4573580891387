"""Functional tests of `build.py build`: the fixture catalogue built into a temporary site folder.

The site is read back as files, the way a static host serves it (through buildlib.site.built: the
procedure pages are stored only gzipped); links are followed on disk.
"""

import gzip
import html
import io
import itertools
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from buildlib.catalogue.changes import compare
from buildlib.catalogue.yamlsource import load_text
from buildlib.site import browse, built, feeds, search
from buildlib.site.build import build_command
from buildlib.site.links import LINKED_SITES

from .conftest import CATALOGUE

# Every test here builds a site (a second or more): the slow tier.
pytestmark = pytest.mark.slow

# 1.001612's 2026-08-08 version in force; 2.000986 replaced; 1.009444 abolished
TODAY = "2026-09-15"


def build(catalogue: Path, tmp: Path, today: str = TODAY, **kw) -> tuple[int, str]:
    out = io.StringIO()
    code = build_command(
        catalogue, out=out, today=today, site_dir=tmp / "site", cache_dir=tmp / "cache", **kw
    )
    return code, out.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("site")
    code, output = build(CATALOGUE, tmp)
    assert code == 0, output
    return tmp / "site"


def text(page: Path) -> str:
    """The page's content area as plain text (the shell's header and footer left out)."""
    raw = built.read(page)
    content = raw[raw.index('<article class="md-content__inner') : raw.index("</article>")]
    content = re.sub(r"<script.*?</script>", " ", content, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content)))


def versions_of(code: str) -> list[dict]:
    folder = CATALOGUE / "procedures" / code
    return [
        load_text(p.read_text(encoding="utf-8"), p.name)[0] for p in sorted(folder.glob("*.yaml"))
    ]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.anchors: list[str] = []  # hrefs of <a> elements only

    def handle_starttag(self, tag: str, attrs: list) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action") and value is not None:
                self.urls.append(value)
                if tag == "a" and name == "href":
                    self.anchors.append(value)


def links(page: Path) -> list[str]:
    parser = Links()
    parser.feed(built.read(page))
    return parser.urls


def test_every_procedure_has_a_page_at_its_stable_url_and_one_per_version(site: Path) -> None:
    for folder in (CATALOGUE / "procedures").iterdir():
        assert built.exists(site / "thu-tuc" / folder.name / "index.html")
        for version in folder.glob("*.yaml"):
            assert built.exists(site / "thu-tuc" / folder.name / version.stem / "index.html")


def test_the_stable_page_shows_the_version_in_force_today(site: Path) -> None:
    page = text(site / "thu-tuc" / "1.001612" / "index.html")
    assert "Không thu" in page  # the 2026-08-08 version: no fee
    old = text(site / "thu-tuc" / "1.001612" / "2021-01-04" / "index.html")
    assert "trang cố định của phiên bản áp dụng từ 04/01/2021" in old
    assert "đã hết hiệu lực" in old


def test_a_scheduled_version_says_from_when_it_applies(tmp_path: Path) -> None:
    code, output = build(CATALOGUE, tmp_path, today="2026-07-01")
    assert code == 0, output
    page = text(tmp_path / "site" / "thu-tuc" / "1.001612" / "index.html")
    assert "áp dụng từ 08/08/2026" in page


def test_the_change_log_lists_what_diff_compare_reports(site: Path) -> None:
    versions = versions_of("1.001612")
    page = text(site / "thu-tuc" / "1.001612" / "index.html")
    for old, new in itertools.pairwise(versions):
        changes = compare(old, new)
        assert changes
        for change in changes:
            assert re.sub(r"\s+", " ", change.markdown()) in page


def test_a_replaced_procedure_keeps_its_page_with_a_notice_and_a_link(site: Path) -> None:
    page = site / "thu-tuc" / "2.000986" / "index.html"
    assert "Thủ tục đã bị thay thế" in text(page)
    assert "../../thu-tuc/3.000722/" in links(page)
    abolished = text(site / "thu-tuc" / "1.009444" / "index.html")
    assert "Thủ tục đã bị bãi bỏ" in abolished


def test_browse_pages_list_procedures_by_field_level_audience_and_online_kind(site: Path) -> None:
    field = text(site / "duyet" / "linh-vuc" / "ho-kinh-doanh" / "index.html")
    assert "Đăng ký thành lập hộ kinh doanh" in field
    for path in (
        "duyet/cap/xa",
        "duyet/cap/tinh",
        "duyet/doi-tuong/cong-dan",
        "duyet/truc-tuyen/chua-cong-bo",
        "duyet",
        "duyet/linh-vuc",
        "co-quan",
        "su-kien",
    ):
        assert built.exists(site / path / "index.html"), path
    assert "1.001612" in text(site / "duyet" / "cap" / "xa" / "index.html")


def test_agency_pages_list_what_the_agency_handles_and_say_what_is_unpublished(
    site: Path,
) -> None:
    page = text(site / "co-quan" / "ubnd-cap-xa" / "index.html")
    assert "Đăng ký thành lập hộ kinh doanh" in page
    assert "Địa chỉ chưa được công bố" in page
    assert "../../co-quan/ubnd-cap-xa/" in links(site / "thu-tuc" / "1.001612" / "index.html")


def test_a_generic_agency_page_lists_its_offices_and_their_dossier_codes(site: Path) -> None:
    page = text(site / "co-quan" / "cong-an-cap-xa" / "index.html")
    assert "Nơi tiếp nhận hồ sơ (114)" in page
    assert "Công an Phường Lê Chân" in page and "mã 11383.CA" in page
    own = text(site / "co-quan" / "cong-an-thanh-pho-hai-phong" / "index.html")
    assert "Mã hồ sơ nộp tại cơ quan này bắt đầu bằng 31.CA" in own


def test_a_life_event_page_walks_through_its_procedures_in_order(site: Path) -> None:
    page = text(site / "su-kien" / "khai-sinh" / "index.html")
    positions = [page.index(code) for code in ("3.000722", "1.001193")]
    assert positions == sorted(positions)
    assert "Bước 1" in page and "Bước 2" in page and "Bước 3" not in page


def test_the_online_button_links_to_the_submission_journey(site: Path) -> None:
    page = site / "thu-tuc" / "1.001612" / "index.html"
    assert "Nộp hồ sơ trực tuyến" in text(page)
    assert "../../nop-ho-so/1.001612/" in links(page)


def test_catalogue_text_never_becomes_markup(catalogue_copy: Path, tmp_path: Path) -> None:
    path = catalogue_copy / "procedures" / "1.001612" / "2026-08-08.yaml"
    source = path.read_text(encoding="utf-8")
    path.write_text(
        source.replace(
            "name: Đăng ký thành lập hộ kinh doanh",
            "name: Đăng ký <script>alert(1)</script> hộ kinh doanh",
            1,
        ),
        encoding="utf-8",
    )
    code, output = build(catalogue_copy, tmp_path)
    assert code == 0, output
    for page in built.find(tmp_path / "site", "**/*.html"):
        assert "<script>alert(1)" not in built.read(page), page
    stable = built.read(tmp_path / "site" / "thu-tuc" / "1.001612" / "index.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in stable


def test_a_channel_note_is_shown_and_an_editor_note_never(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    path = catalogue_copy / "procedures" / "1.001612" / "2026-08-08.yaml"
    source = path.read_text(encoding="utf-8")
    path.write_text(
        source.replace("- kind: in_person\n", "- kind: in_person\n  note: Nộp tại quầy số 3.\n", 1),
        encoding="utf-8",
    )
    code, output = build(catalogue_copy, tmp_path)
    assert code == 0, output
    page = text(tmp_path / "site" / "thu-tuc" / "1.001612" / "index.html")
    assert "Trực tiếp: Nộp tại quầy số 3." in page
    assert "effective_from 2026-08-08 là ngày" not in page  # the version's editor notes


def test_no_page_loads_from_another_host_and_only_the_national_portal_is_linked(
    site: Path,
) -> None:
    national = 0
    for page in built.find(site, "**/*.html"):
        parser = Links()
        parser.feed(built.read(page))
        for url in parser.urls:
            parts = urlsplit(url)
            if url.startswith(LINKED_SITES) and url in parser.anchors:
                national += 1  # a plain link (<a>), never a loaded resource
                continue
            assert parts.scheme in ("", "mailto", "tel") or parts.netloc == "127.0.0.1:8000", (
                page,
                url,
            )
    assert national  # the fixture's procedures filed on the national portal link to it


def test_the_summary_card_answers_where_how_long_how_much_and_what_to_bring(site: Path) -> None:
    raw = built.read(site / "thu-tuc" / "1.001612" / "index.html")
    card = raw[
        raw.index('<section class="tthc-summary"') : raw.index(
            "</section>", raw.index('<section class="tthc-summary"')
        )
    ]
    assert raw.index('class="tthc-summary"') < raw.index('id="ai"')  # first, before the details
    words = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", card)))
    version = versions_of("1.001612")[-1]
    for label in ("Nộp ở đâu", "Mất bao lâu", "Tốn bao nhiêu", "Cần mang gì"):
        assert label in words
    documents = {len(case["documents"]) for case in version["cases"] if case.get("documents")}
    assert f"{max(documents)} loại giấy tờ" in words
    assert 'href="#ho-so"' in card and 'href="#nop"' in card
    assert "../../nop-ho-so/1.001612/" in card and 'href="../../thu-tuc/1.001612/in/"' in card


def test_an_ended_procedure_has_no_summary_card(site: Path) -> None:
    raw = built.read(site / "thu-tuc" / "1.009444" / "index.html")
    assert "tthc-summary" not in raw and "Nộp hồ sơ trực tuyến</a>" not in raw


def test_every_internal_link_resolves(site: Path) -> None:
    for page in built.find(site, "**/*.html"):
        if page.name == "404.html":
            continue  # served at any depth, so mkdocs gives it root-absolute URLs
        for url in links(page):
            parts = urlsplit(url)
            if parts.scheme or url.startswith("#") or parts.path.startswith("nop-ho-so"):
                continue
            target = (page.parent / parts.path).resolve()
            if "/nop-ho-so/" in str(target):
                continue  # the submission journey's pages (issue 8)
            if target.is_dir():
                target = target / "index.html"
            assert built.exists(target), (page, url)


def test_an_unchanged_catalogue_is_not_rebuilt(catalogue_copy: Path, tmp_path: Path) -> None:
    assert build(catalogue_copy, tmp_path)[0] == 0
    code, output = build(catalogue_copy, tmp_path)
    assert code == 0
    assert "Không có gì thay đổi" in output


def test_a_rebuild_renders_only_the_changed_procedure(catalogue_copy: Path, tmp_path: Path) -> None:
    assert build(catalogue_copy, tmp_path)[0] == 0
    site = tmp_path / "site"
    pages = built.find(site / "thu-tuc", "**/index.html")
    before = {p: built.stored(p).stat().st_mtime_ns for p in pages}
    path = catalogue_copy / "procedures" / "1.001193"
    version = sorted(path.glob("*.yaml"))[-1]
    version.write_text(
        version.read_text(encoding="utf-8").replace("\nname: ", "\nname: Mới - ", 1),
        encoding="utf-8",
    )
    code, output = build(catalogue_copy, tmp_path)
    assert code == 0, output
    assert "(một phần)" in output
    touched = {
        p.relative_to(site).parts[1]
        for p, mtime in before.items()
        if not built.exists(p) or built.stored(p).stat().st_mtime_ns != mtime
    }
    # the procedure itself, plus those whose pages show its (new) name as a link
    naming = {
        p.parent.name
        for p in (catalogue_copy / "procedures").rglob("*.yaml")
        if "1.001193" in p.read_text(encoding="utf-8")
    }
    assert "1.001193" in touched
    assert touched <= naming
    assert len(touched) < len(before) / 4
    assert "Mới - " in text(site / "thu-tuc" / "1.001193" / "index.html")
    assert "Mới - " in text(site / "duyet" / "linh-vuc" / "ho-tich" / "index.html")


def test_a_rebuild_updates_the_search_index_like_a_full_build(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    assert build(catalogue_copy, tmp_path)[0] == 0
    version = sorted((catalogue_copy / "procedures" / "1.004837").glob("*.yaml"))[-1]
    version.write_text(
        version.read_text(encoding="utf-8").replace("\nname: ", "\nname: Giám hộ kiểu mới ", 1),
        encoding="utf-8",
    )
    code, output = build(catalogue_copy, tmp_path)
    assert code == 0 and "(một phần)" in output
    found = search.query(search.Index(tmp_path / "site" / "search"), "giam ho kieu moi")
    assert found[0]["code"] == "1.004837"
    assert build(catalogue_copy, tmp_path / "full", full=True)[0] == 0
    for rel in ("meta.json", "t/gi.json", "b/gi.json"):
        incremental = (tmp_path / "site" / "search" / rel).read_bytes()
        assert incremental == (tmp_path / "full" / "site" / "search" / rel).read_bytes(), rel


def test_full_forces_a_complete_build(catalogue_copy: Path, tmp_path: Path) -> None:
    assert build(catalogue_copy, tmp_path)[0] == 0
    code, output = build(catalogue_copy, tmp_path, full=True)
    assert code == 0
    assert "(toàn bộ)" in output


def test_a_catalogue_error_stops_the_build_with_file_and_line(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    path = catalogue_copy / "procedures" / "1.001612" / "2026-08-08.yaml"
    path.write_text(path.read_text("utf-8").replace("field: ho-kinh-doanh", "field: 12"), "utf-8")
    code, output = build(catalogue_copy, tmp_path)
    assert code == 1
    assert re.search(r"2026-08-08\.yaml:\d+", output)
    assert not (tmp_path / "site" / "thu-tuc").exists()


def test_the_calculator_gets_the_working_calendar_and_the_deadlines(site: Path) -> None:
    script = (site / "assets" / "ngay-nghi.js").read_text(encoding="utf-8")
    assert '"2027-01-01"' in script  # Tết Dương lịch
    assert '"2026-09-19"' in script  # a Saturday
    assert '"2026-09-16"' not in script
    page = built.read(site / "thu-tuc" / "1.001612" / "index.html")
    assert '"unit":"working_days"' in page.replace(" ", "")


def test_the_shell_frame_is_reused_with_urls_for_each_depth(site: Path) -> None:
    deep = site / "thu-tuc" / "1.001612" / "2025-07-01" / "index.html"
    css = [u for u in links(deep) if u.endswith(".css")]
    assert css and all((deep.parent / u).resolve().is_file() for u in css)
    assert '<html lang="vi"' in built.read(deep)


def test_a_template_error_fails_the_build_naming_the_template(
    catalogue_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from buildlib import paths

    templates = tmp_path / "templates"
    shutil.copytree(paths.TEMPLATES, templates)
    broken = templates / "procedure.html.j2"
    broken.write_text(broken.read_text("utf-8") + "{{ v.no_such_field }}\n", "utf-8")
    monkeypatch.setattr(paths, "TEMPLATES", templates)
    code, output = build(catalogue_copy, tmp_path)
    assert code == 1
    assert "procedure.html.j2:" in output


def test_a_rebuild_redoes_only_the_changed_procedures_application_page(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    assert build(catalogue_copy, tmp_path)[0] == 0
    pages = tmp_path / "site" / "nop-ho-so"
    before = {
        p.parent.name: built.stored(p).stat().st_mtime_ns for p in built.find(pages, "*/index.html")
    }
    assert {"1.001612", "1.001193"} <= set(before)
    version = sorted((catalogue_copy / "procedures" / "1.001612").glob("*.yaml"))[-1]
    version.write_text(
        version.read_text(encoding="utf-8").replace("\nname: ", "\nname: Mới - ", 1),
        encoding="utf-8",
    )
    code, output = build(catalogue_copy, tmp_path)
    assert code == 0 and "(một phần)" in output, output
    after = {
        p.parent.name: built.stored(p).stat().st_mtime_ns for p in built.find(pages, "*/index.html")
    }
    assert set(after) == set(before)
    assert [c for c in after if after[c] != before[c]] == ["1.001612"]
    assert "Mới - " in built.read(pages / "1.001612" / "index.html")
    assert build(catalogue_copy, tmp_path / "full", full=True)[0] == 0
    full = tmp_path / "full" / "site" / "nop-ho-so" / "1.001612" / "index.html"
    assert built.read_bytes(pages / "1.001612" / "index.html") == built.read_bytes(full)


def test_a_rebuild_renders_only_the_browse_pages_whose_lists_changed(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    assert build(catalogue_copy, tmp_path)[0] == 0
    site = tmp_path / "site"
    browse = [site / d for d in ("duyet", "co-quan", "su-kien")]
    before = {p: p.stat().st_mtime_ns for d in browse for p in d.rglob("index.html")}
    version = sorted((catalogue_copy / "procedures" / "1.001193").glob("*.yaml"))[-1]
    version.write_text(
        version.read_text(encoding="utf-8").replace("\nname: ", "\nname: Mới - ", 1),
        encoding="utf-8",
    )
    code, output = build(catalogue_copy, tmp_path)
    assert code == 0 and "(một phần)" in output, output
    touched = {
        p.relative_to(site).as_posix() for p, t in before.items() if p.stat().st_mtime_ns != t
    }
    assert "duyet/linh-vuc/ho-tich/index.html" in touched
    assert "duyet/linh-vuc/ho-kinh-doanh/index.html" not in touched
    assert len(touched) < len(before) / 2
    assert build(catalogue_copy, tmp_path / "full", full=True)[0] == 0
    for page in before:
        rel = page.relative_to(site)
        assert built.read_bytes(page) == built.read_bytes(tmp_path / "full" / "site" / rel), rel


def test_a_rebuild_keeps_the_online_and_finding_pages_when_they_list_no_change(
    catalogue_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1.009444 has no online form and no common search in its name: neither page lists it, so
    neither is put together again."""
    assert build(catalogue_copy, tmp_path)[0] == 0
    site = tmp_path / "site"
    kept = [site / "nop-truc-tuyen" / "index.html", site / "tim-kiem" / "index.html"]
    before = [p.read_bytes() for p in kept]
    stamps = [p.stat().st_mtime_ns for p in kept]
    version = sorted((catalogue_copy / "procedures" / "1.009444").glob("*.yaml"))[-1]
    text = version.read_text(encoding="utf-8")
    version.write_text(text.replace("\nname: ", "\nname: Mới - ", 1), encoding="utf-8")
    with monkeypatch.context() as patch:
        for name in ("online_page", "finding_page"):
            patch.setattr(browse, name, lambda *a, name=name: pytest.fail(f"{name} made again"))
        code, output = build(catalogue_copy, tmp_path)
    assert code == 0 and "(một phần)" in output, output
    assert [p.stat().st_mtime_ns for p in kept] == stamps
    assert build(catalogue_copy, tmp_path / "full", full=True)[0] == 0
    full = tmp_path / "full" / "site"
    assert [(full / p.relative_to(site)).read_bytes() for p in kept] == before


def test_a_browse_page_left_without_procedures_is_removed_by_a_rebuild(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    assert build(catalogue_copy, tmp_path)[0] == 0
    page = tmp_path / "site" / "duyet" / "linh-vuc" / "duong-thuy-noi-dia" / "index.html"
    assert page.is_file()
    (version,) = [
        p
        for p in (catalogue_copy / "procedures").rglob("*.yaml")
        if "\nfield: duong-thuy-noi-dia\n" in p.read_text(encoding="utf-8")
    ]
    text = version.read_text(encoding="utf-8")
    version.write_text(text.replace("\nfield: duong-thuy-noi-dia\n", "\nfield: ho-tich\n"), "utf-8")
    code, output = build(catalogue_copy, tmp_path)
    assert code == 0 and "(một phần)" in output, output
    assert not page.parent.exists()
    index = built.read(tmp_path / "site" / "duyet" / "linh-vuc" / "index.html")
    assert "duong-thuy-noi-dia/" not in index


def test_pages_carry_only_the_frame_they_use_and_json_ld_on_the_stable_page(site: Path) -> None:
    stable = built.read(site / "thu-tuc" / "1.001612" / "index.html")
    version = versions_of("1.001612")[-2]["effective_from"]  # no longer in force: a full record
    permalink = built.read(site / "thu-tuc" / "1.001612" / version / "index.html")
    for page in (stable, permalink):
        assert '<meta name="generator"' not in page and "__tabbed_" not in page
        assert "md-sidebar--secondary" not in page and "md-sidebar--primary" in page
    assert stable.count('type="application/ld+json"') == 1
    assert 'type="application/ld+json"' not in permalink


def test_the_permalink_of_the_version_in_force_points_to_the_stable_page(site: Path) -> None:
    current = versions_of("1.001612")[-1]
    assert current["effective_from"] <= TODAY and "effective_to" not in current
    page = site / "thu-tuc" / "1.001612" / current["effective_from"] / "index.html"
    raw = built.read(page)
    assert len(raw.encode()) < 1024  # not a second copy of the stable page
    assert raw.startswith('<!doctype html>\n<html lang="vi">')
    assert '<link rel="canonical" href="../">' in raw
    assert '<meta http-equiv="refresh" content="0; url=../">' in raw
    assert f"<h1>{html.escape(current['name'], quote=False)}</h1>" in raw
    assert '<a href="../">Xem phiên bản đang áp dụng</a>' in raw
    assert current["name"] in text(site / "thu-tuc" / "1.001612" / "index.html")


def test_a_permalink_becomes_the_full_record_when_its_version_is_no_longer_in_force(
    tmp_path: Path,
) -> None:
    """Built before 1.001612's 2026-08-08 version applies, then rebuilt on TODAY, the site
    equals a full build of TODAY byte for byte: the old version's pointer became its record,
    the new one's a pointer."""
    before = "2026-07-01"
    older, newer = [v["effective_from"] for v in versions_of("1.001612")][-2:]
    assert older <= before < newer <= TODAY
    assert build(CATALOGUE, tmp_path / "a", today=before)[0] == 0
    folder = tmp_path / "a" / "site" / "thu-tuc" / "1.001612"
    assert len(built.read_bytes(folder / older / "index.html")) < 1024
    code, output = build(CATALOGUE, tmp_path / "a")
    assert code == 0 and "(một phần)" in output, output
    assert "(đã hết hiệu lực)" in text(folder / older / "index.html")
    assert len(built.read_bytes(folder / newer / "index.html")) < 1024
    assert build(CATALOGUE, tmp_path / "b")[0] == 0
    rebuilt, full = tmp_path / "a" / "site", tmp_path / "b" / "site"
    names = sorted(str(p.relative_to(full)) for p in full.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(rebuilt)) for p in rebuilt.rglob("*") if p.is_file())
    differ = [n for n in names if (rebuilt / n).read_bytes() != (full / n).read_bytes()]
    # A procedure's own open-data file says when its content last changed (by design).
    assert all(n.startswith("du-lieu-mo/thu-tuc/") for n in differ), differ
    for n in differ:
        a, b = (json.loads(gzip.decompress((site / n).read_bytes())) for site in (rebuilt, full))
        assert a["meta"].pop("built") == before and b["meta"].pop("built") == TODAY
        assert a == b


def _rename(catalogue: Path) -> None:
    version = catalogue / "procedures" / "1.001193" / "2026-06-10.yaml"
    text = version.read_text(encoding="utf-8")
    version.write_text(text.replace("\nname: ", "\nname: Tên mới - ", 1), encoding="utf-8")


def _edit_a_fee(catalogue: Path) -> None:
    version = catalogue / "procedures" / "1.001193" / "2026-06-10.yaml"
    text = version.read_text(encoding="utf-8")
    assert "amount: 8000" in text
    version.write_text(text.replace("amount: 8000", "amount: 9000", 1), encoding="utf-8")


def _delete_a_procedure(catalogue: Path) -> None:
    shutil.rmtree(catalogue / "procedures" / "1.004837")  # named by no other file


def _add_a_version(catalogue: Path) -> None:
    """1.004837 gets a version applying from 2026-09-01 (before TODAY): the one in force."""
    folder = catalogue / "procedures" / "1.004837"
    old = folder / "2026-06-10.yaml"
    text = old.read_text(encoding="utf-8")
    ended = "\neffective_from: 2026-06-10\neffective_to: 2026-09-01"
    old.write_text(text.replace("\neffective_from: 2026-06-10", ended, 1), encoding="utf-8")
    text = text.replace("\neffective_from: 2026-06-10", "\neffective_from: 2026-09-01", 1)
    text = text.replace("\nname: ", "\nname: Đăng ký giám hộ (sửa đổi) - ", 1)
    (folder / "2026-09-01.yaml").write_text(text, encoding="utf-8")


def _add_a_procedure(catalogue: Path) -> None:
    """A new code shifts every search document id after it: the index is re-assembled."""
    source = catalogue / "procedures" / "1.004837"
    target = catalogue / "procedures" / "1.004838"
    target.mkdir()
    text = (source / "2026-06-10.yaml").read_text(encoding="utf-8")
    text = text.replace('code: "1.004837"', 'code: "1.004838"', 1)
    (target / "2026-06-10.yaml").write_text(text.replace("giám hộ", "giám sát", 1), "utf-8")


@pytest.mark.parametrize("limit", [feeds.LIMIT, 1])
@pytest.mark.parametrize(
    "change", [_rename, _edit_a_fee, _delete_a_procedure, _add_a_version, _add_a_procedure]
)
def test_a_rebuild_after_a_change_writes_the_site_a_full_build_writes(
    catalogue_copy: Path, tmp_path: Path, change, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file of the site, search index and open data included, byte for byte. With feeds
    of one entry (`limit` 1) most field and agency feeds show fewer than a change touches: a
    rebuild keeps those whose entry is newer than every one the change touched."""
    monkeypatch.setattr(feeds, "LIMIT", limit)
    assert build(catalogue_copy, tmp_path / "a")[0] == 0
    change(catalogue_copy)
    code, output = build(catalogue_copy, tmp_path / "a")
    assert code == 0 and "(một phần)" in output, output
    assert build(catalogue_copy, tmp_path / "b", full=True)[0] == 0
    rebuilt, full = tmp_path / "a" / "site", tmp_path / "b" / "site"
    names = sorted(str(p.relative_to(full)) for p in full.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(rebuilt)) for p in rebuilt.rglob("*") if p.is_file())
    differ = [n for n in names if (rebuilt / n).read_bytes() != (full / n).read_bytes()]
    assert differ == []
