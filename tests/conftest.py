"""Shared fixtures and the test tiers.

Two catalogues:

- ``CATALOGUE`` (tests/fixtures/catalogue) is what code tests build, load and change: nine
  procedures copied from catalogue/ (each file keeps its ``sources``), frozen so that an editor's
  change to a fee or a deadline in catalogue/ breaks no code test. Versions, a replaced and an
  abolished procedure, online forms with and without upload slots, fees charged, none and
  unpublished, an unpublished deadline unit, a life event; tests/fixtures/catalogue/README.md says
  which procedure is there for what. ``build.py check --catalogue tests/fixtures/catalogue``
  passes (tests/test_check.py).
- ``SEED_CATALOGUE`` (catalogue/) is the published content; only tests about that content use it
  (every file validates, the seed search queries, the golden import), and say so.

Tiers (markers registered in pyproject.toml): ``slow`` (above about a second, or starts a server
or a subprocess), ``node`` (runs JavaScript under node), ``browser`` (real Chromium; everything in
tests/browser). ``make test-fast`` runs ``-m "not slow and not node and not browser"``.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from .clamd import Clamd

# The test command (scripts/test.sh) runs with --hypothesis-profile=ci: no per-example deadline,
# because on a shared two-core machine under `-n 2` a slow example says nothing about the code
# (tests/test_calendar.py hit the default 200 ms). Locally the default profile keeps the deadline.
settings.register_profile("ci", deadline=None)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CATALOGUE = FIXTURES / "catalogue"
SEED_CATALOGUE = ROOT / "catalogue"


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    """One clamd per test process, knowing only the EICAR test signature (tests/clamd.py)."""
    daemon = Clamd(tmp_path_factory.mktemp("clamd")).start()
    yield daemon
    daemon.stop()


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture catalogue (tests change it without touching the original)."""
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, target)
    return target
