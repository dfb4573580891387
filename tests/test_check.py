"""`build.py check`: the seed catalogue and the fixture catalogue pass; every cross-check and
YAML error is reported at its place; no input, however broken, produces a traceback."""

import io
import os
import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import build
from buildlib.catalogue.crosschecks import UNREVIEWED
from buildlib.catalogue.problems import Problem
from buildlib.catalogue.yamlsource import load_text
from buildlib.review.check import check, report

from .conftest import CATALOGUE, FIXTURES, ROOT

BROKEN = FIXTURES / "broken"
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<field>[^:]+): (?P<msg>.+)$")


def run_check(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = build.main(["check", *args])
    return code, out.getvalue()


@pytest.mark.slow
def test_the_seed_catalogue_passes_check():
    """About the published content: every file of catalogue/ validates and cross-checks."""
    code, output = run_check()
    assert code == 0, output
    assert "Danh mục hợp lệ" in output


def test_the_fixture_catalogue_passes_check():
    code, output = run_check("--catalogue", str(CATALOGUE))
    assert code == 0, output
    assert "Danh mục hợp lệ (0 cảnh báo)" in output


def test_the_broken_fixture_reports_every_problem_at_its_line():
    code, output = run_check("--catalogue", str(BROKEN / "catalogue"))
    assert code == 1
    expected = (BROKEN / "expected.txt").read_text(encoding="utf-8")
    assert output.splitlines() == expected.splitlines()


def test_every_reported_line_has_the_editor_format():
    _, output = run_check("--catalogue", str(BROKEN / "catalogue"))
    problems = output.splitlines()[:-1]
    assert len(problems) > 50
    for line in problems:
        match = LINE.match(line)
        assert match, line
        assert (BROKEN / match["path"]).exists(), line
        text = (BROKEN / match["path"]).read_bytes().splitlines()
        assert 1 <= int(match["line"]) <= max(1, len(text)), line


def test_the_fixture_covers_each_kind_of_problem():
    output = (BROKEN / "expected.txt").read_text(encoding="utf-8")
    kinds = {
        "syntax": "lỗi cú pháp YAML",
        "duplicate key": "bị lặp lại trong cùng một bảng",
        "tab": "ký tự tab",
        "alias": "neo/bí danh",
        "not utf-8": "không phải UTF-8",
        "unknown field": "trường không có trong lược đồ",
        "missing field": "thiếu trường bắt buộc",
        "negative amount": "phải lớn hơn hoặc bằng 0",
        "wrong type": "phải là số nguyên",
        "unknown file": "nằm ngoài cấu trúc danh mục",
        "unknown agency": "cơ quan 'khong-co-co-quan' không tồn tại",
        "unknown field ref": "lĩnh vực 'khong-co-linh-vuc' không tồn tại",
        "unknown form": "biểu mẫu 'khong-co-mau' không tồn tại",
        "unknown unit": "đơn vị hành chính '99999' không tồn tại",
        "unknown related": "thủ tục '9.999999' không tồn tại",
        "unknown replacement": "thủ tục thay thế '8.888888' không tồn tại",
        "unknown life event": "sự kiện cuộc sống 'khong-co-su-kien'",
        "missing template": "không có tệp mẫu",
        "overlap open": "các phiên bản chồng lên nhau",
        "overlap dates": "chồng lên phiên bản",
        "end before start": "phải sau ngày bắt đầu",
        "ended not last": "chỉ phiên bản cuối cùng",
        "end without ended": "ghi 'ended'",
        "district after reform": "cấp huyện chỉ dùng",
        "district agency": "cơ quan cấp huyện phải có effective_to",
        "upload slot document": "không có trong thành phần hồ sơ",
        "form of another procedure": "thuộc thủ tục",
        "form without online channel": "không có kênh online",
        "condition on unknown field": "không phải trường select/yes_no",
        "condition value": "không phải lựa chọn của trường",
        "duplicate field id": "lĩnh vực 'ho-tich' bị trùng",
        "duplicate commune": "mã xã '11824' trùng",
        "duplicate document id": "mã giấy tờ 'to-khai' bị trùng",
        "duplicate case": "trường hợp 'chung' bị trùng",
        "duplicate channel": "kênh nộp 'online' bị trùng",
        "code vs folder": "khác tên thư mục",
        "file name": "khác tên tệp",
        "replacement one-sided": "không ghi change.replaces",
        "replaced one-sided": "không ghi ended.replaced_by",
        "calendar weekday": "phải là ngày thường",
        "calendar weekend": "phải là thứ Bảy hoặc Chủ nhật",
        "calendar year": "không thuộc năm",
        "calendar vs holidays": "thư viện holidays",
        "imported warning": "1 bản nháp nhập tự động chưa rà soát không liệt kê",
    }
    missing = [name for name, text in kinds.items() if text not in output]
    assert not missing


def test_github_format_prints_annotations_with_file_and_line():
    code, output = run_check(
        "--catalogue", str(BROKEN / "catalogue"), "--format", "github", "--drafts"
    )
    assert code == 1
    annotations = [line for line in output.splitlines() if line.startswith("::")]
    assert len(annotations) == len(output.splitlines()) - 1
    assert "::error file=catalogue/forms/tab.yaml,line=5,col=1::" in output
    assert "::warning file=catalogue/procedures/1.000002/2025-01-01.yaml,line=58," in output


def drafts_and_a_warning() -> list[Problem]:
    draft = "catalogue/procedures/1.000{}/2026-09-07.yaml"
    return [
        Problem(
            "catalogue/procedures/1.001193/2026-06-10.yaml",
            7,
            3,
            "cross_boundary.allowed",
            "tiếp nhận phi địa giới cần nguồn",
            "warning",
        ),
        *(
            Problem(draft.format(n), 60, 11, "review.status", UNREVIEWED, "warning")
            for n in range(100, 103)
        ),
    ]


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_the_drafts_unreviewed_warning_is_one_count_and_every_other_warning_shows(fmt: str):
    out = io.StringIO()
    assert report(drafts_and_a_warning(), fmt=fmt, out=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "cross_boundary.allowed" in lines[0] and "1.001193" in lines[0]
    assert lines[1] == (
        "Danh mục hợp lệ (4 cảnh báo, trong đó 3 bản nháp nhập tự động chưa rà soát không liệt "
        "kê: python build.py check --drafts)."
    )


def test_drafts_lists_each_unreviewed_draft_at_its_line():
    out = io.StringIO()
    assert report(drafts_and_a_warning(), fmt="text", out=out, drafts=True) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 5
    assert lines[1] == (
        "catalogue/procedures/1.000100/2026-09-07.yaml:60:11: review.status: cảnh báo: "
        + UNREVIEWED
    )
    assert lines[4] == "Danh mục hợp lệ (4 cảnh báo)."


def test_the_command_counts_the_drafts_and_lists_them_on_request():
    broken = str(BROKEN / "catalogue")
    _, counted = run_check("--catalogue", broken)
    _, listed = run_check("--catalogue", broken, "--drafts")
    draft = "catalogue/procedures/1.000002/2025-01-01.yaml:58:18: review.status"
    assert draft not in counted and draft in listed
    assert counted.splitlines()[-1].endswith(
        "1 bản nháp nhập tự động chưa rà soát không liệt kê: python build.py check --drafts."
    )
    assert listed.splitlines()[-1] == "59 lỗi, 1 cảnh báo."


@pytest.mark.slow
def test_parallel_and_serial_loading_report_the_same_problems():
    serial = check(BROKEN / "catalogue", workers=1)
    parallel_catalogue = check(BROKEN / "catalogue", workers=2)
    assert serial == parallel_catalogue


def test_this_process_and_the_pool_share_the_batches_and_report_what_one_process_does(
    monkeypatch: pytest.MonkeyPatch,
):
    from buildlib.catalogue import load as loading

    serial = check(BROKEN / "catalogue", workers=1)
    monkeypatch.setattr(loading, "PARALLEL_FROM", 1)
    monkeypatch.setattr(loading, "MIN_BATCH", 1)  # one file a batch: both sides take some
    pool_sides = []
    real = loading._unmarshal

    def counted(blob: bytes) -> list:
        pool_sides.append(blob)
        return real(blob)

    monkeypatch.setattr(loading, "_unmarshal", counted)
    assert check(BROKEN / "catalogue", workers=2) == serial
    files = len(loading.discover(BROKEN / "catalogue"))
    assert 0 < len(pool_sides) < files  # the pool read some batches, this process the others


def test_the_checks_run_aside_in_a_forked_process_find_what_run_all_finds(tmp_path: Path):
    from buildlib.catalogue.crosschecks import ASIDE, run_all
    from buildlib.catalogue.load import load

    catalogue = load(BROKEN / "catalogue", workers=1)
    every = run_all(catalogue)
    aside = [p for p in every if p.message.startswith(("nhập tự động", "thư viện holidays"))]
    assert aside and ASIDE  # the fixture has problems found on both sides
    assert len(aside) < len(every)
    expected = sorted(catalogue.problems + every)
    assert check(BROKEN / "catalogue", workers=1) == expected
    assert check(BROKEN / "catalogue", workers=1, cache_dir=tmp_path) == expected  # cold
    assert (tmp_path / "check.marshal").is_file()  # written by the forked process
    assert check(BROKEN / "catalogue", workers=1, cache_dir=tmp_path) == expected  # warm


def test_an_error_in_the_forked_cross_checks_is_raised_by_the_check(
    monkeypatch: pytest.MonkeyPatch,
):
    from buildlib.review import check as checking

    def broken(*args: object) -> list[object]:
        raise ValueError(f"lỗi trong tiến trình {os.getpid()}")

    monkeypatch.setattr(checking, "_aside", broken)  # the fork gets this module as patched
    with pytest.raises(ValueError, match="lỗi trong tiến trình") as raised:
        check(BROKEN / "catalogue", workers=1)
    assert str(os.getpid()) not in str(raised.value)  # raised there, raised again here


def test_check_hands_the_catalogue_it_loaded_to_keep(catalogue_copy: Path):
    from buildlib.catalogue.load import Catalogue

    kept: list[object] = []
    problems = check(catalogue_copy, workers=1, keep=kept)
    assert problems == check(catalogue_copy, workers=1)
    (catalogue,) = kept
    assert isinstance(catalogue, Catalogue) and catalogue.documents


def test_a_problem_in_one_file_does_not_hide_problems_in_others(catalogue_copy: Path):
    first = next((catalogue_copy / "procedures").glob("*/*.yaml"))
    first.write_text("code: [\n", encoding="utf-8")
    agency = catalogue_copy / "agencies" / "ubnd-cap-xa.yaml"
    agency.write_text(agency.read_text(encoding="utf-8") + "colour: blue\n", encoding="utf-8")
    problems = check(catalogue_copy, workers=1)
    assert {p.path.split("/")[-1] for p in problems} >= {first.name, "ubnd-cap-xa.yaml"}
    buffer = io.StringIO()
    assert report(problems, fmt="text", out=buffer) == 1


YAML_ALPHABET = string.printable + "đăâêôơưĐ\u00a0\ufeff\t"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=YAML_ALPHABET, max_size=400))
def test_any_text_is_loaded_or_refused_with_a_positioned_problem(text: str):
    data, problems = load_text(text, "x.yaml")
    if data is None:
        assert problems
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1
        assert problem.message


