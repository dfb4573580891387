"""`build.py import-listing`: the Vĩnh Bảo commune listing as unreviewed drafts.

The import tests run on a copy of the fixture catalogue and a small reference folder made of real
rows of the vendored audit CSV and the vendored crawl subset. The last tests are about the
published content (catalogue/): it holds every code of the listing, and search finds each
imported procedure by its name typed without diacritics (one index build for the module).
"""

import csv
import shutil
from pathlib import Path

import pytest

from buildlib.catalogue.load import load
from buildlib.catalogue.yamlsource import load_text
from buildlib.importer import listing as importer
from buildlib.review.check import check
from buildlib.review.verify import fold
from buildlib.site import search
from chalicelib.versions import has_ended, shown_version, state_of

from .conftest import CATALOGUE, ROOT, SEED_CATALOGUE

REFERENCE = ROOT / "reference"
AUDIT = REFERENCE / importer.LISTING_FILE
WITH_RECORD = "1.000302"  # current, in the vendored crawl subset
BARE = "1.000389"  # current, no national record
ABOLISHED = "1.000280"  # repealed by 3509/QĐ-UBND on 2026-09-03
REPLACED = "2.002621"  # repealed by QĐ 3582; the fixture's 3.000722 says it replaces it
SCHEDULED = "1.011608"  # in force from 2027-01-01 (QĐ 3249/QĐ-UBND)
HELD = "1.001193"  # in the fixture catalogue: never touched
CODES = (WITH_RECORD, BARE, ABOLISHED, REPLACED, SCHEDULED, HELD)


def audit_rows() -> list[dict[str, str]]:
    with AUDIT.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    """(catalogue, reference): the fixture catalogue with Vĩnh Bảo's offices, six listing rows."""
    catalogue = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, catalogue)
    for agency in ("ubnd-xa-vinh-bao", "trung-tam-pvhcc-xa-vinh-bao"):
        shutil.copy(SEED_CATALOGUE / "agencies" / f"{agency}.yaml", catalogue / "agencies")
    reference = tmp_path / "reference"
    target = reference / importer.LISTING_FILE
    target.parent.mkdir(parents=True)
    rows = [r for r in audit_rows() if r["ma"] in CODES]
    assert len(rows) == len(CODES)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    crawl = REFERENCE / "procedures" / importer.CRAWLS[0]
    shutil.copy(crawl, reference / "procedures" / crawl.name)
    return catalogue, reference


def version(catalogue: Path, code: str) -> dict:
    files = sorted((catalogue / "procedures" / code).glob("*.yaml"))
    assert len(files) == 1, files
    data, problems = load_text(files[0].read_text(encoding="utf-8"), str(files[0]))
    assert not problems
    return data


def cited(data: dict, repo: str) -> dict:
    return next(s for s in data["sources"] if s.get("repo") == repo)


def test_the_drafts_pass_check(setup: tuple[Path, Path]) -> None:
    catalogue, reference = setup
    result = importer.import_listing(catalogue, reference)
    assert not result.refused
    assert sorted(result.written) == sorted(set(CODES) - {HELD})
    errors = [p for p in check(catalogue, workers=1) if p.severity == "error"]
    assert errors == []


def test_a_current_code_carries_the_listing_facts_and_the_record_details(
    setup: tuple[Path, Path],
) -> None:
    catalogue, reference = setup
    importer.import_listing(catalogue, reference)
    data = version(catalogue, WITH_RECORD)
    row = next(r for r in audit_rows() if r["ma"] == WITH_RECORD)
    assert data["review"]["status"] == "imported"
    assert data["name"] == row["ten"]
    assert data["effective_from"] == row["active_date"]
    assert data["decision"]["number"] == "3508/QĐ-UBND"
    assert data["intake"]["agencies"] == [importer.CENTRE]
    assert data["cross_boundary"]["allowed"] is (row["phi_dia_gioi"] == "True")
    assert "online_service.kind" in data["unpublished"]
    assert "form" not in data["online_service"]
    listing = cited(data, importer.LISTING_REPO)
    assert (listing["path"], listing["commit"]) == (importer.LISTING_PATH, importer.LISTING_COMMIT)
    record = cited(data, importer.CRAWL_REPO)
    assert record["path"].endswith(f"/{WITH_RECORD}.json")
    assert record["commit"] == importer.CRAWL_COMMIT
    decision = next(s for s in data["sources"] if "decision" in s.get("fields", []))
    assert decision["url"] == row["article_url"]
    assert row["attachment_url"] in decision["note"]
    # details from the national record: deadlines read from it, its steps
    assert {c["kind"] for c in data["channels"]} == {"in_person", "online", "post"}
    assert data["channels"][0]["deadline"] == {
        "amount": 1,
        "unit": "working_days",
        "published_text": "1 Ngày làm việc",
    }
    assert data["cases"][0]["steps"]


