"""Dossiers in one SQLite file: the embedded adapter for a single machine (functions/serve.py).

Why SQLite can keep the contract in ports.py: `BEGIN IMMEDIATE` takes the database's write lock
before the first read, so reading the idempotency key, bumping the (agency, day) counter and
inserting the dossier happen as one serialised step; a crash anywhere before COMMIT rolls all of
it back. WAL mode lets readers (`get`) run while a writer holds the lock, and busy_timeout makes
concurrent writers queue instead of failing with "database is locked".

Durable before answered, synced outside the lock: COMMIT writes the write-ahead log without
syncing it (synchronous = NORMAL), the write lock passes to the next writer, and then the log is
fsynced (sqlite_connections.WalSync: one fsync for every commit this process wrote before it)
before create or transition returns. An fsync takes a few ms on a shared disk; inside the lock
(synchronous = FULL) writers took turns at it, one process's batch waiting for the other's. The
creates that queue while one transaction runs still go into the next one together (group
commit); each gets its own code and idempotency record, and all fail together if it does.
No COMMIT checkpoints the log either: a thread of the process does, outside the lock
(sqlite_connections.LogCheckpoints); a writer copies only the last frames, so the log restarts.
A transition just takes the lock: it reads the stored version, then appends its event (one row
of `events`, keyed (code, seq)) and stores the state (the whole `State` as JSON, and the columns
the queues filter and sort on) in the same transaction.

Queues: the index (office, status, queue_key) answers "one office, one status, by due date,
after this cursor" as one index range read in order (ports.queue_key); several statuses or none
are one such range each, merged. It is partial (`WHERE handed_to = ''`: storage/queue_sql.py)
and ends with `handed_to` too, which SQLite needs to count from the index alone. Files made
before the lifecycle (no queue columns, events as a JSON column) are migrated when opened,
under the writers' lock.

Sealed at rest (chalicelib/sealing.py, when a Sealer is given: wiring always gives one): the body
(answers, file keys, the applicant's name, the contact), each event's body, each outbox delivery's
recipient and data (storage/outbox_sqlite.py) and the `applicant` column are
AES-GCM ciphertext bound to their code and column; what the queues filter and sort on (code,
office, status, unit, procedure, channel, dates) stays clear. The table `sealing` holds one value
sealed at creation, opened at startup: a wrong or missing key stops startup with DataKeyError
instead of failing at the first dossier. Rows written before sealing (text) are read as they are.
"""

import contextlib
import dataclasses
import fcntl
import heapq
import itertools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib import lookup_secret, workflow
from chalicelib.errors import (
    IdempotencyConflictError,
    NotFoundError,
    StorageError,
    VersionConflictError,
)
from chalicelib.sealing import DataKeyError, Sealer, SealError
from chalicelib.storage import outbox_sqlite
from chalicelib.storage.ports import (
    NO_DUE,
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
    DOSSIER_COLUMNS,
    counts_sql,
    dossier_row,
    insert_dossier_sql,
    queue_item,
    status_sql,
)
from chalicelib.storage.sqlite_connections import (
    BUSY_TIMEOUT_MS,
    LogCheckpoints,
    ThreadConnections,
    WalSync,
    wrapped,
)

INSERT_DOSSIER = insert_dossier_sql("?")
_COLUMN = {name.strip(): index for index, name in enumerate(DOSSIER_COLUMNS.split(","))}
_SEALING = """CREATE TABLE IF NOT EXISTS sealing (name TEXT PRIMARY KEY, value BLOB NOT NULL)"""
_CHECK = b"motcua: the data key opens this database"

