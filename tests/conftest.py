import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed catalogue (tests change it without touching the real one)."""
    target = tmp_path / "catalogue"
    shutil.copytree(ROOT / "catalogue", target)
    return target
