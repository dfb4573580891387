"""What the embedded server keeps on disk is its own user's: the data folder, the databases, the
uploaded files and the secret key (functions/serve.py sets the umask)."""

import urllib.request

import pytest

pytestmark = pytest.mark.slow  # a server on loopback


def test_the_data_folder_and_everything_in_it_are_the_servers_own(tmp_path, served_port):
    # The server on tmp_path / "var" answered: it has created its files.
    urllib.request.urlopen(f"http://127.0.0.1:{served_port}/api/openapi.json", timeout=5).close()
    data = tmp_path / "var"
    created = [data, *data.rglob("*")]
    assert {path.name for path in created} >= {"var", "motcua.sqlite3", "secret.key"}
    for path in created:
        assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))