VALID = (ROOT / "schemas" / "examples" / "valid" / "procedure.yaml").read_text(encoding="utf-8")


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(VALID)),
            st.integers(0, 12),
            st.text(alphabet=": -[]{}&*!|>'\"\t\n#%@`,?0123456789abc", max_size=6),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_check_never_raises_on_a_mangled_procedure(tmp_path_factory, edits):
    text = VALID
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut :]
    root = tmp_path_factory.mktemp("mangled") / "catalogue"
    folder = root / "procedures" / "1.004837"
    folder.mkdir(parents=True)
    (folder / "2026-06-10.yaml").write_text(text, encoding="utf-8")
    problems = check(root, workers=1)
    for problem in problems:
        assert problem.path.startswith("catalogue/")
        assert problem.line >= 1


def test_a_second_check_reads_again_only_the_files_that_changed(tmp_path, monkeypatch):
    import shutil

    from buildlib.catalogue import load as loading

    shutil.copytree(BROKEN / "catalogue", tmp_path / "catalogue")
    catalogue, cache = tmp_path / "catalogue", tmp_path / "cache"
    first = check(catalogue, workers=1, cache_dir=cache)
    assert first == check(catalogue, workers=1)  # the cache changes nothing reported
    read: list[str] = []
    real = loading.load_bytes
    monkeypatch.setattr(loading, "load_bytes", lambda raw, rel: read.append(rel) or real(raw, rel))
    assert check(catalogue, workers=1, cache_dir=cache) == first and read == []
    agency = sorted((catalogue / "agencies").glob("*.yaml"))[0]
    agency.touch()  # a new mtime, the same bytes: hashed, not read as YAML again
    assert check(catalogue, workers=1, cache_dir=cache) == first and read == []
    agency.write_text(agency.read_text(encoding="utf-8") + "name: lặp lại\n", encoding="utf-8")
    again = check(catalogue, workers=1, cache_dir=cache)
    assert read == [f"catalogue/agencies/{agency.name}"]
    assert again == check(catalogue, workers=1) != first
    assert any("bị lặp lại" in p.message and p.path.endswith(agency.name) for p in again)


