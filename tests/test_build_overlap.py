"""What the build does at the same time (buildlib/site/build.py): a full build checks the catalogue
in a process of its own while it summarises the procedures (`_checked`; a rebuild checks it
first, in its own process); the field and agency feeds are written while the procedure pages
render, before the browse pages that link to them; the command line ends without freeing what
the build made."""

import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from buildlib.site import build, parallel
from buildlib.site.build import build_command

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-09-15"


def _backgrounds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the work `in_background` is given, in order."""
    started: list[str] = []
    background = build.in_background

    def in_background(work: Callable[..., object], *args: Any) -> Any:
        started.append(getattr(work, "func", work).__name__)  # a partial's function
        return background(work, *args)

    monkeypatch.setattr(build, "in_background", in_background)
    return started


def test_a_full_build_checks_the_catalogue_in_a_process_of_its_own(
    catalogue_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _backgrounds(monkeypatch)
    out = io.StringIO()
    code = build_command(
        catalogue_copy, out=out, today=TODAY, site_dir=tmp_path / "site", cache_dir=tmp_path / "c"
    )
    assert code == 0, out.getvalue()
    assert "_check" in started
    started.clear()
    code = build_command(  # nothing changed: no check at all
        catalogue_copy, out=out, today=TODAY, site_dir=tmp_path / "site", cache_dir=tmp_path / "c"
    )
    assert code == 0, out.getvalue()
    version = sorted((catalogue_copy / "procedures").glob("*/*.yaml"))[0]
    version.write_text(version.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    code = build_command(  # a rebuild: checked in this process
        catalogue_copy, out=out, today=TODAY, site_dir=tmp_path / "site", cache_dir=tmp_path / "c"
    )
    assert code == 0, out.getvalue()
    assert "một phần" in out.getvalue()
    assert "_check" not in started


def test_the_check_is_what_a_full_build_reports_when_a_summary_fails_on_the_same_file(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    """A version without a name: the schema refuses it, and its summary (browse.summary, made
    while the check runs) fails on it: the editor reads the check's message, not a traceback."""
    version = sorted((catalogue_copy / "procedures").glob("*/*.yaml"))[0]
    text = version.read_text(encoding="utf-8")
    version.write_text(re.sub(r"(?m)^name: .*\n", "", text, count=1), encoding="utf-8")
    site = tmp_path / "site"
    out = io.StringIO()
    code = build_command(
        catalogue_copy, out=out, today=TODAY, site_dir=site, cache_dir=tmp_path / "cache"
    )
    assert code == 1, out.getvalue()
    assert "Không dựng trang" in out.getvalue()
    assert "name" in out.getvalue()
    assert not site.exists()  # nothing written


def test_the_field_and_agency_feeds_are_written_while_the_procedures_render(
    catalogue_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    write_feeds, render_chunk, browse_pages = (
        build.write_feeds,
        parallel._render_chunk,
        build.browse.pages,
    )

    def feeds(*args: Any) -> Any:
        order.append("feeds")
        return write_feeds(*args)

    def chunk(codes: list[str]) -> Any:
        order.append("procedures")
        return render_chunk(codes)

    def browsing(*args: Any) -> Any:
        order.append("browse")
        return browse_pages(*args)

    monkeypatch.setattr(build, "write_feeds", feeds)
    monkeypatch.setattr(parallel, "_render_chunk", chunk)
    monkeypatch.setattr(build.browse, "pages", browsing)
    out = io.StringIO()
    site = tmp_path / "site"
    code = build_command(
        catalogue_copy, out=out, today=TODAY, site_dir=site, cache_dir=tmp_path / "cache"
    )
    assert code == 0, out.getvalue()
    assert order.index("procedures") < order.index("feeds") < order.index("browse")
    assert list(site.glob("duyet/linh-vuc/*/thay-doi.xml"))  # and the browse pages link to them


def test_the_command_line_ends_without_freeing_but_with_its_output_and_exit_code(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    """build.py ends the process with os._exit (build.end): what it printed is there, the exit
    code is the command's, and the forked processes (mkdocs', the check's...) have ended."""
    command = [sys.executable, str(ROOT / "build.py"), "build", "--catalogue", str(catalogue_copy)]
    command += ["--today", TODAY, "--site-dir", str(tmp_path / "site")]
    command += ["--cache-dir", str(tmp_path / "cache")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Đã dựng (toàn bộ)" in done.stdout
    assert (tmp_path / "site" / "_shell" / "index.html").is_file()
    version = sorted((catalogue_copy / "procedures").glob("*/*.yaml"))[0]
    version.write_text("code: [unclosed\n", encoding="utf-8")
    done = subprocess.run([*command, "--full"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert "Không dựng trang" in done.stdout
    # mkdocs' process, started before the check failed, was waited for: its frame is complete
    assert (tmp_path / "cache" / "frame" / "_shell" / "index.html").is_file()