_EVENTS = """CREATE TABLE IF NOT EXISTS events (
    code TEXT NOT NULL REFERENCES dossiers (code),
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (code, seq)
) WITHOUT ROWID"""
# Keyed by the key alone (WITHOUT ROWID): a create writes one B-tree page for its record, where a
# table with a rowid writes two (the row, and the key's index). Files made before 2026-12-08 are
# converted when opened (_idempotency_without_rowid).
_IDEMPOTENCY = """CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    code TEXT NOT NULL REFERENCES dossiers (code)
) WITHOUT ROWID"""
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS counters (
    agency TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (agency, day)
);
CREATE TABLE IF NOT EXISTS dossiers (
    code TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    procedure TEXT NOT NULL,
    status INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL,
    office TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    applicant TEXT NOT NULL DEFAULT '',
    due_at TEXT,
    queue_key TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 0,
    state TEXT,
    handed_to TEXT NOT NULL DEFAULT '',
    UNIQUE (agency, day, seq)
);
CREATE INDEX IF NOT EXISTS dossiers_queue ON dossiers (office, status, queue_key, handed_to)
    WHERE handed_to = '';
{_EVENTS};
{_IDEMPOTENCY};
"""
# Indexes files made before 2026-12-08 have and no statement reads; each was one more B-tree page
# written (to the log, then the file) by every create, and by a transition for the status one.
_UNUSED_INDEXES = ("dossiers_by_procedure", "dossiers_by_status")
PURGE_PASS = 500  # codes a DELETE of idempotency records names (SQLite allows 32,766 values)
# Columns the lifecycle added to `dossiers`, and how a file made before it fills them in from the
# stored body (the state is then workflow.initial_state, as create stores it for a new dossier).
_ADDED_COLUMNS = {
    "office": "TEXT NOT NULL DEFAULT ''",
    "unit": "TEXT NOT NULL DEFAULT ''",
    "channel": "TEXT NOT NULL DEFAULT ''",
    "applicant": "TEXT NOT NULL DEFAULT ''",
    "due_at": "TEXT",
    "queue_key": "TEXT NOT NULL DEFAULT ''",
    "version": "INTEGER NOT NULL DEFAULT 0",
    "state": "TEXT",
}
_BACKFILL = f"""
UPDATE dossiers SET
    office = ifnull(json_extract(body, '$.office'), ''),
    channel = ifnull(json_extract(body, '$.channel'), 'truc_tuyen'),
    applicant = ifnull(json_extract(body, '$.applicant'), ''),
    due_at = json_extract(body, '$.due_at'),
    queue_key = ifnull(json_extract(body, '$.due_at'), '{NO_DUE}') || '|' || code
