"""The pull request's accessibility step (scripts/pr/axe.sh): axe-core, with the rules of these
tests, on the pages a change touches, in a preview built from the fixture catalogue."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from buildlib.site import built
from buildlib.site.build import build_command

from ..conftest import CATALOGUE, ROOT


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pr-axe")
    said = io.StringIO()
    code = build_command(
        CATALOGUE, out=said, today="2026-09-15", site_dir=out / "site", cache_dir=out / "cache"
    )
    assert code == 0, said.getvalue()
    return out


def axe_step(out: Path, pages: list[str]) -> subprocess.CompletedProcess:
    (out / "changed-pages.txt").write_text("".join(f"{p}\n" for p in pages), encoding="utf-8")
    env = {**os.environ, "MOTCUA_PR_OUT": str(out), "MOTCUA_PR_PYTHON": sys.executable}
    return subprocess.run(
        [str(ROOT / "scripts" / "pr" / "axe.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_the_changed_pages_of_a_preview_pass_axe(preview: Path):
    pages = [
        "thu-tuc/1.001193/",
        "thu-tuc/1.001193/in/",
        "nop-ho-so/1.001193/",
        "co-quan/ubnd-cap-xa/",
    ]
    done = axe_step(preview, pages)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "axe-core: 4 trang đã kiểm tra, 0 trang có lỗi." in done.stdout


def test_a_changed_page_with_a_violation_fails_the_step_and_says_where(preview: Path):
    page = preview / "site" / "thu-tuc" / "1.001193" / "index.html"
    broken = preview / "site" / "hong" / "index.html"
    broken.parent.mkdir()
    broken.write_text(
        built.read(page).replace("</h1>", '</h1><img src="x.png">', 1),
        encoding="utf-8",
    )
    done = axe_step(preview, ["hong/"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "lỗi tiếp cận trên /hong/" in done.stdout and "image-alt" in done.stdout