def test_a_current_code_without_a_record_says_what_is_not_published(
    setup: tuple[Path, Path],
) -> None:
    catalogue, reference = setup
    importer.import_listing(catalogue, reference)
    data = version(catalogue, BARE)
    assert "audiences" not in data
    assert [c["kind"] for c in data["channels"]] == ["in_person"]
    assert data["channels"][0]["deadline"] == {"unit": "unpublished"}
    assert data["channels"][0]["fees"] == {"status": "unpublished"}
    assert data["cases"][0]["documents"] == []
    for item in ("audiences", "channels.deadline", "channels.fees", "cases.documents"):
        assert item in data["unpublished"]
    assert data["sources"][0]["repo"] == importer.LISTING_REPO
    assert all(s.get("repo") != importer.CRAWL_REPO for s in data["sources"])


def test_an_abolished_code_ends_on_its_repeal_date_by_the_decision_named(
    setup: tuple[Path, Path],
) -> None:
    catalogue, reference = setup
    importer.import_listing(catalogue, reference)
    data = version(catalogue, ABOLISHED)
    assert data["effective_to"] == "2026-09-03"
    assert data["ended"]["kind"] == "abolished"
    assert data["ended"]["decision"]["number"] == "3509/QĐ-UBND"
    assert data["effective_from"] == importer.COMMUNE_FROM
    assert "effective_from" in data["unpublished"]
    assert has_ended([data], "2026-12-07")


def test_a_code_another_procedure_replaces_ends_as_replaced(setup: tuple[Path, Path]) -> None:
    catalogue, reference = setup
    importer.import_listing(catalogue, reference)
    data = version(catalogue, REPLACED)
    assert data["ended"]["kind"] == "replaced"
    assert data["ended"]["replaced_by"] == ["3.000722"]


def test_a_code_not_yet_in_force_is_scheduled_from_its_day(setup: tuple[Path, Path]) -> None:
    catalogue, reference = setup
    importer.import_listing(catalogue, reference)
    data = version(catalogue, SCHEDULED)
    assert data["effective_from"] == "2027-01-01"
    assert state_of(data, "2026-12-07") == "future"
    assert cited(data, importer.LISTING_REPO)["differences"][0]["field"] == "status"


def test_a_second_run_writes_nothing_and_never_touches_a_reviewed_version(
    setup: tuple[Path, Path],
) -> None:
    catalogue, reference = setup
    held = (catalogue / "procedures" / HELD).iterdir()
    before = {p: p.read_bytes() for p in held}
    importer.import_listing(catalogue, reference)
    fields = (catalogue / "fields.yaml").read_bytes()
    draft = next((catalogue / "procedures" / BARE).glob("*.yaml"))
    reviewed = draft.read_text(encoding="utf-8").replace(
        "source_record: build.py import-listing", "source_record: biên tập viên"
    )
    draft.write_text(reviewed, encoding="utf-8")
    again = importer.import_listing(catalogue, reference)
    assert again.written == []
    assert sorted(again.kept) == [BARE, HELD]
    assert draft.read_text(encoding="utf-8") == reviewed
    assert (catalogue / "fields.yaml").read_bytes() == fields
    assert {p: p.read_bytes() for p in before} == before


