"""Dossiers in PostgreSQL (psycopg 3): the adapter for a province's own servers, several app
processes sharing one database.

How it keeps the contract in ports.py, each operation one transaction:
- create takes a transaction-scoped advisory lock on the idempotency key first, so retries of
  one request queue behind each other and the second finds the first's record; the (agency, day)
  counter is bumped with INSERT ... ON CONFLICT DO UPDATE, whose row lock serialises the creates
  of one office-day until COMMIT. A crash before COMMIT rolls the counter back too: no gaps.
- transition locks the dossier's row (SELECT ... FOR UPDATE), compares the stored version, then
  appends the event and stores the state; a concurrent transition waits for the lock and then
  sees the new version: VersionConflictError.
- get is one statement (one snapshot) for the dossier and its events; queue is one statement,
  one index range of (office, status, queue_key) per status, merged by the database.

The schema is versioned SQL files in migrations/postgres/, applied by
`python -m chalicelib.storage.postgres migrate --dsn ...`, never when the module is imported or an
adapter is made: the constructor only checks the version and says to run the command.

Connections: a small pool of its own (psycopg_pool is not a dependency): a thread takes an idle
connection or opens one, and gives it back unless it broke; `close` closes them all.
"""

import argparse
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq
from psycopg.types.json import Jsonb

from chalicelib import workflow
from chalicelib.errors import (
    IdempotencyConflictError,
    NotFoundError,
    StorageError,
    VersionConflictError,
)
from chalicelib.storage import outbox_postgres
from chalicelib.storage.ports import (
    Delivery,
    NewDossier,
    QueueItem,
    QueueQuery,
    State,
    StoredDossier,
    dossier_json,
    format_code,
    queue_key,
)
from chalicelib.storage.queue_sql import (
    counts_sql,
    dossier_row,
    insert_dossier_sql,
    queue_item,
    status_sql,
)

MIGRATIONS = Path(__file__).with_name("migrations") / "postgres"
_MIGRATION_NAME = re.compile(r"^(\d{4})_\w+\.sql$")
_MIGRATE_LOCK = 0x6D6F7463  # pg_advisory_xact_lock key: one migrate at a time ("motc")
_LOAD = """SELECT body, state,
    coalesce((SELECT array_agg(body ORDER BY seq) FROM events WHERE events.code = dossiers.code),
             '{}')
    FROM dossiers WHERE code = %s"""

INSERT_DOSSIER = insert_dossier_sql("%s")


def migrations() -> list[tuple[int, Path]]:
    """(version, file) of every migration, in version order."""
    found = []
    for path in MIGRATIONS.iterdir():
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


def migrate(conninfo: str) -> list[str]:
    """Applies the migrations the database has not had, each with its schema_migrations row in
    one transaction; returns the names of those applied (none when up to date)."""
    applied: list[str] = []
    with wrapped(), psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATE_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, path in migrations():
            if version in done:
                continue
            with conn.transaction():
                conn.execute(path.read_text(encoding="utf-8").encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (version, path.name),
                )
            applied.append(path.name)
        conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATE_LOCK,))
    return applied


def require_migrated(pool: "Pool") -> None:
    """Raises StorageError (and closes `pool`) unless the database has every migration: each
    adapter's constructor checks it, none applies them."""
    with pool.connection() as conn, wrapped():
        exists = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
        row = None
        if exists is not None and exists[0] is not None:
            row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    have = row[0] if row is not None and row[0] is not None else 0
    if have < latest_version():
        pool.close()
        raise StorageError(
            f"Cơ sở dữ liệu PostgreSQL ở phiên bản lược đồ {have}, cần {latest_version()}:"
            " chạy `python -m chalicelib.storage.postgres migrate --dsn ...` trước."
        )


