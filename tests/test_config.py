"""Settings: the local secret key is created once, even by concurrent first requests."""

import concurrent.futures
from pathlib import Path

import pytest

from chalicelib.config import ConfigurationError, Settings, _secret_key


def test_concurrent_first_requests_agree_on_one_secret_key(tmp_path: Path):
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(lambda _: _secret_key({}, tmp_path), range(64)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


def test_the_environment_key_wins_and_an_explicit_argument_beats_the_environment(
    tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("MOTCUA_SECRET_KEY", "from-env")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    assert Settings.from_env().secret_key == b"from-env"
    assert Settings.from_env(secret_key=b"explicit").secret_key == b"explicit"
    assert not (tmp_path / "secret.key").exists()


def test_outside_the_embedded_default_a_missing_key_stops_startup_with_a_clear_message(
    tmp_path: Path, monkeypatch
):
    monkeypatch.delenv("MOTCUA_SECRET_KEY", raising=False)
    monkeypatch.delenv("MOTCUA_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOTCUA_STORAGE", "aws")
    with pytest.raises(ConfigurationError, match="MOTCUA_SECRET_KEY"):
        Settings.from_env()
    assert list(tmp_path.iterdir()) == []  # no per-instance key was made


def test_the_key_can_come_from_a_file_and_a_short_or_unreadable_one_is_refused(
    tmp_path: Path, monkeypatch
):
    monkeypatch.delenv("MOTCUA_SECRET_KEY", raising=False)
    monkeypatch.setenv("MOTCUA_STORAGE", "aws")
    key = tmp_path / "motcua.key"
    key.write_text("k" * 64 + "\n")
    monkeypatch.setenv("MOTCUA_SECRET_KEY_FILE", str(key))
    assert Settings.from_env().secret_key == b"k" * 64
    key.write_text("short")
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        Settings.from_env()
    monkeypatch.setenv("MOTCUA_SECRET_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(ConfigurationError, match="cannot read"):
        Settings.from_env()
