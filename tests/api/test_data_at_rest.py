"""What the embedded server keeps on disk is its own user's: the data folder, the databases, the
uploaded files and the secret key (functions/serve.py sets the umask)."""

import os
import sqlite3
import subprocess
import sys
import urllib.request

import pytest

from chalicelib import sealing
from chalicelib.storage.sqlite import SqliteDossiers
from tests.contract.test_dossiers_contract import make_dossier

from .client import WITH_FILES, key, submission
from .conftest import ROOT
from .filling import FILES, SAMPLE

pytestmark = pytest.mark.slow  # a server on loopback


def test_the_data_folder_and_everything_in_it_are_the_servers_own(tmp_path, served_port):
    # The server on tmp_path / "var" answered: it has created its files.
    urllib.request.urlopen(f"http://127.0.0.1:{served_port}/api/openapi.json", timeout=5).close()
    data = tmp_path / "var"
    created = [data, *data.rglob("*")]
    assert {path.name for path in created} >= {"var", "motcua.sqlite3", "secret.key"}
    for path in created:
        assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))


@pytest.fixture
def sealed_server(tmp_path, site_dir, bundle_path, clamd, monkeypatch):
    """functions/serve.py on tmp_path / "var", its data key in a folder of its own."""
    from .conftest import Server, free_port
    from .test_restart import start

    key_file = tmp_path / "keys" / "data.key"
    key_file.parent.mkdir(mode=0o700)
    key_file.write_text(sealing.new_key_line(), encoding="ascii")
    monkeypatch.setenv("MOTCUA_DATA_KEY_FILE", str(key_file))
    monkeypatch.setenv("MOTCUA_CLAMD", clamd.address)
    port = free_port()
    process = start(port, tmp_path / "var", site_dir, bundle_path, workers=1)
    yield Server(f"http://127.0.0.1:{port}")
    process.terminate()
    process.wait(timeout=10)


def test_no_answer_or_file_content_is_found_in_clear_in_the_data_folder(tmp_path, sealed_server):
    draft = key()
    filed = submission(sealed_server, choices=WITH_FILES, draft=draft)
    name, number = "Trương Thị Bí Mật Riêng", "079123456789"
    filed["answers"] |= {
        item: name if value == SAMPLE["text"] else number if value == SAMPLE["cccd"] else value
        for item, value in filed["answers"].items()
    }
    status, reply = sealed_server.request(
        "POST", "/api/submissions", filed, {"Idempotency-Key": draft}
    )
    assert status == 201, reply
    assert name in filed["answers"].values() and filed["uploads"], filed
    street = SAMPLE["address"]["street"]
    _content_type, pdf = FILES["pdf"]
    secrets_in_clear = [
        name.encode(),
        number.encode(),
        street.encode(),
        pdf[:64],
        pdf[len(pdf) // 2 :][:64],
    ]

    data = tmp_path / "var"
    database = sqlite3.connect(data / "motcua.sqlite3")
    try:
        dumped = "\n".join(database.iterdump())
        (body,) = database.execute("SELECT body FROM dossiers").fetchone()
    finally:
        database.close()
    assert isinstance(body, bytes)  # sealed: not the dossier's JSON
    assert name not in dumped and number not in dumped and street not in dumped
    files = [path for path in data.rglob("*") if path.is_file()]
    assert any(path.parent.name for path in files if "accepted" in path.parts)
    for path in files:  # the database, its WAL, every upload
        raw = path.read_bytes()
        for secret in secrets_in_clear:
            assert secret not in raw, (path, secret[:20])

    # What the applicant sees is what they filed: sealing is invisible through the API.
    status, view = sealed_server.request(
        "GET", f"/api/dossiers/{reply['code']}", headers={"X-Lookup-Secret": reply["secret"]}
    )
    assert status == 200, view


def test_a_wrong_or_missing_data_key_stops_the_server_with_a_clear_message(
    tmp_path, site_dir, bundle_path, sealed_server
):
    sealed_server.request("GET", "/api/openapi.json")  # the database exists, sealed
    serve = [sys.executable, str(ROOT / "functions" / "serve.py"), "--port", "0"]
    serve += ["--data-dir", str(tmp_path / "var"), "--site-dir", str(site_dir)]
    other = tmp_path / "other.key"
    other.write_text(sealing.new_key_line(), encoding="ascii")
    for key_file, expected in [
        (other, "sealed under data key"),
        (tmp_path / "missing.key", "cannot read the data key"),
    ]:
        env = {
            **os.environ,
            "MOTCUA_DATA_KEY_FILE": str(key_file),
            "MOTCUA_BUNDLE": str(bundle_path),
        }
        done = subprocess.run(serve, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert expected in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_an_altered_sealed_row_is_an_error_never_garbage(tmp_path):
    sealer = sealing.Sealer([(b"\x00\x00\x00\x07", bytes(range(32)))])
    dossiers = SqliteDossiers(tmp_path / "d.sqlite3", sealer=sealer)
    try:
        stored = dossiers.create(make_dossier(), idempotency_key="k", request_hash="h")
        database = sqlite3.connect(tmp_path / "d.sqlite3")
        with database:
            (body,) = database.execute("SELECT body FROM dossiers").fetchone()
            flipped = body[:-1] + bytes([body[-1] ^ 1])
            database.execute("UPDATE dossiers SET body = ?", (flipped,))
        database.close()
        with pytest.raises(sealing.SealError):
            dossiers.get(stored.code)
    finally:
        dossiers.close()
    other = sealing.Sealer([(b"\x00\x00\x00\x08", bytes(32))], source="the other key")
    with pytest.raises(sealing.DataKeyError, match="00000007"):
        SqliteDossiers(tmp_path / "d.sqlite3", sealer=other)
