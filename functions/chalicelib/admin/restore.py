"""`motcua restore DIRECTORY [--force]`: a fresh installation from a backup (backup.py).

In three phases, and nothing is written before the third:
1. check: the manifest is whole, of this target, and every file's size and SHA-256 match it
   (a corrupt or unfinished backup is refused);
2. check the target is empty: no row in any table of the database (a database fresh from
   `createdb`, or only migrated, is empty; on `embedded`, the SQLite files under MOTCUA_DATA_DIR,
   if there are any) and no object in the upload store (the bucket, or DATA_DIR/uploads). A
   secret key found with no data is replaced by the backup's. `--force` restores over
   what is there (stop the app processes first);
3. restore: the database (the SQLite files; or pg_restore in one transaction, dropping the
   empty tables of a migrated database first), the secret key when the backup carries it, then
   every object with its content type and metadata.
"""

import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from chalicelib.admin import manifest, pgtools
from chalicelib.admin.backup import PG_DUMP, SECRET_KEY, SQLITE_FILES, without_password
from chalicelib.admin.errors import CorruptBackupError, NotSupportedError, TargetNotEmptyError
from chalicelib.admin.manifest import Manifest
from chalicelib.admin.progress import Progress
from chalicelib.config import Settings
from chalicelib.storage.ports import StoredObject, UploadStore
from chalicelib.wiring import build_upload_store

SHOWN_PROBLEMS = 20


def restore(settings: Settings, directory: Path, *, force: bool = False) -> Manifest:
    backup = _checked(settings, directory)
    store = build_upload_store(settings)
    if not force:
        _check_empty(settings, store)
    if settings.storage == "embedded":
        _restore_sqlite(backup, directory, settings.data_dir)
    else:
        assert settings.database_url is not None  # Settings checked it
        _pg_restore(directory / PG_DUMP, settings.database_url)
    _restore_objects(backup, directory, store)
    return backup


def _checked(settings: Settings, directory: Path) -> Manifest:
    if settings.storage not in ("embedded", "province"):
        raise NotSupportedError(
            "Trên AWS, khôi phục bằng PITR của DynamoDB và phiên bản đối tượng của S3."
        )
    backup = manifest.read(directory)
    if backup.target != settings.storage:
        raise CorruptBackupError(
            f"Bản sao lưu của {backup.target}, nhưng MOTCUA_STORAGE={settings.storage}."
        )
    problems = manifest.verify(directory, backup)
    if problems:
        shown = "\n".join(problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        raise CorruptBackupError(
            f"Bản sao lưu hỏng, không khôi phục gì: {len(problems)} tệp không khớp.\n{shown}"
            + (f"\n... và {more} tệp khác" if more > 0 else "")
        )
    return backup


def _check_empty(settings: Settings, store: UploadStore) -> None:
    found = []
    if settings.storage == "embedded":
        for name in SQLITE_FILES:
            path = settings.data_dir / name
            if path.exists():
                found += [f"bảng {table} của {path}" for table in _sqlite_tables_with_rows(path)]
    else:
        assert settings.database_url is not None
        found += [f"bảng {table}" for table in _tables_with_rows(settings.database_url)]
    if next(iter(store.objects()), None) is not None:
        found.append("tệp trong kho tệp tải lên")
    if found:
        raise TargetNotEmptyError(
            "Nơi khôi phục không trống, không khôi phục gì: "
            + ", ".join(found)
            + ". Dùng --force để ghi đè (dừng các tiến trình ứng dụng trước)."
        )


def _sqlite_tables_with_rows(path: Path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        tables = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY 1")
        ]
        return [
            table
            for table in tables
            if db.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]
        ]


def _tables_with_rows(database_url: str) -> list[str]:
    """The tables of the database (outside PostgreSQL's own schemas) holding at least one row,
    migration records aside."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
            " ORDER BY 1, 2"
        ).fetchall()
        found = []
        for schema, table in tables:
            if table == "schema_migrations":
                continue
            query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(
                sql.Identifier(schema, table)
            )
            row = conn.execute(query).fetchone()
            if row is not None and row[0]:
                found.append(table)
        return found


def _restore_sqlite(backup: Manifest, directory: Path, data_dir: Path) -> None:
    """Each file copied beside its place and renamed over it; a WAL or shared-memory file left
    by an earlier database would be read with the new one, so they go first."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for entry in backup.database:
        name = Path(entry.path).name
        for stale in (f"{name}-wal", f"{name}-shm"):
            (data_dir / stale).unlink(missing_ok=True)
        fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=f".{name}-")
        try:
            with os.fdopen(fd, "wb") as out, (directory / entry.path).open("rb") as source:
                shutil.copyfileobj(source, out, manifest.CHUNK)
                out.flush()
                os.fsync(out.fileno())
            if name == SECRET_KEY:
                os.chmod(temporary, 0o600)
            os.replace(temporary, data_dir / name)
        finally:
            Path(temporary).unlink(missing_ok=True)
        print(f"Đã khôi phục {data_dir / name}", file=sys.stderr)


def _pg_restore(dump: Path, database_url: str) -> None:
    """In one transaction: all of it or nothing. `--clean --if-exists` drops the tables the dump
    creates where they exist (the empty ones of a migrated database, or the old ones with
    --force)."""
    print("Khôi phục cơ sở dữ liệu PostgreSQL (pg_restore) ...", file=sys.stderr)
    dsn, password = without_password(database_url)
    command = [
        pgtools.binary("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--clean",
        "--if-exists",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={dsn}",
        str(dump),
    ]
    pgtools.run(command, password)


def _restore_objects(backup: Manifest, directory: Path, store: UploadStore) -> None:
    progress = Progress("Đã khôi phục tệp", len(backup.objects))
    for entry in backup.objects:
        assert entry.name is not None
        stored = StoredObject(
            name=entry.name,
            size=entry.size,
            modified=0.0,
            content_type=entry.content_type,
            metadata=entry.metadata,
        )
        store.write_object(stored, directory / entry.path)
        progress.step()
    progress.finish()
