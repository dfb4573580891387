"""The pages a change touches (buildlib/review/pullrequest.py `changed_pages`), from a real git
diff: a procedure's own pages and the lists naming it, an agency's page, a form's application
page, and a sample of every kind of page when the theme or a catalogue-wide file changed."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from buildlib.catalogue.problems import Problem
from buildlib.review.pullrequest import SAMPLE, annotate, changed_pages

from .conftest import CATALOGUE

pytestmark = pytest.mark.slow  # git in a subprocess


def git(repo: Path, *args: str) -> None:
    ident = ["-c", "user.name=Biên tập", "-c", "user.email=bt@example.org"]
    subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(CATALOGUE, tmp_path / "catalogue")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def commit(repo: Path, path: str, text: str | None) -> None:
    target = repo / path
    if text is None:
        target.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", path)


def test_an_agency_file_touches_its_page(repo: Path):
    path = "catalogue/agencies/ubnd-cap-xa.yaml"
    commit(repo, path, (repo / path).read_text(encoding="utf-8") + "\n# ghi chú\n")
    changed = changed_pages(repo, "main~1", "main")
    assert changed.pages == ["co-quan/ubnd-cap-xa/"] and not changed.site_wide


def test_a_theme_change_touches_every_kind_of_page(repo: Path):
    commit(repo, "theme/assets/extra.css", "a { color: #000; }\n")
    changed = changed_pages(repo, "main~1", "main")
    assert changed.site_wide == ["theme/assets/extra.css"]
    assert set(SAMPLE) <= set(changed.pages)
    assert "mọi trang" in changed.markdown()


def test_a_deleted_version_is_listed_as_a_page_gone(repo: Path):
    commit(repo, "catalogue/procedures/1.001612/2026-08-08.yaml", None)
    changed = changed_pages(repo, "main~1", "main")
    assert changed.removed == ["thu-tuc/1.001612/2026-08-08/"]
    assert "thu-tuc/1.001612/" in changed.pages and "thu-tuc/1.001612/2025-07-01/" in changed.pages
    assert "Trang không còn" in changed.markdown()


def test_only_pages_the_preview_has_are_listed(repo: Path, tmp_path: Path):
    path = "catalogue/agencies/ubnd-cap-xa.yaml"
    commit(repo, path, (repo / path).read_text(encoding="utf-8") + "\n# ghi chú\n")
    site = tmp_path / "site"
    site.mkdir()
    assert changed_pages(repo, "main~1", "main", site=site).pages == []


def test_warnings_are_annotated_only_in_changed_files_and_every_error_is():
    problems = [
        Problem("catalogue/a.yaml", 3, 1, "x", "sai"),
        Problem("catalogue/b.yaml", 4, 2, "y", "nên sửa", "warning"),
        Problem("catalogue/c.yaml", 5, 3, "z", "nên sửa", "warning"),
    ]
    out = io.StringIO()
    assert annotate(problems, {"catalogue/c.yaml"}, out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("::error file=catalogue/a.yaml,line=3,col=1::")
    assert lines[1] == "catalogue/b.yaml:4:2: y: cảnh báo: nên sửa"  # unchanged: the log only
    assert lines[2].startswith("::warning file=catalogue/c.yaml,line=5,col=3::")
    assert lines[3] == "1 lỗi, 2 cảnh báo."


def test_an_unreviewed_draft_is_annotated_where_changed_and_only_counted_elsewhere():
    message = "nhập tự động, chưa rà soát: kiểm tra trước khi công bố"
    problems = [
        Problem("catalogue/b.yaml", 4, 2, "review.status", message, "warning"),
        Problem("catalogue/c.yaml", 5, 3, "review.status", message, "warning"),
        Problem("catalogue/d.yaml", 6, 1, "y", "nên sửa", "warning"),
    ]
    out = io.StringIO()
    assert annotate(problems, {"catalogue/c.yaml"}, out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("::warning file=catalogue/c.yaml,line=5,col=3::")
    assert lines[1] == "catalogue/d.yaml:6:1: y: cảnh báo: nên sửa"
    assert lines[2] == (
        "Danh mục hợp lệ (3 cảnh báo, trong đó 1 bản nháp nhập tự động chưa rà soát không liệt "
        "kê: python build.py check --drafts)."
    )
