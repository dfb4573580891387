"""sqlite_connections.LogCheckpoints and SqliteDossiers' writers: no COMMIT checkpoints the log
(SQLite's auto-checkpoint is off on their connections); a thread of its own copies it into the
database outside the writers' lock, and holds the lock only to copy the last frames so that the
log restarts, which keeps it bounded while writers never pause."""

import threading
import uuid

import pytest

from chalicelib.storage.sqlite import SqliteDossiers
from chalicelib.storage.sqlite_connections import (
    CHECKPOINT_RESTART,
    LogCheckpoints,
    ThreadConnections,
)
from tests.contract.test_dossiers_contract import make_dossier

FRAME = 4096 + 24  # a page and its frame header in the log


def fill(connections: ThreadConnections, rows: int) -> None:
    """`rows` commits of one 2 KB row each."""
    for _ in range(rows):
        with connections.transaction() as db:
            db.execute("INSERT INTO t (v) VALUES (?)", ("x" * 2000,))


def test_commits_leave_the_log_to_the_checkpointer_and_a_writer_restarts_it(tmp_path):
    path = tmp_path / "db.sqlite3"
    connections = ThreadConnections(path, durable=False, one_writer=True, autocheckpoint=False)
    with connections.transaction() as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    log, header = tmp_path / "db.sqlite3-wal", path.stat().st_size  # the file's first page
    checkpoints = LogCheckpoints(path, restart_at=100)
    try:
        fill(connections, 1500)  # past SQLite's 1,000 pages: a COMMIT would checkpoint here
        assert path.stat().st_size == header  # every other page still only in the log
        longest = log.stat().st_size
        assert longest > 1000 * FRAME

        checkpoints.checkpoint()
        assert path.stat().st_size > 1500 * 2000  # the rows copied into the database
        assert checkpoints.restart_due  # the log is long: the next writer restarts it
        with connections.transaction() as db:
            db.execute("INSERT INTO t (v) VALUES ('after')")
        checkpoints.restart(db)
        assert (checkpoints.restart_due, checkpoints.restarts) == (False, 1)
        fill(connections, 20)
        assert log.stat().st_size == longest  # restarted: written over from its beginning
        checkpoints.checkpoint()
        assert not checkpoints.restart_due  # shorter than restart_at
        with connections.transaction() as db:
            assert db.execute("SELECT count(*) FROM t").fetchone() == (1521,)
    finally:
        checkpoints.close()
        connections.close()


@pytest.mark.slow
def test_the_log_stays_bounded_while_writers_never_pause(tmp_path):
    path = tmp_path / "motcua.sqlite3"
    adapter = SqliteDossiers(path)
    codes: list[str] = []

    def writer(number: int) -> None:
        for n in range(300):
            dossier = make_dossier(answers={"writer": number, "n": n, "text": "x" * 500})
            stored = adapter.create(dossier, idempotency_key=uuid.uuid4().hex, request_hash="h")
            codes.append(stored.code)

    before = set(threading.enumerate())  # other tests' adapters may still have their threads
    try:
        writers = [threading.Thread(target=writer, args=(number,)) for number in range(4)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        # ~8 pages a create: 9,600 frames (39 MB) if the log never restarted.
        assert (tmp_path / "motcua.sqlite3-wal").stat().st_size < 3 * CHECKPOINT_RESTART * FRAME
        assert len(set(codes)) == 1200
        assert all(adapter.get(code) is not None for code in codes)
    finally:
        adapter.close()
    started = adapter._checkpoints._thread
    assert started is not None and started not in before  # this adapter's own checkpointer
    assert not started.is_alive()  # stopped by close()
