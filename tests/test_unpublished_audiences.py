"""A reviewed version whose sources give no đối tượng thực hiện lists `audiences` in `unpublished`
(schemas/procedure.schema.json), as the priority procedures 1.003622, 1.013702 and 1.013703 do:
it validates, its page says "chưa được công bố", search finds it, its online form is still
offered and the API bundle carries it, and the open data publish it without an audience."""

import csv
import gzip
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from buildlib.bundle import make_bundle
from buildlib.catalogue.load import load
from buildlib.catalogue.schemas import SchemaSet
from buildlib.catalogue.yamlsource import load_text
from buildlib.review.check import check
from buildlib.site import built, search
from buildlib.site.build import build_command

from .conftest import CATALOGUE, SEED_CATALOGUE

# Builds a site: the slow tier.
pytestmark = pytest.mark.slow

TODAY = "2026-09-15"
CODE = "1.001193"  # in the fixture catalogue, with an online form (dang-ky-khai-sinh)
VERSION = Path("procedures") / CODE / "2026-06-10.yaml"
LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def without_audiences(catalogue: Path) -> None:
    """The fixture's 1.001193 as if no source gave who may file it."""
    path = catalogue / VERSION
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "audiences:\n  - citizen\n"
        "audience_text: Công dân Việt Nam, Người Việt Nam định cư ở nước ngoài\n",
        "",
    )
    text = text.replace(
        "unpublished:\n  - effective_from\n", "unpublished:\n  - audiences\n  - effective_from\n"
    )
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    catalogue = tmp_path_factory.mktemp("audiences") / "catalogue"
    shutil.copytree(CATALOGUE, catalogue)
    without_audiences(catalogue)
    return catalogue


@pytest.fixture(scope="module")
def site(changed: Path) -> Path:
    out = io.StringIO()
    site_dir = changed.parent / "site"
    code = build_command(
        changed, out=out, today=TODAY, site_dir=site_dir, cache_dir=changed.parent / "cache"
    )
    assert code == 0, out.getvalue()
    return site_dir


def test_the_schema_takes_unpublished_audiences_in_a_reviewed_version_and_nothing_less(
    changed: Path,
) -> None:
    schemas = SchemaSet()
    docs = load(changed).procedures()[CODE]
    version = docs[-1].data
    assert "audiences" not in version and "review" not in version
    assert list(schemas.errors("procedure", version)) == []
    silent = version | {"unpublished": [u for u in version["unpublished"] if u != "audiences"]}
    assert list(schemas.errors("procedure", silent))  # neither given nor said unpublished


def test_check_passes_with_unpublished_audiences(changed: Path) -> None:
    assert [p for p in check(changed, workers=1) if p.severity == "error"] == []


def test_the_page_says_who_files_it_is_not_published(site: Path) -> None:
    page = built.read(site / "thu-tuc" / CODE / "index.html")
    section = page[page.index('id="ai"') : page.index('id="ho-so"')]
    assert "chưa được công bố" in section
    assert "Nộp hồ sơ trực tuyến" in page


def test_the_browse_by_audience_pages_leave_it_out(site: Path) -> None:
    citizens = (site / "duyet" / "doi-tuong" / "cong-dan" / "index.html").read_text("utf-8")
    assert "1.000894" in citizens  # another procedure for citizens is there
    assert CODE not in citizens


def test_the_online_form_is_still_offered_and_the_api_bundle_carries_it(
    changed: Path, site: Path
) -> None:
    assert (site / "nop-ho-so" / CODE / "index.html").is_file()
    bundle = make_bundle(load(changed), revision="test", built=TODAY)
    assert CODE in bundle["procedures"]
    assert "dang-ky-khai-sinh" in bundle["forms"]


def test_search_finds_it_by_its_name_without_diacritics(site: Path) -> None:
    index = search.Index(site / "search")
    assert CODE in [r["code"] for r in search.query(index, "dang ky khai sinh")]


def test_the_open_data_publish_it_without_an_audience(site: Path) -> None:
    folder = site / "du-lieu-mo"
    with (folder / "thu-tuc.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["code"] == CODE]
    assert len(rows) == 1
    every = json.loads(gzip.decompress((folder / "thu-tuc.json.gz").read_bytes()))
    text = json.dumps(every, ensure_ascii=False)
    assert CODE in text
    page = built.read(site / "thu-tuc" / CODE / "index.html")
    (service,) = [json.loads(m) for m in LD_JSON.findall(page)]
    assert "audience" not in service


@pytest.mark.parametrize("code", ["1.003622", "1.013702", "1.013703"])
def test_the_priority_procedures_no_source_gives_an_audience_for_are_reviewed(code: str) -> None:
    """About the published content: the three stayed drafts only for want of an audience."""
    versions = sorted((SEED_CATALOGUE / "procedures" / code).glob("*.yaml"))
    data, problems = load_text(versions[-1].read_text(encoding="utf-8"), versions[-1].name)
    assert not problems
    assert data.get("review", {}).get("status") != "imported"
    assert "audiences" not in data and "audiences" in data["unpublished"]
    assert any(n.startswith("audiences:") for n in data["notes"])