# Strict-rule cases written into a procedure that the yaml-rs path reads (see test below): what
# to replace in it, and with what.
STRICT_CASES = {
    "duplicate-key": ("field: lien-thong\n", "field: lien-thong\nfield: ho-tich\n"),
    "yes": ("    fees:\n      status: unpublished\n", "    fees:\n      status: yes\n"),
    "octal": ("      amount: unpublished\n", "      amount: 012\n"),
    "0o": ("      amount: unpublished\n", "      amount: 0o17\n"),
    "underscore": ("      amount: unpublished\n", "      amount: 1_000\n"),
    "sexagesimal": ("      amount: unpublished\n", "      amount: 1:30\n"),
    "exponent": ("      amount: unpublished\n", "      amount: 1e3\n"),
    "nan": ("      amount: unpublished\n", "      amount: .nan\n"),
    "anchor": ("  - tinh\n  - xa\n", "  - &l tinh\n  - *l\n"),
    "tab": ("  kind: replacement\n", "\tkind: replacement\n"),
    "number-key": ("field: lien-thong\n", "field: lien-thong\n1: x\n"),
    "empty-block": ("    note: Kênh trực tuyến", "    note: |\n    extra: Kênh trực tuyến"),
    "two-documents": ("field: lien-thong\n", "field: lien-thong\n---\nfield: lien-thong\n"),
}