class PostgresDossiers:
    """`Dossiers` on a PostgreSQL database, safe to share between threads and processes.

    `after_write(label)` is a test hook called after each write statement and after COMMIT; a hook
    that raises simulates a crash at that point.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        wait: float | None = None,
        after_write: Callable[[str], None] | None = None,
    ):
        self._after_write = after_write or (lambda _label: None)
        self._pool = Pool(conninfo, wait=wait)
        require_migrated(self._pool)

    def create(
        self,
        dossier: NewDossier,
        *,
        idempotency_key: str,
        request_hash: str,
        deliveries: Callable[[str], Sequence[Delivery]] | None = None,
    ) -> StoredDossier:
        with self._transaction() as conn:
            # Retries of one request wait here for each other; other keys do not.
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (idempotency_key,)
            )
            row = conn.execute(
                "SELECT request_hash, code FROM idempotency WHERE key = %s", (idempotency_key,)
            ).fetchone()
            if row is not None:
                if row[0] != request_hash:
                    raise IdempotencyConflictError()
                stored = _load(conn, row[1])
                assert stored is not None
                return stored
            (seq,) = _one(
                conn.execute(
                    "INSERT INTO counters (agency, day, seq) VALUES (%s, %s, 1)"
                    " ON CONFLICT (agency, day) DO UPDATE SET seq = counters.seq + 1"
                    " RETURNING seq",
                    (dossier.agency, dossier.day),
                )
            )
            self._after_write("counter")
            code = format_code(dossier.agency, dossier.day, seq)
            state = self._insert_dossier(conn, code, seq, dossier)
            conn.execute(
                "INSERT INTO idempotency (key, request_hash, code) VALUES (%s, %s, %s)",
                (idempotency_key, request_hash, code),
            )
            self._after_write("idempotency")
            if deliveries is not None:
                outbox_postgres.insert(conn, deliveries(code))
        self._after_write("commit")
        return StoredDossier(code=code, dossier=dossier, state=state)

    def get(self, code: str) -> StoredDossier | None:
        with self._pool.connection() as conn, wrapped():
            return _load(conn, code)

    def transition(
        self,
        code: str,
        *,
        expected_version: int,
        event: dict[str, Any],
        state: State,
        deliveries: Sequence[Delivery] = (),
    ) -> StoredDossier:
        with self._transaction() as conn:
            _lock_at_version(conn, code, expected_version)
            conn.execute(
                "INSERT INTO events (code, seq, body) VALUES (%s, %s, %s)",
                (code, state.version, json.dumps(event, ensure_ascii=False)),
            )
            self._after_write("event")
            conn.execute(
                "UPDATE dossiers SET status = %s, office = %s, unit = %s, due_at = %s,"
                " queue_key = %s, version = %s, state = %s WHERE code = %s",
                (
                    state.status,
                    state.office,
                    state.unit,
                    state.due_at,
                    queue_key(state.due_at, code),
                    state.version,
                    Jsonb(state.as_dict()),
                    code,
                ),
            )
            self._after_write("state")
            outbox_postgres.insert(conn, deliveries)
            stored = _load(conn, code)
        self._after_write("commit")
        assert stored is not None
        return stored

    def replace_secret(
        self,
        code: str,
        *,
        expected_version: int,
        secret_hash: str,
        deliveries: Sequence[Delivery],
    ) -> None:
        with self._transaction() as conn:
            _lock_at_version(conn, code, expected_version)
            conn.execute(
                "UPDATE dossiers SET state = jsonb_set(state, '{secret_hash}', to_jsonb(%s::text))"
                " WHERE code = %s",
                (secret_hash, code),
            )
            outbox_postgres.insert(conn, deliveries)

    def queue(self, query: QueueQuery) -> list[QueueItem]:
        sql, params = queue_sql(query)
        with self._pool.connection() as conn, wrapped():
            return [queue_item(row) for row in conn.execute(sql, params)]

    def counts(self, office: str) -> dict[int, int]:
        with self._pool.connection() as conn, wrapped():
            rows = conn.execute(counts_sql("%s"), (office,))
            return {int(status): int(count) for status, count in rows}

    def codes(self) -> Iterator[str]:
        """In pages of 1,000, so no connection stays taken while the caller works."""
        after = ""
        while True:
            with self._pool.connection() as conn, wrapped():
                page = [
                    str(row[0])
                    for row in conn.execute(
                        "SELECT code FROM dossiers WHERE code > %s ORDER BY code LIMIT 1000",
                        (after,),
                    )
                ]
            yield from page
            if len(page) < 1000:
                return
            after = page[-1]

    def delete(self, codes: list[str]) -> int:
        with self._transaction() as conn:
            conn.execute("DELETE FROM idempotency WHERE code = ANY(%s)", (codes,))
            conn.execute("DELETE FROM events WHERE code = ANY(%s)", (codes,))
            conn.execute("DELETE FROM outbox WHERE code = ANY(%s)", (codes,))
            cursor = conn.execute("DELETE FROM dossiers WHERE code = ANY(%s)", (codes,))
            return cursor.rowcount

    def filed_under(self, idempotency_key: str) -> str | None:
        with self._pool.connection() as conn, wrapped():
            row = conn.execute(
                "SELECT code FROM idempotency WHERE key = %s", (idempotency_key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        """Closes every connection (tests and server shutdown)."""
        self._pool.close()

    def _insert_dossier(
        self, conn: psycopg.Connection[Any], code: str, seq: int, dossier: NewDossier
    ) -> State:
        """Stores the dossier with its initial state, whose head (the hash of the dossier as
        filed) lets chain.verify find an answer changed later, even before any event."""
        body = dossier_json(dossier)  # once, for the row and the genesis hash
        state = workflow.initial_state(dossier, body)
        conn.execute(INSERT_DOSSIER, dossier_row(code, seq, dossier, Jsonb(state.as_dict()), body))
        self._after_write("dossier")
        return state

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction: COMMIT if the block finishes, ROLLBACK on any exception."""
        with self._pool.connection() as conn, wrapped(), conn.transaction():
            yield conn


