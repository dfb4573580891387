"""sqlite_connections.WalSync and SqliteDossiers' durability: COMMIT writes the log without
syncing it, and the log is fsynced, outside the write lock, before create or transition answers;
one fsync covers every commit written before it started, waiters share it, and a failed fsync is
a StorageError that the next wait tries again."""

import os
import threading
from pathlib import Path

import pytest

from chalicelib.errors import StorageError
from chalicelib.storage.sqlite import SqliteDossiers
from chalicelib.storage.sqlite_connections import WalSync
from tests.contract.test_dossiers_contract import make_dossier


class Fsyncs:
    """os.fsync and os.fdatasync, recording the path of each descriptor synced; `gate` holds a
    sync until set."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.paths: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.fail = False
        for name in ("fsync", "fdatasync"):
            monkeypatch.setattr(os, name, self._recording(getattr(os, name)))

    def _recording(self, real):
        def sync(descriptor: int) -> None:
            self.paths.append(os.readlink(f"/proc/self/fd/{descriptor}"))
            self.started.set()
            self.gate.wait(10)
            if self.fail:
                raise OSError(5, "Input/output error")
            real(descriptor)

        return sync

    def of(self, path: Path) -> int:
        return self.paths.count(str(path))


def test_one_fsync_covers_every_commit_written_before_it(tmp_path, monkeypatch):
    log = tmp_path / "db.sqlite3-wal"
    log.write_bytes(b"frames")
    fsyncs = Fsyncs(monkeypatch)
    sync = WalSync(tmp_path / "db.sqlite3")
    tickets = [sync.committed() for _ in range(3)]
    sync.wait(tickets[-1])
    sync.wait(tickets[0])
    assert fsyncs.of(log) == 1
    assert fsyncs.of(tmp_path) == 1  # the new log's directory entry, once
    sync.wait(sync.committed())
    assert fsyncs.of(log) == 2
    assert fsyncs.of(tmp_path) == 1


def test_waiters_share_the_sync_under_way_and_a_later_commit_gets_its_own(tmp_path, monkeypatch):
    log = tmp_path / "db.sqlite3-wal"
    log.write_bytes(b"frames")
    sync = WalSync(tmp_path / "db.sqlite3")
    sync.wait(sync.committed())  # the directory entry, out of the way
    fsyncs = Fsyncs(monkeypatch)
    fsyncs.gate.clear()
    first, second = sync.committed(), sync.committed()
    running = threading.Thread(target=sync.wait, args=(first,))
    running.start()
    assert fsyncs.started.wait(5)
    sharing = threading.Thread(target=sync.wait, args=(second,))  # written before it started
    sharing.start()
    later = sync.committed()
    after = threading.Thread(target=sync.wait, args=(later,))  # written after: not covered
    after.start()
    fsyncs.gate.set()
    for thread in (running, sharing, after):
        thread.join(5)
        assert not thread.is_alive()
    assert fsyncs.of(log) == 2


def test_a_failed_fsync_is_a_storage_error_and_the_next_wait_syncs_again(tmp_path, monkeypatch):
    (tmp_path / "db.sqlite3-wal").write_bytes(b"frames")
    fsyncs = Fsyncs(monkeypatch)
    sync = WalSync(tmp_path / "db.sqlite3")
    ticket = sync.committed()
    fsyncs.fail = True
    with pytest.raises(StorageError):
        sync.wait(ticket)
    fsyncs.fail = False
    sync.wait(ticket)
    assert fsyncs.of(tmp_path / "db.sqlite3-wal") == 2


def test_a_dossier_is_in_the_synced_log_when_create_returns(tmp_path, monkeypatch):
    path = tmp_path / "motcua.sqlite3"
    dossiers = SqliteDossiers(path)
    try:
        written: list[int] = []
        real_sync = os.fdatasync

        def checking(descriptor: int) -> None:
            written.append(os.fstat(descriptor).st_size)  # the commit's frames are written
            real_sync(descriptor)

        monkeypatch.setattr(os, "fdatasync", checking)
        before = os.stat(f"{path}-wal").st_size
        stored = dossiers.create(make_dossier(), idempotency_key="k" * 12, request_hash="h")
        assert written and max(written) > before
        assert dossiers.get(stored.code) is not None
        monkeypatch.setattr(os, "fdatasync", real_sync)
        # SQLite itself does not sync inside COMMIT (so the next writer need not wait for it)
        synchronous = dossiers._connections.get().execute("PRAGMA synchronous").fetchone()[0]
        assert synchronous == 1  # NORMAL
    finally:
        dossiers.close()


def test_a_replaced_secret_is_in_the_synced_log_when_replace_secret_returns(tmp_path, monkeypatch):
    path = tmp_path / "motcua.sqlite3"
    dossiers = SqliteDossiers(path)
    try:
        stored = dossiers.create(make_dossier(), idempotency_key="k" * 12, request_hash="h")
        log = Path(f"{path}-wal")
        before = log.stat().st_size
        synced: list[int] = []  # the log's size at each of its syncs
        real_sync = os.fdatasync

        def checking(descriptor: int) -> None:
            if os.readlink(f"/proc/self/fd/{descriptor}") == str(log):
                synced.append(os.fstat(descriptor).st_size)
            real_sync(descriptor)

        monkeypatch.setattr(os, "fdatasync", checking)
        dossiers.replace_secret(
            stored.code, expected_version=stored.state.version, secret_hash="new", deliveries=[]
        )
        assert synced and max(synced) > before  # the UPDATE's frames, written then synced
    finally:
        dossiers.close()
