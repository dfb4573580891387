"""`build.py new`: a new version starts from the latest one; a new procedure from a skeleton that
`check` turns into a to-do list with line numbers."""

import contextlib
import io
from pathlib import Path

import build
from buildlib.catalogue.yamlsource import load_text
from buildlib.review.check import check


def run_new(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = build.main(["new", *args])
    return code, out.getvalue()


def _latest(folder: Path) -> Path:
    return sorted(folder.glob("*.yaml"))[-1]


def test_a_new_version_copies_the_latest_and_closes_it(catalogue_copy: Path):
    folder = catalogue_copy / "procedures" / "1.004837"
    latest = _latest(folder)
    before = latest.read_text(encoding="utf-8")
    code, output = run_new(
        "1.004837", "--catalogue", str(catalogue_copy), "--effective-from", "2030-01-01"
    )
    assert code == 0, output
    new_file = folder / "2030-01-01.yaml"
    new, _ = load_text(new_file.read_text(encoding="utf-8"), "x")
    old, _ = load_text(latest.read_text(encoding="utf-8"), "x")
    previous, _ = load_text(before, "x")
    assert new["effective_from"] == "2030-01-01"
    assert "effective_to" not in new
    assert new["change"]["kind"] == "amended"
    assert new["channels"] == previous["channels"]
    assert new["cases"] == previous["cases"]
    assert old["effective_to"] == "2030-01-01"
    assert {k: v for k, v in old.items() if k != "effective_to"} == previous
    assert not [p for p in check(catalogue_copy) if p.severity == "error"]


def test_the_copy_keeps_the_editors_comments(catalogue_copy: Path):
    folder = catalogue_copy / "procedures" / "1.004837"
    comments = [
        line
        for line in _latest(folder).read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith("#")
    ]
    run_new("1.004837", "--catalogue", str(catalogue_copy), "--effective-from", "2030-01-01")
    copied = (folder / "2030-01-01.yaml").read_text(encoding="utf-8")
    assert all(comment in copied for comment in comments)


def test_a_new_procedure_gets_a_skeleton_and_a_to_do_list(catalogue_copy: Path):
    code, output = run_new(
        "1.999999",
        "--catalogue",
        str(catalogue_copy),
        "--name",
        "Thủ tục thử",
        "--field",
        "ho-tich",
        "--effective-from",
        "2030-01-01",
    )
    assert code == 0
    assert "procedures/1.999999/2030-01-01.yaml:" in output
    assert "agencies.implementing: cần ít nhất 1 mục" in output
    problems = check(catalogue_copy)
    assert {p.path.split("/")[-2] for p in problems if p.severity == "error"} == {"1.999999"}


def test_refuses_a_version_that_does_not_follow_the_latest(catalogue_copy: Path):
    code, output = run_new(
        "1.004837", "--catalogue", str(catalogue_copy), "--effective-from", "2001-01-01"
    )
    assert code == 2
    assert "phải bắt đầu sau" in output


def test_refuses_a_bad_code_or_date(catalogue_copy: Path):
    assert run_new("1.4837", "--catalogue", str(catalogue_copy))[0] == 2
    assert (
        run_new("1.004837", "--catalogue", str(catalogue_copy), "--effective-from", "2030-13-01")[0]
        == 2
    )


def test_refuses_a_new_version_of_an_ended_procedure(catalogue_copy: Path):
    ended = [
        folder.name
        for folder in (catalogue_copy / "procedures").iterdir()
        if "\nended:" in _latest(folder).read_text(encoding="utf-8")
    ]
    assert ended
    code, output = run_new(
        ended[0], "--catalogue", str(catalogue_copy), "--effective-from", "2031-01-01"
    )
    assert code == 2
    assert "đã kết thúc" in output