class Pool:
    """Idle connections shared by the threads; one is never used by two threads at once (the
    PostgreSQL adapters of this package each keep one).

    `wait` (seconds): how long a statement waits for a lock another session holds (lock_timeout,
    advisory locks included) before it fails, and four times that for any statement to finish
    (statement_timeout); the adapters answer StorageError (503) rather than hang a request
    thread. None: the server's settings (no limit by default)."""

    def __init__(self, conninfo: str, *, wait: float | None = None):
        self._conninfo = conninfo
        self._timeouts = None if wait is None else (f"{wait * 1000:.0f}ms", f"{wait * 4000:.0f}ms")
        self._idle: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            with wrapped():
                conn = psycopg.connect(self._conninfo, autocommit=True)
                if self._timeouts is not None:
                    conn.execute(
                        "SELECT set_config('lock_timeout', %s, false),"
                        " set_config('statement_timeout', %s, false)",
                        self._timeouts,
                    )
        try:
            yield conn
        finally:
            self._give_back(conn)

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        reusable = not conn.closed and conn.info.transaction_status == pq.TransactionStatus.IDLE
        with self._lock:
            if reusable and not self._closed:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


@contextmanager
def wrapped() -> Iterator[None]:
    """psycopg errors leave the adapter as StorageError, which the API answers with 503."""
    try:
        yield
    except psycopg.Error as error:
        raise StorageError() from error


def _one(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def _lock_at_version(conn: Any, code: str, expected_version: int) -> None:
    """Locks the dossier's row for this transaction if it is at `expected_version`; else
    NotFoundError (no such code) or VersionConflictError, nothing written."""
    row = conn.execute(
        "SELECT version FROM dossiers WHERE code = %s FOR UPDATE", (code,)
    ).fetchone()
    if row is None:
        raise NotFoundError()
    if row[0] != expected_version:
        raise VersionConflictError()


def _load(conn: psycopg.Connection[Any], code: str) -> StoredDossier | None:
    row = conn.execute(_LOAD, (code,)).fetchone()
    if row is None:
        return None
    body, state, events = row
    return StoredDossier(
        code=code,
        dossier=NewDossier(**json.loads(body)),
        events=tuple(json.loads(event) for event in events),
        state=State(**state),
    )


def queue_sql(query: QueueQuery) -> tuple[str, list[Any]]:
    """The statement queue() runs (public so a test can EXPLAIN it): one index range read in
    queue_key order up to the limit per status asked (every status when none is), merged."""
    parts, params = [], []
    for status in query.statuses or workflow.STATUSES:
        sql, part_params = status_sql(query, status, "%s")
        parts.append(f"({sql})")
        params += part_params
    ranges = " UNION ALL ".join(parts)
    sql = f"SELECT * FROM ({ranges}) AS ranges ORDER BY queue_key LIMIT %s"
    return sql, [*params, query.limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chalicelib.storage.postgres",
        description="Lược đồ cơ sở dữ liệu PostgreSQL của hồ sơ.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("migrate", help="áp dụng các migration chưa áp dụng")
    run.add_argument("--dsn", required=True, help="chuỗi kết nối libpq (conninfo hoặc URL)")
    args = parser.parse_args(argv)
    try:
        applied = migrate(args.dsn)
    except StorageError as error:
        print(f"migrate: {error.__cause__ or error}", file=sys.stderr)
        return 1
    for name in applied:
        print(f"đã áp dụng {name}")
    if not applied:
        print(f"lược đồ đã ở phiên bản {latest_version()}, không có gì để áp dụng")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
