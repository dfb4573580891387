"""`motcua` as a command: its settings, its exit codes, `migrate` on the embedded target (the
backup drill and purge run on real stores in tests/contract/)."""

import os
import sqlite3
from pathlib import Path

import pytest

from chalicelib import sealing
from chalicelib.admin.cli import main
from chalicelib.admin.errors import REFUSED, USAGE
from chalicelib.storage.files import FilesystemUploads
from chalicelib.storage.sqlite import SqliteDossiers
from tests.contract.test_dossiers_contract import make_dossier


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch) -> Path:
    for name in ("MOTCUA_SECRET_KEY", "MOTCUA_SECRET_KEY_FILE", "MOTCUA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_STORAGE", "embedded")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_migrate_on_the_embedded_target_makes_both_sqlite_files(embedded, capsys):
    assert main(["migrate"]) == 0

    for name, table in (("motcua.sqlite3", "dossiers"), ("officers.sqlite3", "accounts")):
        with sqlite3.connect(embedded / name) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_schema")}
        assert table in tables
    assert "không cần migration" in capsys.readouterr().out


def test_a_missing_setting_is_a_usage_error_with_its_name(embedded, monkeypatch, capsys):
    monkeypatch.setenv("MOTCUA_STORAGE", "province")
    monkeypatch.setenv("MOTCUA_SECRET_KEY", "k" * 32)

    assert main(["migrate"]) == USAGE

    assert "MOTCUA_DATABASE_URL" in capsys.readouterr().err


def test_backup_on_aws_says_what_to_use_instead(embedded, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("MOTCUA_STORAGE", "aws")
    monkeypatch.setenv("MOTCUA_SECRET_KEY", "k" * 32)

    assert main(["backup", str(tmp_path / "sao-luu")]) == USAGE

    assert "PITR" in capsys.readouterr().err
    assert not (tmp_path / "sao-luu").exists()


def test_backup_of_an_installation_without_data_fails_and_says_where_it_looked(
    embedded, tmp_path, capsys
):
    assert main(["backup", str(tmp_path / "sao-luu")]) == 1

    assert "motcua.sqlite3" in capsys.readouterr().err


def test_restore_refuses_a_directory_that_is_not_a_backup(embedded, tmp_path, capsys):
    (tmp_path / "khong-phai").mkdir()

    assert main(["restore", str(tmp_path / "khong-phai")]) == REFUSED

    assert "manifest.json" in capsys.readouterr().err
    assert not embedded.exists()


def test_the_console_script_is_installed():
    """scripts/venv.sh's editable install makes `motcua` from pyproject.toml."""
    import sys

    assert (Path(sys.executable).parent / "motcua").is_file()


def test_what_the_command_writes_is_its_users_own_whatever_the_umask(embedded, tmp_path):
    umask = os.umask(0o022)
    try:
        assert main(["migrate"]) == 0
        assert main(["backup", str(tmp_path / "backup")]) == 0
    finally:
        os.umask(umask)
    written = [
        embedded,
        *embedded.rglob("*"),
        tmp_path / "backup",
        *(tmp_path / "backup").rglob("*"),
    ]
    assert {path.name for path in written} >= {"motcua.sqlite3", "manifest.json", "secret.key"}
    for path in written:
        assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))


def test_rotate_data_key_seals_every_dossier_and_file_under_a_new_key(
    embedded, tmp_path, monkeypatch, capsys
):
    key_file = tmp_path / "keys" / "data.key"
    key_file.parent.mkdir()
    key_file.write_text(sealing.new_key_line(), encoding="ascii")
    monkeypatch.setenv("MOTCUA_DATA_KEY_FILE", str(key_file))
    old = sealing.load(key_file, create=False)
    dossiers = SqliteDossiers(embedded / "motcua.sqlite3", sealer=old)
    stored = dossiers.create(make_dossier(), idempotency_key="k", request_hash="h")
    dossiers.close()
    uploads = FilesystemUploads(
        embedded / "uploads", secret=b"s" * 32, base_url="http://x", sealer=old
    )
    with uploads.incoming("ho-so/giay-to.pdf") as out:
        out.write(b"%PDF-1.7 " * 10_000)
    uploads.accept("ho-so/giay-to.pdf")

    assert main(["rotate-data-key"]) == 0
    assert "đã mã hóa lại 1 hồ sơ và 1 tệp" in capsys.readouterr().out

    lines = key_file.read_text(encoding="ascii").splitlines()
    assert len(lines) == 2 and lines[1].startswith(old.key_ids[0])
    key_file.write_text(lines[0] + "\n", encoding="ascii")  # the old key dropped
    new = sealing.load(key_file, create=False)
    dossiers = SqliteDossiers(embedded / "motcua.sqlite3", sealer=new)
    try:
        assert dossiers.get(stored.code).dossier == stored.dossier
    finally:
        dossiers.close()
    uploads = FilesystemUploads(
        embedded / "uploads", secret=b"s" * 32, base_url="http://x", sealer=new
    )
    assert uploads.describe("ho-so/giay-to.pdf")[0] == 90_000
