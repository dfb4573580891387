"""Shared fixtures and the test tiers.

Two catalogues:

- ``CATALOGUE`` (tests/fixtures/catalogue) is what code tests build, load and change: nine
  procedures copied from catalogue/ (each file keeps its ``sources``; ``related`` lists trimmed to
  what is there), frozen so that an editor's change to a fee or a deadline in catalogue/ breaks no
  code test. It holds 1.001612 (three versions, an online form, fees charged then none), 2.000528
  (two versions: a district version, deadline unpublished, then a commune one), 1.001193 and
  1.004873 (online forms with upload slots, deadline unit unpublished), 1.000894 (a form without
  uploads), 2.000986 (replaced by 3.000722), 1.009444 (abolished), 1.004837 (no form), their
  forms, agencies and fields, the khai-sinh life event (two steps), the units of provinces 01 and
  31 and both calendar years. ``build.py check --catalogue tests/fixtures/catalogue`` passes
  (tests/test_check.py).
- ``SEED_CATALOGUE`` (catalogue/) is the published content; only tests about that content use it
  (every file validates, the seed search queries, the golden import), and say so.

Tiers (markers registered in pyproject.toml): ``slow`` (above about a second, or starts a server
or a subprocess), ``node`` (runs JavaScript under node), ``browser`` (real Chromium; everything in
tests/browser). ``make test-fast`` runs ``-m "not slow and not node and not browser"``.
"""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CATALOGUE = FIXTURES / "catalogue"
SEED_CATALOGUE = ROOT / "catalogue"


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture catalogue (tests change it without touching the original)."""
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, target)
    return target
