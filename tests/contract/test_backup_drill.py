"""The backup drill (`motcua backup`, `motcua restore`), on the embedded target (SQLite and a
directory) and on `province` (a throw-away PostgreSQL cluster and SeaweedFS's S3 gateway).

Dossiers with files, a supplement, transitions and an officer's account are made through the
Service and the command, backed up, restored into an empty directory / a new database / a new
bucket, and the restored installation, opened through the normal wiring, must give back every
dossier (state, events, hash chain), every file byte for byte, a lookup with the original secret
and the officer's sign-in. A corrupt backup and a target that is not empty are refused with
nothing written.
"""

import hashlib
import json
from pathlib import Path

import psycopg
import pytest

from chalicelib import chain, sealing
from chalicelib.admin.cli import main
from chalicelib.admin.errors import REFUSED
from chalicelib.config import Settings
from chalicelib.wiring import build_officer_auth, build_service, build_upload_store

from .installations import (  # noqa: F401 (the fixtures bundle_path and target)
    CLIENT,
    PASSWORD,
    WITH_DEADLINE,
    Filed,
    Target,
    bundle_fixture,
    environment,
    object_digests,
    opened,
    populate,
    snapshot,
    submit,
    target_fixture,
)

pytestmark = pytest.mark.slow


def test_a_backup_restores_every_dossier_file_secret_and_account(target, tmp_path, capsys):
    source = target.new()
    backup_dir = tmp_path / "backup"
    with environment(source):
        assert main(["migrate"]) == 0
        filed = populate(target)
        with opened(target) as service:
            before = snapshot(service)
        digests = object_digests(Settings.from_env())
        assert main(["backup", str(backup_dir)]) == 0
    said = capsys.readouterr()
    included = target.name == "embedded"  # the embedded key is a file of the data dir
    assert ("KHÔNG có trong bản sao lưu" in said.out) is not included
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["target"] == target.name and manifest["secret_key"]["included"] is included
    assert {item["name"] for item in manifest["objects"]} == set(digests)

    restored = target.new()
    with environment(restored):
        assert main(["restore", str(backup_dir)]) == 0, capsys.readouterr().err
        with opened(target) as service:
            assert snapshot(service) == before
            assert len(before) == 3 and chain.verify(service.dossiers) == {}
            for code, secret in filed.secrets.items():
                assert service.lookup(code, secret, CLIENT)["code"] == code
            for key, content in filed.files.items():
                expected = (len(content), hashlib.sha256(content).hexdigest())
                assert service.uploads.describe(key) == expected
        assert object_digests(Settings.from_env()) == digests
        auth = build_officer_auth(Settings.from_env())
        assert auth.login("mot.cua", PASSWORD, CLIENT)[0].username == "mot.cua"
        auth.accounts.close()


