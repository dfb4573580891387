"""`build.py import`: portal records become draft versions, re-import is a diff, every record is
accounted for, and no input (however mangled) raises.

Imports write into a temporary folder with the fixture catalogue's units and calendar. The golden
records and the whole-archive import are about the real national-portal records (the crawl in
../shared), not the fixture catalogue."""

import argparse
import contextlib
import io
import json
import os
import tarfile
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buildlib.catalogue.changes import compare
from buildlib.catalogue.yamlsource import load_text
from buildlib.importer import command as importer
from buildlib.importer import parse
from buildlib.review.check import check

from .conftest import CATALOGUE, ROOT

ARCHIVE = ROOT.parent / "shared" / "reference" / "procedures" / "chatbot_tthc-raw-all.tar.gz"
GOLDEN = Path(__file__).resolve().parent / "golden" / "import"
# The crawl lives in ../shared beside the checkout (as in CI). Outside CI a checkout without it
# skips these tests; in CI a missing archive is a failure, never a silent skip.
needs_archive = pytest.mark.skipif(
    not ARCHIVE.is_file() and not os.environ.get("CI"), reason="reference archive not mounted"
)


@cache
def archive_record(member: str) -> bytes:
    with tarfile.open(ARCHIVE) as archive:
        handle = archive.extractfile(member)
        assert handle is not None
        return handle.read()


def make_run(tmp_path: Path, codes: set[str] = frozenset()) -> importer.Run:
    run = importer.Run(out=tmp_path, start="2026-12-01", today="2026-12-01")
    run.codes.update(codes)
    return run


def draft_of(raw: bytes, tmp_path: Path) -> importer.Draft:
    record = importer.decode(importer.Source("test.json", raw))
    return importer.build_draft(record, "test.json", make_run(tmp_path))


def run_import(paths: list[Path], out: Path, start: str = "2026-12-01") -> importer.Run:
    return importer.import_records(
        paths, out, start=start, today="2026-12-01", repo_catalogue=CATALOGUE
    )


def sample_record(**changes: object) -> dict:
    record = {
        "ma_thu_tuc": "1.999001",
        "detail_url": "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/abc",
        "ten_thu_tuc": "Thủ tục thử nghiệm",
        "so_quyet_dinh": "1/QĐ-BTP",
        "cap_thuc_hien": "Cấp xã",
        "loai_thu_tuc": "Loại khác",
        "linh_vuc": "Hộ tịch",
        "doi_tuong_thuc_hien": "Công dân Việt Nam",
        "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã",
        "cach_thuc_thuc_hien": "Hình thức nộpThời gianPhí, lệ phíMô tả"
        "Trực tiếp3 Ngày làm việcMiễn phí(Lệ phí: 8.000 đồng)",
        "thanh_phan_ho_so": "--Tên giấy tờMẫu đơn, tờ khaiSố lượngTờ khai1 bản chính",
        "can_cu_phap_ly": "Tên văn bản pháp lýMã văn bảnLuật Hộ tịch60/2014/QH13",
        "trinh_tu_thuc_hien": "- Nộp hồ sơ.\n- Nhận kết quả.",
        "ket_qua_xu_ly": "Giấy xác nhậnMã: KQ.G15.000001Từ khóaKhông có thông tinMô tả"
        "Không có thông tin",
    }
    record.update(changes)
    return record


def write_json(folder: Path, name: str, data: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- the small parsers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 Ngày làm việc", {"amount": 3, "unit": "working_days"}),
        ("10 Ngày", {"amount": 10, "unit": "days"}),
        ("4 Giờ", {"amount": 4, "unit": "hours"}),
        ("Trong ngày", {"unit": "same_day"}),
        ("1", {"amount": 1, "unit": "unpublished"}),
        ("Không có thông tin", {"amount": "unpublished", "unit": "unpublished"}),
        ("3 Tháng", {"amount": "unpublished", "unit": "unpublished"}),
    ],
)
def test_a_deadline_cell_is_read_and_always_keeps_its_published_text(text, expected):
    deadline, _ = parse.parse_deadline(text)
    assert deadline == {**expected, "published_text": text}


def test_a_stated_charge_is_parsed_but_the_free_column_alone_never_means_none():
    charged, ok = parse.parse_fees("Miễn phí(Lệ phí: 8.000 đồng)")
    assert ok and charged["status"] == "charged"
    assert charged["items"] == [{"kind": "charge", "name": "Lệ phí", "amount": 8000}]
    free, ok = parse.parse_fees("Miễn phí")
    assert not ok and free == {"status": "unpublished", "published_text": "Miễn phí"}


def test_a_fee_whose_amount_contradicts_the_column_stays_unpublished():
    fees, ok = parse.parse_fees("1,000,000 Việt Nam Đồng(Phí thẩm định: 500.000 đồng)")
    assert not ok and fees["status"] == "unpublished"