"""


@dataclass(eq=False)
class _Create:
    """One create waiting for a write transaction; whichever thread runs it fills in the result.
    What does not depend on the dossier's code (its stored body, its initial state and that
    state's JSON) is made before, by the thread that files it, outside the write lock that every
    writer of every process waits for."""

    dossier: NewDossier
    idempotency_key: str
    request_hash: str
    deliveries: Callable[[str], Sequence[Delivery]] | None = None
    body: str = ""
    state: State | None = None
    stored_state: str = ""
    done: bool = False
    stored: StoredDossier | None = None
    error: BaseException | None = None
    ticket: int = 0  # WalSync's, once its transaction committed


class SqliteDossiers:
    """`Dossiers` on a SQLite file, safe to share between the threads of a WSGI server.

    `after_write(label)` is a test hook called after each write statement and after COMMIT; a hook
    that raises simulates a crash at that point.
    """

    def __init__(
        self,
        path: Path,
        *,
        wait: float = BUSY_TIMEOUT_MS / 1000,
        after_write: Callable[[str], None] | None = None,
        sealer: Sealer | None = None,
    ):
        self._path = Path(path)
        self._sealer = sealer
        self._after_write = after_write or (lambda _label: None)
        # `wait`: seconds a write waits for the lock (this process's writers, then SQLite's)
        # before it fails with StorageError (503): a lock held elsewhere never hangs a thread.
        self._wait = wait
        # Commits are synced by _durable, after the write lock is released (the docstring above),
        # and the log is checkpointed by _checkpoints' thread, outside it.
        self._connections = ThreadConnections(
            self._path, wait=wait, durable=False, one_writer=True, autocheckpoint=False
        )
        self._durable = WalSync(self._path)
        self._checkpoints = LogCheckpoints(self._path)
        self._write_lock = threading.Lock()
        self._waiting: list[_Create] = []  # guarded by _waiting_lock
        self._waiting_lock = threading.Lock()
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Owner-only whatever the umask: SQLite gives the -wal and -shm files the same mode.
        os.close(os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600))
        lock_path = self._path.with_name(self._path.name + ".write-lock")
        self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)  # closed by close()
        # Several processes may open a new file at once (functions/serve.py's workers): one at a
        # time switches it to WAL and creates the tables, or one of them fails "database is locked".
        with self._process_lock(), self._connections.transaction() as db:
            _migrate(db)
            _add_handed_to(db)
            for statement in SCHEMA.split(";"):  # not executescript, which would COMMIT first
                db.execute(statement)
            db.execute(_SEALING)
            outbox_sqlite.create(db)
            if sealer is not None:
                _check_key(db, sealer, self._path)
            _hash_idempotency_keys(db)
            _fewer_pages_a_create(db)
        self._durable.wait(self._durable.committed())

    def create(
        self,
        dossier: NewDossier,
        *,
        idempotency_key: str,
        request_hash: str,
        deliveries: Callable[[str], Sequence[Delivery]] | None = None,
    ) -> StoredDossier:
        body = dossier_json(dossier)  # once, for the row and the genesis hash
        state = workflow.initial_state(dossier, body)
        stored_state = json.dumps(state.as_dict(), ensure_ascii=False)
        mine = _Create(
            dossier, idempotency_key, request_hash, deliveries, body, state, stored_state
        )
        deadline = time.monotonic() + self._wait
        with self._waiting_lock:
            self._waiting.append(mine)
        if not self._write_lock.acquire(timeout=self._wait):
            with self._waiting_lock:
                if any(create is mine for create in self._waiting):  # no batch took it: give up
                    self._waiting = [create for create in self._waiting if create is not mine]
                    raise StorageError()
            self._write_lock.acquire()  # a batch is running it, within its own wait: its outcome
        try:
            if not mine.done:  # no transaction took it while this thread queued: run them all
                with self._waiting_lock:
                    batch, self._waiting = self._waiting, []
                self._run(batch, deadline)
        finally:
            self._write_lock.release()
        if mine.error is not None:
            raise mine.error
        assert mine.stored is not None
        self._durable.wait(mine.ticket)  # a retry's answer too: its dossier may be this batch's
        return mine.stored

    def _run(self, batch: list[_Create], deadline: float) -> None:
        """One write transaction for every create in `batch`. A conflicting idempotency key fails
        only its own create (it is found before that create writes anything); any other error
        rolls the whole transaction back and fails every create in it."""
        try:
            with self._immediate(deadline) as db:
                for create in batch:
                    try:
                        create.stored = self._create_in(db, create)
                    except IdempotencyConflictError as error:
                        create.error = error
            ticket = self._committed()
            for create in batch:
                create.ticket = ticket
            self._after_write("commit")
        except BaseException as error:
            for create in batch:
                create.stored, create.error = None, error
            raise
        finally:
            for create in batch:
                create.done = True

    def _create_in(self, db: sqlite3.Connection, create: _Create) -> StoredDossier:
        dossier = create.dossier
        stored = _stored_under(db, create.idempotency_key, create.request_hash, self._sealer)
        if stored is not None:
            return stored
        seq = self._next_sequence(db, dossier.agency, dossier.day)
        code = format_code(dossier.agency, dossier.day, seq)
        self._insert_dossier(db, code, seq, create)
        db.execute(
            "INSERT INTO idempotency (key, request_hash, code) VALUES (?, ?, ?)",
            (create.idempotency_key, create.request_hash, code),
        )
        self._after_write("idempotency")
        if create.deliveries is not None:
            outbox_sqlite.insert(db, create.deliveries(code), self._sealer)
        return StoredDossier(code=code, dossier=dossier, state=create.state)

    def get(self, code: str) -> StoredDossier | None:
        with wrapped():  # one statement, so one snapshot for the dossier and its events
            return _load(self._connections.get(), code, self._sealer)

    def transition(
        self,
        code: str,
        *,
        expected_version: int,
        event: dict[str, Any],
        state: State,
        deliveries: Sequence[Delivery] = (),
    ) -> StoredDossier:
        with self._writing(), self._immediate(time.monotonic() + self._wait) as db:
            row = db.execute("SELECT version FROM dossiers WHERE code = ?", (code,)).fetchone()
            if row is None:
                raise NotFoundError()
            if row[0] != expected_version:
                raise VersionConflictError()
            db.execute(
                "INSERT INTO events (code, seq, body) VALUES (?, ?, ?)",
                (
                    code,
                    state.version,
                    self._seal(event_json(event), f"events/{code}/{state.version}"),
                ),
            )
            self._after_write("event")
            db.execute(
                "UPDATE dossiers SET status = ?, office = ?, unit = ?, due_at = ?, queue_key = ?,"
                " version = ?, state = ? WHERE code = ?",
                (
                    state.status,
                    state.office,
                    state.unit,
                    state.due_at,
                    queue_key(state.due_at, code),
                    state.version,
                    json.dumps(state.as_dict(), ensure_ascii=False),
                    code,
                ),
            )
            self._after_write("state")
            outbox_sqlite.insert(db, deliveries, self._sealer)
            stored = _load(db, code, self._sealer)
        ticket = self._committed()
        self._after_write("commit")
        self._durable.wait(ticket)
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
        with self._writing(), self._immediate(time.monotonic() + self._wait) as db:
            row = db.execute(
                "SELECT version, state FROM dossiers WHERE code = ?", (code,)
            ).fetchone()
            if row is None:
                raise NotFoundError()
            if row[0] != expected_version:
                raise VersionConflictError()
            state = {**json.loads(row[1]), "secret_hash": secret_hash}
            db.execute(
                "UPDATE dossiers SET state = ? WHERE code = ?",
                (json.dumps(state, ensure_ascii=False), code),
            )
            outbox_sqlite.insert(db, deliveries, self._sealer)
        # Synced before it answers, like every other write: the new secret is what the
        # applicant is sent, and a power cut must not bring the old one back.
        self._durable.wait(self._committed())

    def queue(self, query: QueueQuery) -> list[QueueItem]:
        db = self._connections.get()
        with wrapped():
            db.execute("BEGIN")  # one snapshot for the statuses' ranges
            try:
                ranges = [db.execute(sql, params).fetchall() for sql, params in queue_sql(query)]
            finally:
                db.execute("COMMIT")
        merged = heapq.merge(*ranges, key=lambda row: str(row[-1]))
        page = itertools.islice(merged, query.limit)
        if self._sealer is None:
            return [queue_item(row) for row in page]
        return [queue_item(self._open_applicant(row)) for row in page]

    def _open_applicant(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        code, procedure, applicant, *rest = row  # queue_sql.QUEUE_COLUMNS
        assert self._sealer is not None
        return (
            code,
            procedure,
            _open(self._sealer, applicant, f"dossiers/{code}/applicant"),
            *rest,
        )

    def _seal(self, text: str, context: str) -> str | bytes:
        return text if self._sealer is None else self._sealer.seal_text(text, context)

    def counts(self, office: str) -> dict[int, int]:
        with wrapped():
            rows = self._connections.get().execute(counts_sql("?"), (office,))
            return {int(status): int(count) for status, count in rows}

    def codes(self) -> Iterator[str]:
        """In pages of 1,000, so no read transaction stays open while the caller works."""
        after = ""
        while True:
            with wrapped():
                page = [
                    row[0]
                    for row in self._connections.get().execute(
                        "SELECT code FROM dossiers WHERE code > ? ORDER BY code LIMIT 1000",
                        (after,),
                    )
                ]
            yield from page
            if len(page) < 1000:
                return
            after = page[-1]

    def delete(self, codes: list[str]) -> int:
        """The idempotency records have no index by code (a filing writes a page less): they
        are deleted in one pass over their table for up to PURGE_PASS codes, not one pass a
        code (at 100,000 records, the purge's batch of 500 held the writers' lock 4 s)."""
        deleted = 0
        with self._write_lock, self._immediate(time.monotonic() + self._wait) as db:
            for start in range(0, len(codes), PURGE_PASS):
                part = codes[start : start + PURGE_PASS]
                marks = ", ".join("?" * len(part))
                db.execute(f"DELETE FROM idempotency WHERE code IN ({marks})", part)
            for code in codes:
                db.execute("DELETE FROM events WHERE code = ?", (code,))
                db.execute("DELETE FROM outbox WHERE code = ?", (code,))
                deleted += db.execute("DELETE FROM dossiers WHERE code = ?", (code,)).rowcount
        self._durable.wait(self._committed())
        return deleted

    def reseal(self) -> int:
        """Seals every sealed (or clear) column again under the sealer's first key, in batches
        of 500 dossiers, one transaction each (`motcua rotate-data-key`, server stopped). How
        many dossiers."""
        assert self._sealer is not None
        sealer, done, after = self._sealer, 0, ""
        while True:
            with self._write_lock, self._immediate(time.monotonic() + self._wait) as db:
                rows = db.execute(
                    "SELECT code, body, applicant FROM dossiers WHERE code > ? ORDER BY code"
                    " LIMIT 500",
                    (after,),
                ).fetchall()
                for code, body, applicant in rows:
                    sealed = [
                        sealer.seal_text(
                            _open(sealer, value, f"dossiers/{code}/{column}"),
                            f"dossiers/{code}/{column}",
                        )
                        for column, value in (("body", body), ("applicant", applicant))
                    ]
                    db.execute(
                        "UPDATE dossiers SET body = ?, applicant = ? WHERE code = ?",
                        (*sealed, code),
                    )
                    events = db.execute(
                        "SELECT seq, body FROM events WHERE code = ?", (code,)
                    ).fetchall()
                    for seq, event in events:
                        context = f"events/{code}/{seq}"
                        db.execute(
                            "UPDATE events SET body = ? WHERE code = ? AND seq = ?",
                            (sealer.seal_text(_open(sealer, event, context), context), code, seq),
                        )
                if not rows:  # then the outbox's deliveries (few: sent ones go with their dossier)
                    for delivery_id, body in db.execute("SELECT id, body FROM outbox").fetchall():
                        context = f"outbox/{delivery_id}"
                        db.execute(
                            "UPDATE outbox SET body = ? WHERE id = ?",
                            (sealer.seal_text(_open(sealer, body, context), context), delivery_id),
                        )
                    db.execute(
                        "UPDATE sealing SET value = ? WHERE name = 'check'",
                        (sealer.seal(_CHECK, b"sealing/check"),),
                    )
            self._durable.wait(self._durable.committed())
            self._checkpoints.checkpoint()  # server stopped: here, not in a thread, batch by batch
            if not rows:
                return done
            done += len(rows)
            after = rows[-1][0]

    def filed_under(self, idempotency_key: str) -> str | None:
        with wrapped():
            row = (
                self._connections.get()
                .execute("SELECT code FROM idempotency WHERE key = ?", (idempotency_key,))
                .fetchone()
            )
        return None if row is None else str(row[0])

    def close(self) -> None:
        """Closes every connection any thread opened (tests and server shutdown)."""
        self._checkpoints.close()
        self._connections.close()
        if self._lock_fd >= 0:  # never twice: the number may belong to another file by then
            os.close(self._lock_fd)
            self._lock_fd = -1

    def _committed(self) -> int:
        """After a COMMIT: its ticket for _durable, counted for _checkpoints."""
        ticket = self._durable.committed()
        self._checkpoints.committed()
        return ticket

    def _next_sequence(self, db: sqlite3.Connection, agency: str, day: str) -> int:
        (seq,) = db.execute(
            "INSERT INTO counters (agency, day, seq) VALUES (?, ?, 1)"
            " ON CONFLICT (agency, day) DO UPDATE SET seq = seq + 1 RETURNING seq",
            (agency, day),
        ).fetchone()
        self._after_write("counter")
        return int(seq)

    def _insert_dossier(self, db: sqlite3.Connection, code: str, seq: int, create: _Create) -> None:
        """Stores the dossier with its initial state, whose head (the hash of the dossier as
        filed) lets chain.verify find an answer changed later, even before any event."""
        row = dossier_row(code, seq, create.dossier, create.stored_state, create.body)
        if self._sealer is not None:
            row = _sealed_row(self._sealer, code, row)
        db.execute(INSERT_DOSSIER, row)
        self._after_write("dossier")

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """This process's write turn (_write_lock), waited for at most `wait` seconds."""
        if not self._write_lock.acquire(timeout=self._wait):
            raise StorageError()
        try:
            yield
        finally:
            self._write_lock.release()

    @contextmanager
    def _immediate(self, deadline: float) -> Iterator[sqlite3.Connection]:
        """One write transaction: COMMIT if the block finishes, ROLLBACK on any exception.

        The caller holds _write_lock: threads of this process queue on it, and processes
        (functions/serve.py runs two per core) on an exclusive lock of `<database>.write-lock`,
        rather than in SQLite's busy handler, which makes losing writers sleep in growing steps
        (about 50 ms in all, once the p99 of submissions at 4 concurrent clients): a released
        lock wakes the next writer at once. busy_timeout still covers any other writer, until
        `deadline` (time.monotonic()): a request waits about `wait` seconds in all, however many
        writers queue before it, then fails with StorageError."""
        with self._process_lock():
            with self._connections.transaction(deadline) as db:
                yield db
            self._checkpoints.restart(db)  # committed, the lock still held: see LogCheckpoints

    @contextmanager
    def _process_lock(self) -> Iterator[None]:
        """Held under _write_lock, so one descriptor serves every thread of this process."""
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)