def test_a_corrupt_backup_is_refused_and_nothing_is_written(target, tmp_path, capsys):
    source = target.new()
    backup_dir = tmp_path / "backup"
    with environment(source):
        assert main(["migrate"]) == 0
        filed = populate(target)
        assert main(["backup", str(backup_dir)]) == 0
    key = next(iter(filed.files))
    corrupted = next((backup_dir / "objects").glob(f"*/{key}"))
    data = bytearray(corrupted.read_bytes())
    data[len(data) // 2] ^= 0x01
    corrupted.write_bytes(bytes(data))
    capsys.readouterr()

    restored = target.new()
    with environment(restored):
        assert main(["restore", str(backup_dir)]) == REFUSED
        assert "Bản sao lưu hỏng" in capsys.readouterr().err
        assert_empty(target, restored)


def test_a_target_that_is_not_empty_is_refused(target, tmp_path, capsys):
    source = target.new()
    backup_dir = tmp_path / "backup"
    with environment(source):
        assert main(["migrate"]) == 0
        populate(target)
        assert main(["backup", str(backup_dir)]) == 0
        capsys.readouterr()
        with opened(target) as service:
            before = snapshot(service)

        assert main(["restore", str(backup_dir)]) == REFUSED

        assert "không trống" in capsys.readouterr().err
        with opened(target) as service:
            assert snapshot(service) == before


def test_force_restores_over_an_installation_going_back_to_the_backup(target, tmp_path):
    source = target.new()
    backup_dir = tmp_path / "backup"
    with environment(source):
        assert main(["migrate"]) == 0
        filed = populate(target)
        assert main(["backup", str(backup_dir)]) == 0
        with opened(target) as service:
            before = snapshot(service)
            later = submit(service, WITH_DEADLINE, Filed())

        assert main(["restore", "--force", str(backup_dir)]) == 0

        with opened(target) as service:
            assert later not in before and snapshot(service) == before
            for code, secret in filed.secrets.items():
                assert service.lookup(code, secret, CLIENT)["code"] == code


def test_a_migrated_database_without_rows_counts_as_empty(target, tmp_path):
    """An installation made, `motcua migrate` run, then a restore: that database is empty."""
    source = target.new()
    backup_dir = tmp_path / "backup"
    with environment(source):
        assert main(["migrate"]) == 0
        filed = populate(target)
        assert main(["backup", str(backup_dir)]) == 0
    restored = target.new()
    with environment(restored):
        assert main(["migrate"]) == 0
        assert main(["restore", str(backup_dir)]) == 0
        with opened(target) as service:
            for code, secret in filed.secrets.items():
                assert service.lookup(code, secret, CLIENT)["code"] == code


def test_a_backup_never_writes_into_a_directory_that_is_not_empty(target, tmp_path, capsys):
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    (backup_dir / "something").write_text("x")
    with environment(target.new()):
        assert main(["migrate"]) == 0
        assert main(["backup", str(backup_dir)]) == REFUSED
    assert "không trống" in capsys.readouterr().err
    assert sorted(path.name for path in backup_dir.iterdir()) == ["something"]


def assert_empty(target: Target, env: dict[str, str]) -> None:
    if target.name == "embedded":
        data_dir = Path(env["MOTCUA_DATA_DIR"])
        assert not data_dir.exists() or not any(data_dir.iterdir())
        return
    with psycopg.connect(env["MOTCUA_DATABASE_URL"]) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)
    with environment(env):
        assert list(build_upload_store(Settings.from_env()).objects()) == []


# Embedded only: on `province` the disk and the store encrypt (docs/deploy.md, Personal data).
@pytest.mark.parametrize("target", ["embedded"], indirect=True)
def test_an_embedded_backup_stays_sealed_and_restores_only_with_the_data_key(
    target, tmp_path, capsys
):
    source = target.new()
    backup_dir = tmp_path / "backup"
    with environment(source):
        filed = populate(target)
        assert main(["backup", str(backup_dir)]) == 0
    data_key = Path(source["MOTCUA_DATA_KEY_FILE"]).read_text(encoding="ascii").split(":")[1]
    for path in [path for path in backup_dir.rglob("*") if path.is_file()]:
        raw = path.read_bytes()
        assert data_key.strip().encode() not in raw, path  # the key is not in the backup
        assert "Nguyễn Văn An".encode() not in raw, path  # nor any answer in clear
        assert not any(content[:64] in raw for content in filed.files.values()), path

    restored = target.new()
    other_key = tmp_path / "other.key"
    other_key.write_text(sealing.new_key_line(), encoding="ascii")
    with environment(restored):
        assert main(["restore", str(backup_dir)]) == 0, capsys.readouterr().err
        with (
            environment({"MOTCUA_DATA_KEY_FILE": str(other_key)}),
            pytest.raises(sealing.DataKeyError, match="sealed under data key"),
        ):
            build_service(Settings.from_env())
        with opened(target) as service:  # with the installation's own key file
            for key, content in filed.files.items():
                assert service.uploads.describe(key)[0] == len(content)
