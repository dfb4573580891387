"""`motcua backup DIRECTORY`: a consistent snapshot of an installation, and its manifest.

    DIRECTORY/database/motcua.sqlite3, officers.sqlite3,  embedded: SQLite's online backup
                       ratings.sqlite3
    DIRECTORY/database/motcua.pgdump                      province: pg_dump, custom format
    DIRECTORY/secret.key                                  embedded, when the key is its file
    DIRECTORY/objects/<name>                              every object of the upload store
    DIRECTORY/manifest.json                               written last (manifest.py)

Why the snapshot is consistent while the servers keep running: the database is copied first, as
one snapshot (SQLite's backup API copies every page under one read transaction, never a file
copy of a live database with its WAL; pg_dump reads in one repeatable-read transaction), and the
objects after it. A dossier only references uploads that were accepted (verified, moved out of
quarantine) before it was committed, a supplement or result file likewise before its event, and
nothing deletes an accepted object that a dossier references (`purge` removes only unreferenced
ones). So every file the copied database references is still there when the objects are copied.
Objects newer than the database copy come along too; nothing references them (a later `purge`
removes them). Officers' accounts are in officers.sqlite3 (embedded, copied right after the
dossiers) or in the same PostgreSQL database (province).

The secret key: the lookup secrets of existing dossiers, and the tags of the files they own, are
derived from it, so a restore without the same key leaves every dossier impossible to look up.
The embedded target keeps it in DATA_DIR/secret.key, which the backup carries; when it comes from
MOTCUA_SECRET_KEY or MOTCUA_SECRET_KEY_FILE (always on `province`), it is the operator's to keep
safe, never written into a backup: the manifest and the output say so.
"""

import datetime as dt
import os
import sqlite3
import sys
from pathlib import Path

from psycopg import conninfo

from chalicelib.admin import manifest, pgtools
from chalicelib.admin.errors import AdminError, NotSupportedError, TargetNotEmptyError
from chalicelib.admin.manifest import Entry, HashingWriter, Manifest
from chalicelib.admin.progress import Progress
from chalicelib.config import Settings
from chalicelib.errors import NotFoundError
from chalicelib.storage.ports import UploadStore
from chalicelib.wiring import build_upload_store

SQLITE_FILES = ("motcua.sqlite3", "officers.sqlite3", "ratings.sqlite3")
PG_DUMP = "database/motcua.pgdump"
SECRET_KEY = "secret.key"
KEY_FROM_FILE = (
    "Khóa bí mật (secret.key) có trong bản sao lưu: giữ bản sao lưu như giữ khóa, ai có nó tra"
    " cứu được mọi hồ sơ."
)
KEY_FROM_OPERATOR = (
    "Khóa bí mật KHÔNG có trong bản sao lưu (MOTCUA_SECRET_KEY hoặc MOTCUA_SECRET_KEY_FILE):"
    " bản khôi phục phải chạy với đúng khóa này, nếu không mã tra cứu của các hồ sơ cũ không"
    " còn dùng được."
)


def backup(settings: Settings, directory: Path) -> Manifest:
    """Writes the snapshot into `directory` (new, or empty) and returns its manifest."""
    if settings.storage not in ("embedded", "province"):
        raise NotSupportedError(
            "Trên AWS, sao lưu là của AWS: khôi phục theo thời điểm (PITR) của DynamoDB và các"
            " phiên bản đối tượng của S3 (docs/deploy.md)."
        )
    if directory.exists() and any(directory.iterdir()):
        raise TargetNotEmptyError(f"{directory} không trống: chọn một thư mục mới cho bản sao lưu.")
    # Personal data, and on embedded the key that opens every dossier: for its owner's eyes only.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    (directory / "database").mkdir(exist_ok=True)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if settings.storage == "embedded":
        database = _sqlite_databases(settings.data_dir, directory)
    else:
        assert settings.database_url is not None  # Settings checked it
        database = [_pg_dump(settings.database_url, directory)]
    key_included = settings.storage == "embedded" and not _key_from_environment()
    if key_included:
        (directory / SECRET_KEY).write_bytes((settings.data_dir / SECRET_KEY).read_bytes())
        database.append(manifest.describe(directory, SECRET_KEY))
    objects = _objects(build_upload_store(settings), directory)
    result = Manifest(
        target=settings.storage,
        created_at=started,
        secret_key_included=key_included,
        secret_key_note=KEY_FROM_FILE if key_included else KEY_FROM_OPERATOR,
        database=database,
        objects=objects,
    )
    manifest.write(directory, result)
    return result


def _key_from_environment() -> bool:
    return bool(os.environ.get("MOTCUA_SECRET_KEY") or os.environ.get("MOTCUA_SECRET_KEY_FILE"))


def _sqlite_databases(data_dir: Path, directory: Path) -> list[Entry]:
    entries = []
    for name in SQLITE_FILES:
        source = data_dir / name
        if not source.is_file():
            if name == "motcua.sqlite3":
                raise AdminError(f"Không có {source}: MOTCUA_DATA_DIR có đúng không?")
            continue  # no officer account made yet, or no rating
        print(f"Sao lưu {source} ...", file=sys.stderr)
        _sqlite_copy(source, directory / "database" / name)
        entries.append(manifest.describe(directory, f"database/{name}"))
    return entries


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup in one step (one read transaction: one consistent snapshot, while
    writers go on in WAL mode), then made a plain one-file database and checked."""
    with (
        sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as src,
        sqlite3.connect(target) as dst,
    ):
        src.backup(dst)
    copy = sqlite3.connect(target, isolation_level=None)
    try:
        copy.execute("PRAGMA journal_mode = DELETE")
        (check,) = copy.execute("PRAGMA integrity_check").fetchone()
    finally:
        copy.close()
    if check != "ok":
        raise AdminError(f"Bản sao của {source} không toàn vẹn: {check}")


def _pg_dump(database_url: str, directory: Path) -> Entry:
    print("Sao lưu cơ sở dữ liệu PostgreSQL (pg_dump) ...", file=sys.stderr)
    dsn, password = without_password(database_url)
    command = [
        pgtools.binary("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={directory / PG_DUMP}",
        f"--dbname={dsn}",
    ]
    pgtools.run(command, password)
    return manifest.describe(directory, PG_DUMP)


def without_password(database_url: str) -> tuple[str, str | None]:
    """The connection string without its password, and the password (given to pg_dump and
    pg_restore in their environment, never on a command line `ps` shows)."""
    params = conninfo.conninfo_to_dict(database_url)
    password = params.pop("password", None)
    return conninfo.make_conninfo("", **params), None if password is None else str(password)


def _objects(store: UploadStore, directory: Path) -> list[Entry]:
    entries = []
    progress = Progress("Đã sao lưu tệp")
    for stored in store.objects():
        path = f"objects/{stored.name}"
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with target.open("wb") as out:
                writer = HashingWriter(out)
                for chunk in store.read_object(stored.name):
                    writer.write(chunk)
        except NotFoundError:  # accepted or rejected since the listing: not in the snapshot
            target.unlink()
            continue
        entries.append(
            Entry(
                path=path,
                size=writer.size,
                sha256=writer.hexdigest(),
                name=stored.name,
                content_type=stored.content_type,
                metadata=stored.metadata,
            )
        )
        progress.step()
    progress.finish()
    return entries
