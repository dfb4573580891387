"""`build.py diff`: field-level changes in plain Vietnamese, golden on the version pairs of the
fixture catalogue (real pairs copied from catalogue/, frozen there), and the reviewer's report
between two git revisions."""

import io
import itertools
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from buildlib.catalogue.changes import compare
from buildlib.catalogue.load import load
from buildlib.review.diff import diff_command

from .conftest import CATALOGUE
from .factories import make_procedure

GOLDEN = Path(__file__).resolve().parent / "golden" / "diff"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _pairs():
    catalogue = load(CATALOGUE, workers=1)
    for code, docs in sorted(catalogue.procedures().items()):
        for old, new in itertools.pairwise(docs):
            yield pytest.param(old.data, new.data, id=f"{code}_{old.path.stem}_{new.path.stem}")


def _render(old: dict, new: dict) -> str:
    lines = [f"{old['code']}: {old['effective_from']} → {new['effective_from']}"]
    lines += [f"- {change.markdown()}" for change in compare(old, new)]
    return "\n".join(lines) + "\n"


def test_the_fixture_catalogue_has_real_version_pairs_to_compare():
    assert len(list(_pairs())) >= 3


@pytest.mark.parametrize(("old", "new"), list(_pairs()))
def test_changes_between_real_versions_match_the_golden_report(old, new, request):
    golden = GOLDEN / f"{request.node.callspec.id}.md"
    text = _render(old, new)
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"chạy UPDATE_GOLDEN=1 để tạo {golden.name}, rồi đọc lại nó"
    assert text == golden.read_text(encoding="utf-8")


def test_fee_and_deadline_changes_read_as_plain_vietnamese():
    old = make_procedure()
    new = make_procedure()
    new["channels"][0]["deadline"] = {"amount": 2, "unit": "working_days"}
    new["channels"][0]["fees"]["items"][0]["amount"] = 8000
    new["cases"][0]["documents"].append(
        {"id": "giay-uy-quyen", "name": "Văn bản ủy quyền", "originals": 1, "copies": 0}
    )
    new["cases"][0]["documents"][0]["copies"] = 1
    lines = [change.markdown() for change in compare(old, new)]
    assert lines == [
        "Thời hạn giải quyết (trực tiếp): 3 → 2 ngày làm việc",
        "Lệ phí đăng ký giám hộ (trực tiếp): 0 đ → 8.000 đ",
        "Giấy tờ “Tờ khai đăng ký giám hộ”: số bản sao: 0 → 1",
        "Thành phần hồ sơ: thêm Văn bản ủy quyền",
    ]


def test_identical_versions_have_no_changes():
    assert compare(make_procedure(), make_procedure()) == []


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _write(root: Path, code: str, start: str, data: dict) -> None:
    folder = root / "catalogue" / "procedures" / code
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (folder / f"{start}.yaml").write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_the_report_between_two_revisions_names_each_kind_of_change(tmp_path: Path):
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "config", "user.email", "editor@example.vn")
    _git(tmp_path, "config", "user.name", "Biên tập viên")
    _write(tmp_path, "1.000001", "2026-06-10", make_procedure())
    _write(
        tmp_path,
        "1.000002",
        "2026-06-10",
        make_procedure(code="1.000002", name="Thủ tục sẽ bị bãi bỏ"),
    )
    _write(
        tmp_path,
        "1.000003",
        "2026-06-10",
        make_procedure(code="1.000003", name="Thủ tục bị thay thế"),
    )
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")

    amended = make_procedure(effective_from="2027-01-01")
    amended["decision"] = {"number": "99/QĐ-UBND", "date": "2026-12-01"}
    amended["channels"][1]["fees"] = {
        "status": "charged",
        "items": [{"kind": "charge", "name": "Lệ phí đăng ký giám hộ", "amount": 0}],
    }
    amended["channels"][0]["fees"]["items"][0]["amount"] = 5000
    _write(tmp_path, "1.000001", "2026-06-10", make_procedure(effective_to="2027-01-01"))
    _write(tmp_path, "1.000001", "2027-01-01", amended)
    ended = {"kind": "abolished", "decision": {"number": "5/QĐ-UBND", "date": "2026-12-01"}}
    _write(
        tmp_path,
        "1.000002",
        "2026-06-10",
        make_procedure(
            code="1.000002", name="Thủ tục sẽ bị bãi bỏ", effective_to="2027-01-01", ended=ended
        ),
    )
    replaced = {
        "kind": "replaced",
        "replaced_by": ["1.000004"],
        "decision": {"number": "6/QĐ-UBND", "date": "unpublished"},
    }
    _write(
        tmp_path,
        "1.000003",
        "2026-06-10",
        make_procedure(
            code="1.000003", name="Thủ tục bị thay thế", effective_to="2027-01-01", ended=replaced
        ),
    )
    _write(
        tmp_path,
        "1.000004",
        "2027-01-01",
        make_procedure(code="1.000004", name="Thủ tục mới thay thế", effective_from="2027-01-01"),
    )

    out = io.StringIO()
    assert diff_command(tmp_path, None, None, out=out) == 0
    report = out.getvalue()
    assert (
        "1 thủ tục thêm mới, 1 phiên bản mới, 1 bị thay thế, 1 bãi bỏ, 0 phiên bản đã có" in report
    )
    assert "- **1.000004 Thủ tục mới thay thế** — cấp xã; hiệu lực từ 01/01/2027" in report
    assert (
        "Phiên bản từ 01/01/2027 (99/QĐ-UBND ngày 01/12/2026), thay phiên bản từ 10/06/2026:"
        in (report)
    )
    assert "- Lệ phí đăng ký giám hộ (trực tiếp): 0 đ → 5.000 đ" in report
    assert "- Phí, lệ phí (trực tuyến): không thu → có thu" in report
    assert "bị thay thế bởi 1.000004 (6/QĐ-UBND), từ 01/01/2027" in report
    assert "bị bãi bỏ (5/QĐ-UBND ngày 01/12/2026), từ 01/01/2027" in report

    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "head")
    between = io.StringIO()
    assert diff_command(tmp_path, "HEAD~1", "HEAD", out=between) == 0
    assert (
        between.getvalue().replace("`HEAD`", "`thư mục làm việc`").split("\n", 3)[3]
        == (report.split("\n", 3)[3])
    )


@pytest.mark.slow
def test_an_unknown_revision_is_reported_not_raised(tmp_path: Path):
    _git(tmp_path, "init", "-q")
    out = io.StringIO()
    assert diff_command(tmp_path, "khong-co", None, out=out) == 2
    assert "Lỗi git" in out.getvalue()
