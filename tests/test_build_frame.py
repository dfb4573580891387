"""mkdocs' frame is built by a process of its own while the catalogue is scanned, loaded and checked
(buildlib/site/build.py start_frame), and reaches the site only once the catalogue is right."""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from buildlib.site import build, cache
from buildlib.site.build import build_command

pytestmark = pytest.mark.slow

TODAY = "2026-09-15"


def test_a_catalogue_with_errors_leaves_the_site_as_it_was(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("the last good build", encoding="utf-8")
    version = sorted((catalogue_copy / "procedures").glob("*/*.yaml"))[0]
    version.write_text("code: [unclosed\n", encoding="utf-8")
    out = io.StringIO()
    code = build_command(
        catalogue_copy, out=out, today=TODAY, site_dir=site, cache_dir=tmp_path / "cache"
    )
    assert code == 1, out.getvalue()
    assert "Không dựng trang" in out.getvalue()
    assert [p.name for p in site.iterdir()] == ["index.html"]
    assert (site / "index.html").read_text(encoding="utf-8") == "the last good build"


def test_the_frame_replaces_the_last_site_but_its_hidden_files(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    (site / "old").mkdir(parents=True)
    (site / "old" / "index.html").write_text("gone", encoding="utf-8")
    (site / ".well-kept").write_text("kept", encoding="utf-8")  # as mkdocs keeps them
    out = io.StringIO()
    code = build_command(
        catalogue_copy, out=out, today=TODAY, site_dir=site, cache_dir=tmp_path / "cache"
    )
    assert code == 0, out.getvalue()
    assert not (site / "old").exists()
    assert (site / ".well-kept").read_text(encoding="utf-8") == "kept"
    assert (site / "_shell" / "index.html").is_file()
    assert not (tmp_path / "cache" / "frame").exists()  # moved, not copied


def test_the_frame_process_starts_before_the_catalogue_is_scanned(
    catalogue_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan hashes every catalogue file with the other core idle: mkdocs runs meanwhile."""
    order: list[str] = []
    scan, background = cache.scan, build.in_background

    def scanning(*args: Any) -> Any:
        order.append("scan")
        return scan(*args)

    def in_background(work: Callable[..., object], *args: Any) -> Any:
        order.append(getattr(work, "func", work).__name__)  # a partial's function
        return background(work, *args)

    monkeypatch.setattr(cache, "scan", scanning)
    monkeypatch.setattr(build, "in_background", in_background)
    out = io.StringIO()
    code = build_command(
        catalogue_copy, out=out, today=TODAY, site_dir=tmp_path / "site", cache_dir=tmp_path / "c"
    )
    assert code == 0, out.getvalue()
    assert order.index("run_mkdocs") < order.index("scan")
