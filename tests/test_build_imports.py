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
    (through stats.py, ~0.02 s) and importlib.metadata (~0.03 s) are imported when needed."""
    unwanted = ["jsonschema", "referencing", "chalicelib.ratings", "importlib.metadata"]
    script = "import sys, buildlib.site.build; print([m for m in sys.argv[1:] if m in sys.modules])"
    command = [sys.executable, "-c", script, *unwanted]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["mkdocs", "mkdocs-material", "holidays", "Jinja2", "PyYAML"])
def test_a_version_is_read_as_importlib_metadata_reads_it(name: str):
    assert cache.version(name) == importlib.metadata.version(name)


def test_an_unknown_distribution_is_an_error_as_with_importlib_metadata():
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        cache.version("no-such-distribution-here")


def test_the_statistics_page_is_where_stats_writes_it():
    assert build.STATISTICS_PAGE == stats.PAGE