def _stored_under(
    db: sqlite3.Connection, idempotency_key: str, request_hash: str, sealer: Sealer | None
) -> StoredDossier | None:
    row = db.execute(
        "SELECT request_hash, code FROM idempotency WHERE key = ?", (idempotency_key,)
    ).fetchone()
    if row is None:
        return None
    if row[0] != request_hash:
        raise IdempotencyConflictError()
    return _load(db, row[1], sealer)


# The dossier and its events in one statement: one snapshot without BEGIN and COMMIT around it.
_LOAD = """SELECT dossiers.body, dossiers.state, events.seq, events.body
FROM dossiers LEFT JOIN events ON events.code = dossiers.code
WHERE dossiers.code = ? ORDER BY events.seq"""


def _load(db: sqlite3.Connection, code: str, sealer: Sealer | None) -> StoredDossier | None:
    rows = db.execute(_LOAD, (code,)).fetchall()
    if not rows:
        return None
    body = rows[0][0] if sealer is None else _open(sealer, rows[0][0], f"dossiers/{code}/body")
    dossier = NewDossier(**json.loads(body))
    state = State(**json.loads(rows[0][1]))
    return StoredDossier(
        code=code,
        dossier=dossier,
        events=tuple(
            json.loads(event if sealer is None else _open(sealer, event, f"events/{code}/{seq}"))
            for _, _, seq, event in rows
            if seq is not None
        ),
        state=state,
    )