def test_a_cold_check_reports_the_strict_rule_cases_as_libyaml_alone_does(
    catalogue_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The yaml-rs path is taken for the unchanged file and never for a case, in the parallel
    cold check: every problem is what StrictLoader alone reports, at the same place."""
    from buildlib.catalogue import load as loading
    from buildlib.catalogue import yamlsource

    base = catalogue_copy / "procedures" / "3.000722" / "2026-09-08.yaml"
    text = base.read_text(encoding="utf-8")
    assert isinstance(yamlsource._load_rust(text), dict)
    for name, (old, new) in STRICT_CASES.items():
        assert old in text, name
        case = text.replace(old, new, 1)
        with pytest.raises(yamlsource._Unusual):
            yamlsource._load_rust(case)
        folder = catalogue_copy / "procedures" / f"9.{len(name):03d}{name[:3]}"
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.yaml").write_text(case, encoding="utf-8")
    monkeypatch.setattr(loading, "PARALLEL_FROM", 1)  # two worker processes, as at 10,000
    cold = check(catalogue_copy, workers=2, cache_dir=tmp_path / "cache")
    fast_data = [repr(d.data) for d in loading.load(catalogue_copy, workers=1).documents]

    def refuse(text: str) -> None:
        raise yamlsource._Unusual

    monkeypatch.setattr(yamlsource, "_load_rust", refuse)
    assert cold == check(catalogue_copy, workers=1)
    assert fast_data == [repr(d.data) for d in loading.load(catalogue_copy, workers=1).documents]
    refused = {p.path.rsplit("/", 1)[1] for p in cold if p.severity == "error"}
    # 012, 1_000 and 1:30 are integers for YAML 1.1 (10, 1000, 90): valid amounts
    assert refused >= {f"{name}.yaml" for name in STRICT_CASES} - {
        "octal.yaml",
        "underscore.yaml",
        "sexagesimal.yaml",
    }