def test_a_new_field_is_named_as_the_listing_names_it(setup: tuple[Path, Path]) -> None:
    catalogue, reference = setup
    importer.import_listing(catalogue, reference)
    fields, _ = load_text((catalogue / "fields.yaml").read_text(encoding="utf-8"), "fields.yaml")
    names = {f["id"]: f["name"] for f in fields["fields"]}
    assert names[version(catalogue, WITH_RECORD)["field"]] == "Đường bộ"
    assert importer.sentence_case("LAO ĐỘNG - TIỀN LƯƠNG") == "Lao động - tiền lương"


# --- the published catalogue ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed():
    return load(SEED_CATALOGUE)


def test_the_catalogue_holds_every_code_of_the_listing(seed) -> None:
    procedures = seed.procedures()
    snapshot = importer.LISTING_SNAPSHOT
    for row in audit_rows():
        versions = [d.data for d in procedures.get(row["ma"], [])]
        assert versions, row["ma"]
        if versions[-1].get("review", {}).get("source_record") != importer.MARKER:
            continue  # a reviewed procedure: verify compares it with the listing
        if row["publishable"] == "True":
            assert not has_ended(versions, snapshot), row["ma"]
        elif "có hiệu lực từ" in row["reason"]:
            assert state_of(versions[-1], snapshot) == "future", row["ma"]
        else:
            assert has_ended(versions, row["repeal_date"]), row["ma"]


@pytest.fixture(scope="module")
def seed_index(seed, tmp_path_factory: pytest.TempPathFactory) -> search.Index:
    target = tmp_path_factory.mktemp("listing-search")
    search.write_files(search.build(seed, "2026-12-07"), target, measure=False)
    return search.Index(target / "search")


def test_search_finds_each_imported_procedure_by_its_name_without_diacritics(
    seed, seed_index: search.Index
) -> None:
    drafts = [
        shown_version([d.data for d in docs], "2026-12-07")
        for docs in seed.procedures().values()
        if docs[-1].data.get("review", {}).get("source_record") == importer.MARKER
    ]
    assert len(drafts) > 700
    missed = []
    for v in drafts:
        typed = fold(v["name"])  # lower case, no diacritics, đ -> d
        assert typed.isascii()
        codes = [r["code"] for r in search.query(seed_index, typed)]
        if v["code"] not in codes:
            missed.append((v["code"], typed))
    assert missed == []


def test_a_reviewed_version_beside_a_draft_replaces_it(setup: tuple[Path, Path]) -> None:
    catalogue, reference = setup
    importer.import_listing(catalogue, reference)
    folder = catalogue / "procedures" / BARE
    draft = next(folder.glob("*.yaml"))
    reviewed = folder / "2026-11-01.yaml"
    reviewed.write_text(
        draft.read_text(encoding="utf-8")
        .replace("source_record: build.py import-listing", "source_record: biên tập viên")
        .replace(f"effective_from: {draft.stem}", "effective_from: 2026-11-01"),
        encoding="utf-8",
    )
    again = importer.import_listing(catalogue, reference)
    assert again.dropped == [BARE]
    assert sorted(folder.glob("*.yaml")) == [reviewed]
    assert BARE in again.kept


def test_the_schema_lets_a_draft_leave_out_audiences_but_never_name_a_form() -> None:
    from buildlib.catalogue.schemas import SchemaSet

    schemas = SchemaSet()
    files = sorted((CATALOGUE / "procedures" / "1.001193").glob("*.yaml"))
    reviewed, _ = load_text(files[-1].read_text(encoding="utf-8"), "x.yaml")
    assert reviewed["online_service"].get("form")
    without = {k: v for k, v in reviewed.items() if k != "audiences"}
    assert list(schemas.errors("procedure", without))  # a reviewed version needs audiences
    draft = without | {"review": {"status": "imported"}}
    errors = list(schemas.errors("procedure", draft))
    assert [path for path, _, _ in errors] == [("online_service",)]
    draft["online_service"] = {"kind": "unpublished"}
    assert list(schemas.errors("procedure", draft)) == []