def test_a_count_glued_to_a_name_ending_in_digits_is_not_split_by_guess():
    text = "--Tên giấy tờMẫu đơn, tờ khaiSố lượngĐơn theo Mẫu số 181 bản chínhTờ khai1 bản chính"
    documents, confident = parse.parse_documents(text)
    assert not confident
    assert [d["name"] for d in documents] == ["Tờ khai"]


def test_levels_that_are_no_level_come_back_apart():
    assert parse.parse_levels("Cấp bộ, Cấp tỉnh, Cơ quan khác, Cấp huyện") == (
        ["trung-uong", "tinh", "khac"],
        ["Cấp huyện"],
    )


def test_slugs_are_ascii():
    assert parse.slugify("Hộ tịch") == "ho-tich"
    assert parse.slugify("Đường thủy nội địa") == "duong-thuy-noi-dia"


# --- golden records, expected values written by hand from each record's text ------------------


def _goldens() -> list[Path]:
    return sorted(GOLDEN.glob("*.yaml"))


def test_goldens_cover_the_six_ministries():
    folders = {
        yaml.safe_load(p.read_text(encoding="utf-8"))["record"].split("/")[1] for p in _goldens()
    }
    assert len(_goldens()) >= 10
    assert folders >= {
        "bo-cong-an",
        "bo-tu-phap",
        "bo-tai-chinh",
        "bo-nong-nghiep-mt",
        "bo-xay-dung",
        "ngan-hang-nha-nuoc",
    }


@needs_archive
@pytest.mark.parametrize("golden", _goldens(), ids=lambda p: p.stem)
def test_a_real_record_parses_to_what_its_own_text_says(golden, tmp_path):
    expected = yaml.safe_load(golden.read_text(encoding="utf-8"))
    draft = draft_of(archive_record(expected["record"]), tmp_path)
    data, verbatim = draft.data, draft.verbatim
    assert data["code"] == golden.stem
    if "channels" in expected:
        got = [{k: c[k] for k in ("kind", "deadline", "fees")} for c in data["channels"]]
        want = [{k: c[k] for k in ("kind", "deadline", "fees")} for c in expected["channels"]]
        assert got == want
        for channel, wanted in zip(data["channels"], expected["channels"], strict=True):
            if "note" in wanted:
                assert channel.get("note") == wanted["note"]
    documents = data["cases"][0]["documents"]
    if expected.get("documents") == "verbatim":
        assert "documents" in verbatim
    elif "documents" in expected:
        assert "documents" not in verbatim
        got = [
            {k: d[k] for k in ("name", "originals", "copies")}
            | ({"template": d["template"]["name"]} if "template" in d else {})
            for d in documents
        ]
        assert got == expected["documents"]
    if "legal_basis" in expected:
        got = data.get("legal_basis", [])
        assert [b["number"] for b in got] == [b["number"] for b in expected["legal_basis"]]
        for item, wanted in zip(got, expected["legal_basis"], strict=True):
            assert {k: item.get(k) for k in wanted} == wanted


# --- the run: refusals, report, re-import ----------------------------------------------------


def test_every_kind_of_bad_record_is_refused_with_its_reason(tmp_path):
    inbox = tmp_path / "in"
    write_json(inbox, "a.json", sample_record())
    write_json(inbox, "b.json", sample_record())  # same code again
    write_json(inbox, "c.json", ["not", "a", "record"])
    write_json(inbox, "d.json", sample_record(ma_thu_tuc=""))
    write_json(inbox, "e.json", sample_record(ma_thu_tuc="1.23"))
    write_json(inbox, "f.json", sample_record(ma_thu_tuc="1.999002", cap_thuc_hien="Cấp huyện"))
    (inbox / "g.json").write_bytes(b'{"ma_thu_tuc": "1.9\xff')
    run = run_import([inbox], tmp_path / "out" / "catalogue")
    reasons = sorted(reason for _, reason in run.refused)
    assert run.total == 7 and len(run.written) == 1 and len(run.refused) == 6
    assert any("trùng" in r for r in reasons)
    assert any("JSON không hợp lệ" in r for r in reasons)
    assert any("không phải đối tượng JSON" in r for r in reasons)
    assert any("thiếu mã" in r for r in reasons)
    assert any("sai định dạng" in r for r in reasons)
    assert any("cấp thực hiện" in r for r in reasons)


def test_an_imported_version_is_marked_and_passes_check(tmp_path):
    inbox = tmp_path / "in"
    write_json(inbox, "a.json", sample_record())
    out = tmp_path / "out" / "catalogue"
    run_import([inbox], out)
    data, _ = load_text((out / "procedures/1.999001/2026-12-01.yaml").read_text("utf-8"), "x")
    assert data["review"]["status"] == "imported"
    assert data["review"]["imported_at"] == "2026-12-01"
    assert data["channels"][0]["fees"]["items"][0]["amount"] == 8000
    assert {"effective_from", "decision.date"} <= set(data["unpublished"])
    assert (out / "fields.yaml").is_file() and (out / "units").is_dir()
    problems = check(out, workers=1)
    assert [p for p in problems if p.severity == "error"] == []
    assert any(p.severity == "warning" for p in problems)


