"""Settings: the local secret key is created once, even by concurrent first requests."""

import concurrent.futures
from pathlib import Path

from chalicelib.config import Settings, _secret_key


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
