import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# The test command (scripts/test.sh) runs with --hypothesis-profile=ci: no per-example deadline,
# because on a shared two-core machine under `-n 2` a slow example says nothing about the code
# (tests/test_calendar.py hit the default 200 ms). Locally the default profile keeps the deadline.
settings.register_profile("ci", deadline=None)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed catalogue (tests change it without touching the real one)."""
    target = tmp_path / "catalogue"
    shutil.copytree(ROOT / "catalogue", target)
    return target
