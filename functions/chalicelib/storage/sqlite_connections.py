"""What both SQLite adapters (dossiers, officers' accounts) share: one connection per thread
with the same settings (the dossiers' writes: one connection for the process), write transactions
taken with `BEGIN IMMEDIATE`, and sqlite3 errors turned into StorageError; for the dossiers'
writers, the log synced (WalSync) and checkpointed (LogCheckpoints) outside their lock."""

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from chalicelib.errors import StorageError

BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another's lock, unless told (`wait`)
CHECKPOINT_COMMITS = 50  # a process's commits between two of its LogCheckpoints passes
CHECKPOINT_RESTART = 1000  # frames (~4 MiB, SQLite's own default) from which the log restarts

log = logging.getLogger(__name__)


class ThreadConnections:
    """Connections to one SQLite file, one per thread (a connection serves one thread at a
    time), all closed together by `close`. `wait`: seconds a statement waits for a lock
    another connection holds before it fails with StorageError (SQLite's busy timeout).
    `durable=False`: SQLite does not sync commits (synchronous = NORMAL: still atomic, and safe
    from a crash of the process); the caller syncs the write-ahead log itself before it answers
    (WalSync, storage/sqlite.py).

    `one_writer=True`, for callers that already hold a lock of their own around every
    `transaction` (storage/sqlite.py's write lock): every thread's transactions run on one
    connection, whose page cache stays warm from one write to the next. A connection empties
    its cache whenever another connection committed since its last transaction (WAL), so with a
    connection per thread each write first read again, one system call a page, every page of the
    tables and indexes it touches (~0.1 ms of CPU a submission with the server's 8 threads).

    `autocheckpoint=False`: no commit on these connections checkpoints the log (LogCheckpoints
    does, from a thread of its own)."""

    def __init__(
        self,
        path: Path,
        *,
        wait: float = BUSY_TIMEOUT_MS / 1000,
        durable: bool = True,
        one_writer: bool = False,
        autocheckpoint: bool = True,
    ):
        self.path = Path(path)
        self.wait = wait
        self.durable = durable
        self.one_writer = one_writer
        self.autocheckpoint = autocheckpoint
        self._local = threading.local()
        self._writer: sqlite3.Connection | None = None
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
        return connection

    def _open(self) -> sqlite3.Connection:
        with wrapped():
            connection = connect(self.path, busy_timeout_ms=round(self.wait * 1000))
            if not self.durable:  # WAL: still atomic and safe from a crash of the process
                connection.execute("PRAGMA synchronous = NORMAL")
            if not self.autocheckpoint:
                connection.execute("PRAGMA wal_autocheckpoint = 0")
        with self._opened_lock:
            self._opened.append(connection)
        return connection

    def _for_writing(self) -> sqlite3.Connection:
        """The connection a transaction runs on: this thread's, or the one writer's (opened
        under the caller's lock, like everything it does)."""
        if not self.one_writer:
            return self.get()
        if self._writer is None:
            self._writer = self._open()
        return self._writer

    @contextmanager
    def transaction(self, deadline: float | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction: COMMIT if the block finishes, ROLLBACK on any exception. With
        `deadline` (time.monotonic()), the lock is waited for until then only (StorageError)."""
        db = self._for_writing()
        with wrapped():
            if deadline is None:
                db.execute("BEGIN IMMEDIATE")
            else:
                _begin_by(db, deadline, self.wait)
        try:
            with wrapped():
                yield db
                db.execute("COMMIT")
        except BaseException:
            # Keep the original error: a failing ROLLBACK means SQLite already rolled back.
            with suppress(sqlite3.Error):
                db.rollback()
            raise

    def close(self) -> None:
        """Closes every connection any thread opened (tests and server shutdown)."""
        with self._opened_lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()
            self._writer = None


class WalSync:
    """Makes a WAL database's commits durable after its write lock is released, for connections
    opened with `durable=False`.

    With synchronous = FULL, SQLite syncs the write-ahead log inside COMMIT, holding the write
    lock, so writers take turns at one fsync each (4 ms on this project's shared disk): with the
    server's processes each committing its own batch, a submission waited for the other's fsync
    and then its own. Here COMMIT only writes the log, the lock goes to the next writer, and then
    `wait(ticket)` fsyncs the log file before the request is answered: one fsync covers every
    commit this process wrote before it started, and the processes' fsyncs run side by side.

    What is answered is as durable as with FULL: the log's frames of a commit are written before
    its fsync starts, so they are on disk when `wait` returns, and a checkpoint (synchronous =
    NORMAL syncs the log before it and the database after it) only lets SQLite reuse the log
    once its frames are in the synced database. The difference: another reader may see a commit
    whose fsync is still running (milliseconds), which a power cut at that moment would undo; no
    one was told it was stored, since its writer answers only after `wait`."""

    def __init__(self, database: Path):
        self.log = database.with_name(database.name + "-wal")
        self.database = database
        self._state = threading.Condition()
        self._committed = 0  # commits written to the log, numbered in this process
        self._synced = 0  # every commit up to this number is on disk
        self._syncing = False
        self._inode: int | None = None  # the log file whose directory entry was synced

    def committed(self) -> int:
        """A ticket for the commit that just returned, for `wait`."""
        with self._state:
            self._committed += 1
            return self._committed

    def wait(self, ticket: int) -> None:
        """Returns once commit `ticket` is on disk: a sync already under way that started after
        it, or one this thread runs. StorageError if the fsync fails (the caller answers 503;
        the commit stands, and a retry of the request finds it)."""
        with self._state:
            while self._synced < ticket:
                if self._syncing:
                    self._state.wait()
                    continue
                self._syncing, covered = True, self._committed
                self._state.release()
                try:
                    self._fsync()
                except OSError as error:
                    raise StorageError() from error
                finally:
                    self._state.acquire()
                    self._syncing = False
                    self._state.notify_all()
                self._synced = max(self._synced, covered)

    def _fsync(self) -> None:
        try:
            descriptor = os.open(self.log, os.O_RDONLY)
        except FileNotFoundError:  # no log: the last connection closed and checkpointed it
            descriptor = os.open(self.database, os.O_RDONLY)
        try:
            inode = os.fstat(descriptor).st_ino
            os.fdatasync(descriptor)  # the frames and the file's size, not its times
        finally:
            os.close(descriptor)
        if inode != self._inode:  # a new log file: its name must survive a power cut too
            directory = os.open(self.database.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            self._inode = inode


class LogCheckpoints:
    """Checkpoints a WAL database's log from a thread of its own, outside the writers' lock, for
    writers whose connections do not (`ThreadConnections(autocheckpoint=False)`).

    SQLite's auto-checkpoint runs inside the COMMIT that takes the log past 1,000 pages, under
    the write lock every writer of every process waits for: it syncs the log, copies its pages
    into the database file and syncs that (5-30 ms on this project's shared disk, every ~100
    submissions). Here the writers count their commits (`committed`); every `every`-th wakes
    the thread, which runs PASSIVE checkpoints on a connection of its own while the writers go
    on. The log restarts from its beginning, overwriting its file rather than growing it, only
    when a writer begins once a checkpoint copied every frame in it, and under load the writers
    add frames during every pass: once the log is `restart_at` frames long, the thread runs a
    second pass for the frames added during the first, and the next writer, still holding the
    lock after its COMMIT, copies the few added during the second (`restart`). So the log's file
    stays about `restart_at` frames long under any load (its blocks overwritten, which syncs
    faster than appending), and the lock is held for a few pages and two syncs instead of the
    whole copy.

    Crash safety is SQLite's own: a checkpoint syncs the log before it copies frames and the
    database before the log may be reused, whichever connection runs it."""

    def __init__(
        self,
        path: Path,
        *,
        every: int = CHECKPOINT_COMMITS,
        restart_at: int = CHECKPOINT_RESTART,
    ):
        self.path = Path(path)
        self.every = every
        self.restart_at = restart_at
        self._state = threading.Condition()
        self._commits = 0  # guarded by _state, like the two flags after it
        self._due = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None  # guarded by _running
        self._running = threading.Lock()
        self.restart_due = False  # read and cleared by `restart`, under the writers' lock
        self.restarts = 0  # how many times `restart` copied the rest (tests)

    def committed(self) -> None:
        """Counts a commit of this process; every `every`-th starts a checkpoint."""
        with self._state:
            self._commits += 1
            if self._commits < self.every or self._closed:
                return
            self._commits, self._due = 0, True
            if self._thread is None:  # started on first use: after serve.py's forks
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-checkpoints", daemon=True
                )
                self._thread.start()
            self._state.notify()

    def checkpoint(self) -> None:
        """Copies the log into the database (a PASSIVE pass, the writers going on); once the log
        is `restart_at` frames long, copies what the writers added meanwhile in a second pass
        and leaves the rest to `restart`. A pass only copies the frames there were when it
        started, and the log restarts only if a writer begins when every frame is copied: under
        load, one always began during the pass. A pass that finds another process's checkpoint
        running leaves the work to it."""
        with self._running:  # the thread's, or a caller's (SqliteDossiers.reseal)
            if self._db is None:
                with wrapped():
                    self._db = connect(self.path)
            busy, frames, _ = self._pass(self._db)
            if busy or frames < self.restart_at:
                return
            busy, _, _ = self._pass(self._db)  # the frames added during the first
            if not busy:
                self.restart_due = True

    def restart(self, db: sqlite3.Connection) -> None:
        """For a writer holding the writers' lock after its COMMIT, on its connection: when a
        checkpoint asked for it, copies the frames added since its last pass, so that the next
        writer restarts the log. The commit stands whatever happens here: a failure is logged
        and left to the next checkpoint."""
        if not self.restart_due:
            return
        self.restart_due = False
        try:
            self._pass(db)
        except StorageError:
            log.warning("checkpoint of %s failed", self.path, exc_info=True)
        self.restarts += 1

    @staticmethod
    def _pass(db: sqlite3.Connection) -> tuple[int, int, int]:
        with wrapped():
            busy, frames, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(frames), int(copied)

    def _run(self) -> None:
        while True:
            with self._state:
                while not self._due and not self._closed:
                    self._state.wait()
                if self._closed:
                    return
                self._due = False
            try:
                self.checkpoint()
            except StorageError:  # the log grows meanwhile; the next pass retries
                log.warning("checkpoint of %s failed", self.path, exc_info=True)

    def close(self) -> None:
        """Stops the thread (after the pass it is in) and closes its connection."""
        with self._state:
            self._closed = True
            self._state.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._running:
            if self._db is not None:
                self._db.close()
                self._db = None


# How far past its deadline a BEGIN may wait rather than set the busy timeout twice more.
DEADLINE_SLACK = 0.05


def _begin_by(db: sqlite3.Connection, deadline: float, wait: float) -> None:
    """BEGIN IMMEDIATE, waiting for the lock until `deadline` at most, then the connection's
    usual busy timeout (`wait`) again. When the deadline is within DEADLINE_SLACK of the usual
    timeout (a writer that did not queue: the usual case), the usual timeout serves, which
    saves two PRAGMA statements a transaction."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise StorageError()
    if left >= wait - DEADLINE_SLACK:
        db.execute("BEGIN IMMEDIATE")
        return
    db.execute(f"PRAGMA busy_timeout = {max(1, round(left * 1000)):d}")
    try:
        db.execute("BEGIN IMMEDIATE")
    finally:
        db.execute(f"PRAGMA busy_timeout = {round(wait * 1000):d}")


def create_schema(connections: ThreadConnections, schema: str) -> None:
    """Runs `schema` (CREATE ... IF NOT EXISTS) on the file, one process at a time: processes
    opening a new file at once would otherwise race to switch it to WAL and one of them would
    fail "database is locked"."""
    path = connections.path
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".schema-lock")
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        with wrapped():
            connections.get().executescript(schema)
    finally:
        os.close(descriptor)  # releases the lock


def connect(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so the module never opens a
    # deferred transaction behind our back. check_same_thread=False only so close() can run
    # from another thread; each connection is otherwise used by the thread that opened it.
    connection = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA busy_timeout = {busy_timeout_ms:d}")
    # A receipt code handed to a citizen must survive a power cut: sync the WAL on every commit.
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


@contextmanager
def wrapped() -> Iterator[None]:
    """sqlite3 errors leave the adapters as StorageError, which the API answers with 503."""
    try:
        yield
    except sqlite3.Error as error:
        raise StorageError() from error