@pytest.mark.slow
def test_reimport_of_a_changed_record_is_a_new_version_and_identical_writes_nothing(tmp_path):
    out = tmp_path / "out" / "catalogue"
    write_json(tmp_path / "v1", "r.json", sample_record())
    run_import([tmp_path / "v1"], out, start="2026-12-01")
    changed = sample_record(
        cach_thuc_thuc_hien="Hình thức nộpThời gianPhí, lệ phíMô tả"
        "Trực tiếp5 Ngày làm việcMiễn phí(Lệ phí: 10.000 đồng)"
    )
    write_json(tmp_path / "v2", "r.json", changed)
    second = run_import([tmp_path / "v2"], out, start="2027-01-01")
    folder = out / "procedures" / "1.999001"
    assert sorted(p.name for p in folder.glob("*.yaml")) == ["2026-12-01.yaml", "2027-01-01.yaml"]
    old, _ = load_text((folder / "2026-12-01.yaml").read_text("utf-8"), "old")
    new, _ = load_text((folder / "2027-01-01.yaml").read_text("utf-8"), "new")
    assert old["effective_to"] == "2027-01-01" and new["change"]["kind"] == "amended"
    labels = {c.label for c in compare(old, new)}
    assert any(label.startswith("Thời hạn giải quyết") for label in labels)
    assert any("Lệ phí" in label for label in labels)
    assert second.new_versions and not second.written
    third = run_import([tmp_path / "v2"], out, start="2027-02-01")
    assert third.unchanged == ["1.999001"]
    assert len(list(folder.glob("*.yaml"))) == 2
    assert "Không đổi, không ghi gì" in importer.report(third, 0.1)
    assert [p for p in check(out, workers=1) if p.severity == "error"] == []


def test_the_command_writes_a_report_next_to_the_output_and_one_summary_line(tmp_path):
    write_json(tmp_path / "in", "a.json", sample_record())
    out = tmp_path / "corpus" / "catalogue"
    args = argparse.Namespace(
        paths=[str(tmp_path / "in")], out=str(out), effective_from=None, report=None
    )
    stdout = io.StringIO()
    assert importer.import_command(ROOT, args, out=stdout) == 0
    assert len(stdout.getvalue().strip().splitlines()) == 1
    assert "Báo cáo nhập từ CSDL quốc gia" in (tmp_path / "corpus" / "import-report.md").read_text(
        encoding="utf-8"
    )


# --- mangled input never raises ----------------------------------------------------------------

_text = st.text(max_size=300)
_portalish = st.sampled_from(
    [
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp",
        "Tên giấy tờMẫu đơn, tờ khaiSố lượng",
        "1 bản chính,",
        "Tên văn bản pháp lýMã văn bản",
        "Mã: KQ.G01.000001",
        "Cấp xã",
        "1.000001",
        "Miễn phí(",
        "Lệ phí: 8.000 đồng",
    ]
)
_field = st.one_of(
    _text,
    st.lists(st.one_of(_portalish, _text), max_size=6).map("".join),
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)
_records = st.dictionaries(st.sampled_from(importer.KEYS), _field, max_size=len(importer.KEYS))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    record=st.one_of(
        _records, _records.map(lambda r: {**sample_record(), **r}), st.lists(_text, max_size=3)
    )
)
def test_a_mangled_record_is_a_draft_or_a_refusal_never_an_exception(record):
    raw = json.dumps(record, ensure_ascii=False).encode("utf-8")
    run = importer.Run(out=Path("/nonexistent"), start="2026-12-01", today="2026-12-01")
    try:
        draft = importer.build_draft(importer.decode(importer.Source("x.json", raw)), "x", run)
    except importer.RefusedError:
        return
    assert draft.data["review"]["status"] == "imported"


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=200))
def test_invalid_json_bytes_are_refused(raw):
    with contextlib.suppress(importer.RefusedError):
        importer.decode(importer.Source("x.json", raw))


# --- the whole archive --------------------------------------------------------------------


@pytest.mark.slow
@needs_archive
def test_the_whole_archive_imports_every_record_is_accounted_for_and_check_passes(tmp_path):
    out = tmp_path / "corpus" / "catalogue"
    run = run_import([ARCHIVE], out)
    imported = len(run.written) + len(run.new_versions) + len(run.unchanged)
    assert run.total == 2642
    assert imported + len(run.refused) == run.total
    assert imported > 2500
    report = importer.report(run, 1.0)
    assert f"nhập + từ chối = {run.total}" in report
    errors = [p for p in check(out) if p.severity == "error"]
    assert errors == []