def event_json(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False)


def _sealed_row(sealer: Sealer, code: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A new dossier's row with its personal columns sealed, bound to the code and column."""
    sealed = list(row)
    for column in ("body", "applicant"):
        index = _COLUMN[column]
        sealed[index] = sealer.seal_text(sealed[index], f"dossiers/{code}/{column}")
    return tuple(sealed)


def _open(sealer: Sealer, stored: bytes | str, context: str) -> str:
    try:
        return sealer.open_text(stored, context)
    except SealError as error:  # the startup check passed: this row was altered
        raise SealError(f"{context}: {error}") from None


def check_data_key(path: Path, sealer: Sealer) -> None:
    """DataKeyError if the database at `path` was sealed under a key `sealer` does not open; a
    read only, closed at once (functions/serve.py runs it before forking its workers)."""
    if not path.exists():
        return
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        with contextlib.suppress(sqlite3.OperationalError):  # no table yet: sealed nothing
            row = db.execute("SELECT value FROM sealing WHERE name = 'check'").fetchone()
            if row is not None:
                _open_check(row[0], sealer, path)
    finally:
        db.close()


def _check_key(db: sqlite3.Connection, sealer: Sealer, path: Path) -> None:
    """Seals the check value in a new database; in one that has it, opens it, or stops startup
    with a message that says which key is needed."""
    row = db.execute("SELECT value FROM sealing WHERE name = 'check'").fetchone()
    if row is None:
        db.execute(
            "INSERT INTO sealing (name, value) VALUES ('check', ?)",
            (sealer.seal(_CHECK, b"sealing/check"),),
        )
        return
    _open_check(row[0], sealer, path)


def _open_check(value: bytes, sealer: Sealer, path: Path) -> None:
    try:
        sealer.open(value, b"sealing/check")
    except SealError:
        key_id = sealer.key_id_of(value).hex()
        raise DataKeyError(
            f"{path} was sealed under data key {key_id}, which {sealer.source} does not open"
            f" (it holds {', '.join(sealer.key_ids)}). Set MOTCUA_DATA_KEY_FILE to this"
            " installation's key file (docs/deploy.md, Personal data)."
        ) from None


def queue_sql(query: QueueQuery) -> list[tuple[str, list[Any]]]:
    """The statements and parameters queue() runs (public so a test can EXPLAIN them): one per
    status asked (every status when none is), each one index range read in queue_key order up to
    the limit, so a page costs at most `limit` rows a status however large the office; queue()
    merges them. (One `status IN (...)` statement would sort all the office's rows in those
    statuses for every page.)"""
    return [status_sql(query, status, "?") for status in query.statuses or workflow.STATUSES]


HASHED_KEYS = 1  # PRAGMA user_version from which the idempotency keys are stored hashed


def _hash_idempotency_keys(db: sqlite3.Connection) -> None:
    """Once per file: replaces the idempotency keys stored in clear, before keys were stored
    hashed, by their lookup_secret.idempotency_hash, and marks the file (user_version)."""
    if db.execute("PRAGMA user_version").fetchone()[0] >= HASHED_KEYS:
        return
    prefix = lookup_secret.IDEMPOTENCY_PREFIX
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # the first string past every "sha256:..."
    clear = db.execute(
        "SELECT key FROM idempotency WHERE key < ? OR key >= ?", (prefix, after)
    ).fetchall()
    for (key,) in clear:
        db.execute(
            "UPDATE idempotency SET key = ? WHERE key = ?",
            (lookup_secret.idempotency_hash(key), key),
        )
    db.execute(f"PRAGMA user_version = {HASHED_KEYS}")


def _fewer_pages_a_create(db: sqlite3.Connection) -> None:
    """Brings a file made before 2026-12-08 to SCHEMA's B-trees: drops the indexes no statement
    reads, and copies the idempotency records into a table keyed WITHOUT ROWID (in the caller's
    transaction; a file already converted costs one read of sqlite_schema)."""
    for index in _UNUSED_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {index}")
    (definition,) = db.execute(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'idempotency'"
    ).fetchone()
    if definition.rstrip().upper().endswith("WITHOUT ROWID"):
        return
    db.execute("ALTER TABLE idempotency RENAME TO idempotency_with_rowid")
    db.execute(_IDEMPOTENCY)
    db.execute(
        "INSERT INTO idempotency (key, request_hash, code)"
        " SELECT key, request_hash, code FROM idempotency_with_rowid"
    )
    db.execute("DROP TABLE idempotency_with_rowid")


def _add_handed_to(db: sqlite3.Connection) -> None:
    """Adds the hand-over's column to a file made before it (every dossier there was filed for
    our back office: '') and drops the queue index, which SCHEMA makes again, partial."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(dossiers)")}
    if not columns or "handed_to" in columns:
        return
    db.execute("ALTER TABLE dossiers ADD COLUMN handed_to TEXT NOT NULL DEFAULT ''")
    db.execute("DROP INDEX IF EXISTS dossiers_queue")


def _migrate(db: sqlite3.Connection) -> None:
    """Brings a file made before the lifecycle to SCHEMA: adds and fills the queue columns, and
    moves the events JSON column into the events table (in the caller's transaction)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(dossiers)")}
    if not columns or "queue_key" in columns:
        return  # a new file (SCHEMA creates it) or one already migrated
    for name, definition in _ADDED_COLUMNS.items():
        if name not in columns:
            db.execute(f"ALTER TABLE dossiers ADD COLUMN {name} {definition}")
    db.execute(_BACKFILL)
    # No code wrote events before the lifecycle (only tests did, by hand): any found are kept, in
    # order, and the state counts them so the next transition appends after them; they carry no
    # hash, so chain.verify reports those dossiers. The status column follows the state.
    legacy = "json_array_length(events)" if "events" in columns else "0"
    rows = db.execute(f"SELECT code, body, {legacy} FROM dossiers").fetchall()
    for code, body, count in rows:
        state = workflow.initial_state(NewDossier(**json.loads(body)))
        state = dataclasses.replace(state, version=count)
        db.execute(
            "UPDATE dossiers SET state = ?, version = ?, status = ? WHERE code = ?",
            (json.dumps(state.as_dict(), ensure_ascii=False), count, state.status, code),
        )
    if "events" in columns:
        db.execute(_EVENTS)
        db.execute(
            "INSERT INTO events (code, seq, body)"
            " SELECT code, CAST(item.key AS INTEGER) + 1, item.value"
            " FROM dossiers, json_each(dossiers.events) AS item"
        )
        db.execute("ALTER TABLE dossiers DROP COLUMN events")
