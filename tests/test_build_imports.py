"""What `build.py build` imports: a rebuild after one change is ~1 s at 10,000 procedures, and
importing what it does not use was a fifth of it (bench/README.md, branch rebuild4)."""

import importlib.metadata
import subprocess
import sys

import pytest

from buildlib.site import build, cache, stats

from .conftest import ROOT


@pytest.mark.slow
def test_the_build_imports_no_module_only_an_invalid_document_or_the_statistics_page_needs():
    """jsonschema (errors of an invalid document, ~0.045 s), the API's ratings and dossiers
    (through stats.py, ~0.02 s), importlib.metadata (~0.03 s) and markdown (the application
    pages' privacy notice, ~0.015 s) are imported when needed."""
    unwanted = ["jsonschema", "referencing", "chalicelib.ratings", "importlib.metadata"]
    unwanted.append("markdown")
    script = "import sys, buildlib.site.build; print([m for m in sys.argv[1:] if m in sys.modules])"
    command = [sys.executable, "-c", script, *unwanted]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_build_code_is_found_without_importing_the_modules_it_names():
    """cache.code_modules lists chalicelib/stats.py (stats.py imports names from it) without
    running it: importlib's find_spec("chalicelib.stats.COLUMNS") imported chalicelib.stats and
    the API's modules it imports (~0.06 s of every rebuild at 10,000 procedures)."""
    script = (
        "import sys; from buildlib.site import cache; found = cache.code_modules();"
        "print(any(p.match('chalicelib/stats.py') for p in found),"
        " [m for m in sys.modules if m.startswith('chalicelib.')])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    listed, imported = done.stdout.split(" ", 1)
    assert listed == "True"
    assert "chalicelib.stats" not in imported and "chalicelib.ratings" not in imported


def test_code_modules_finds_what_importlib_finds():
    """Each module code_modules lists is where importlib.util.find_spec finds it."""
    import importlib.util

    specs: dict = {}
    for name in ("buildlib.site.stats", "chalicelib.stats", "chalicelib.storage.secrets"):
        spec = importlib.util.find_spec(name)
        assert spec is not None
        assert cache._find(name, specs).origin == spec.origin  # type: ignore[union-attr]
    assert cache._find("chalicelib.stats.COLUMNS", specs) is None
    assert cache._find("buildlib.no_such_module", specs) is None


@pytest.mark.parametrize("name", ["mkdocs", "mkdocs-material", "holidays", "Jinja2", "PyYAML"])
def test_a_version_is_read_as_importlib_metadata_reads_it(name: str):
    assert cache.version(name) == importlib.metadata.version(name)


def test_an_unknown_distribution_is_an_error_as_with_importlib_metadata():
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        cache.version("no-such-distribution-here")


def test_the_statistics_page_is_where_stats_writes_it():
    assert build.STATISTICS_PAGE == stats.PAGE
