"""`build.py verify`: the catalogue's versions in force against the reference data they cite.

About the published content and the vendored reference (reference/): these tests read
catalogue/ and copies of some of its procedures, never the fixture catalogue.
"""

import io
import shutil
from pathlib import Path

import pytest

from buildlib.catalogue.load import load
from buildlib.review.verify import Reference, verify, verify_command

from .conftest import ROOT, SEED_CATALOGUE

# Loads catalogue/ and the reference records (about a second): the slow tier.
pytestmark = pytest.mark.slow

TODAY = "2026-12-01"
REFERENCE = ROOT / "reference"


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.read(REFERENCE)


def test_the_seed_catalogue_matches_its_sources_or_says_why_not(tmp_path: Path) -> None:
    out = io.StringIO()
    report = tmp_path / "verify.md"
    code = verify_command(SEED_CATALOGUE, REFERENCE, report=report, today=TODAY, out=out)
    assert code == 0, out.getvalue()
    text = report.read_text(encoding="utf-8")
    assert "| `catalogue/procedures/3.000228/2026-06-10.yaml` |" in text
    assert "**structure**" in text  # each explained difference is listed with its reason


def copy_of(tmp_path: Path, *codes: str) -> Path:
    """A catalogue with the seed's fields and agencies and these procedures."""
    root = tmp_path / "catalogue"
    root.mkdir()
    shutil.copy(SEED_CATALOGUE / "fields.yaml", root / "fields.yaml")
    shutil.copytree(SEED_CATALOGUE / "agencies", root / "agencies")
    for code in codes:
        shutil.copytree(SEED_CATALOGUE / "procedures" / code, root / "procedures" / code)
    return root


def only_file(folder: Path) -> Path:
    (file,) = folder.glob("*.yaml")
    return file


def line_of(text: str, marker: str, start: str = "") -> int:
    """1-based number of the first line that starts (after indentation) with `marker`, looking
    from the first line containing `start`."""
    lines = text.split("\n")
    begin = next(i for i, line in enumerate(lines) if start in line)
    return next(i for i in range(begin, len(lines)) if lines[i].lstrip().startswith(marker)) + 1


def problems_after(root: Path, reference: Reference) -> list:
    return verify(load(root, workers=1), reference, on=TODAY).problems


def test_unaltered_copies_pass(tmp_path: Path, reference: Reference) -> None:
    root = copy_of(tmp_path, "1.012786", "1.001193", "3.000228")
    assert problems_after(root, reference) == []


def test_a_changed_deadline_unit_is_reported_at_its_line(
    tmp_path: Path, reference: Reference
) -> None:
    root = copy_of(tmp_path, "1.012786")
    file = only_file(root / "procedures" / "1.012786")
    source = file.read_text(encoding="utf-8")
    file.write_text(source.replace("unit: working_days", "unit: days", 1), encoding="utf-8")
    (problem,) = problems_after(root, reference)
    assert problem.field == "channels[0].deadline"
    assert problem.line == line_of(source, "amount: 20", start="kind: in_person")
    assert problem.path.endswith("procedures/1.012786/2026-06-10.yaml")
    assert '"20 Ngày làm việc"' in problem.message


def test_a_changed_fee_is_reported_at_its_line(tmp_path: Path, reference: Reference) -> None:
    root = copy_of(tmp_path, "1.001193")
    file = only_file(root / "procedures" / "1.001193")
    source = file.read_text(encoding="utf-8")
    assert "amount: 8000" in source
    file.write_text(source.replace("amount: 8000", "amount: 9000", 1), encoding="utf-8")
    (problem,) = problems_after(root, reference)
    assert problem.field == "channels[0].fees.items[1]"
    assert problem.line == line_of(source, "- kind: charge", start="amount: 0")
    assert "9.000 đồng" in problem.message and "12/2018" in problem.message


def test_an_added_legal_basis_is_reported_at_its_line(tmp_path: Path, reference: Reference) -> None:
    root = copy_of(tmp_path, "1.012786")
    file = only_file(root / "procedures" / "1.012786")
    source = file.read_text(encoding="utf-8")
    added = "- number: 99/2026/NĐ-CP\n  date: unpublished\nrelated:"
    file.write_text(source.replace("related:", added, 1), encoding="utf-8")
    (problem,) = problems_after(root, reference)
    assert problem.field.startswith("legal_basis[")
    assert problem.line == line_of(source.replace("related:", added, 1), "- number: 99/2026")
    assert "99/2026/NĐ-CP" in problem.message


def test_a_missing_case_is_reported_at_its_line(tmp_path: Path, reference: Reference) -> None:
    root = copy_of(tmp_path, "1.012786")
    file = only_file(root / "procedures" / "1.012786")
    source = file.read_text(encoding="utf-8")
    start, end = source.index("- id: mat-trang-bo-sung"), source.index("result:")
    file.write_text(source[:start] + source[end:], encoding="utf-8")
    (problem,) = problems_after(root, reference)
    assert problem.field == "cases"
    assert problem.line == line_of(source, "- id: cap-lai-gcn-bi-mat")
    assert "2 trường hợp" in problem.message and "mất Trang bổ sung" in problem.message


def test_an_explanation_that_explains_nothing_is_reported(
    tmp_path: Path, reference: Reference
) -> None:
    root = copy_of(tmp_path, "3.000228")
    file = only_file(root / "procedures" / "3.000228")
    source = file.read_text(encoding="utf-8")
    # The explanation now names a case that does not exist: it explains nothing, and the
    # difference it explained is reported again.
    assert '    item: "chung"\n' in source
    altered = source.replace('    item: "chung"\n', '    item: "khong-co"\n')
    file.write_text(altered, encoding="utf-8")
    found = {(p.field, p.message.split(":")[0]) for p in problems_after(root, reference)}
    assert ("cases[0].documents", "khác bản ghi Cổng DVCQG") in found
    assert any(field.startswith("sources[0].differences[") for field, _ in found)


def test_an_in_person_rate_charged_online_before_8_august_2026_is_reported(
    tmp_path: Path, reference: Reference
) -> None:
    root = copy_of(tmp_path, "1.001193")
    file = only_file(root / "procedures" / "1.001193")
    source = file.read_text(encoding="utf-8")
    before = (
        "          amount: unpublished\n"
        "          condition: Hồ sơ nộp trực tuyến trước ngày 08/8/2026\n"
        "          basis: NQ 08/2025/NQ-HĐND Hải Phòng\n"
    )
    assert before in source
    altered = before.replace("unpublished", "8000").replace("08/2025", "12/2018")
    file.write_text(source.replace(before, altered), encoding="utf-8")
    (problem,) = problems_after(root, reference)
    assert problem.field == "channels[1].fees.items[0]"
    assert "NQ 08/2025" in problem.message and "unpublished" in problem.message
