"""A lock held elsewhere (a backup, an admin's session, a stuck writer) makes a write fail with
StorageError (the API's 503) after the adapter's `wait`, never hang a request thread: SQLite's
busy timeout and this process's write turn, PostgreSQL's lock_timeout (the throw-away cluster).
Once the lock is gone, writes go through again."""

import sqlite3
import threading
import time

import psycopg
import pytest

from chalicelib.errors import StorageError
from chalicelib.storage.postgres import PostgresDossiers
from chalicelib.storage.sqlite import SqliteDossiers

from .test_dossiers_contract import make_dossier

WAIT = 1.0


def refused_in_time(create) -> float:
    started = time.monotonic()
    with pytest.raises(StorageError):
        create()
    return time.monotonic() - started


def test_sqlite_writers_give_up_after_their_wait_while_another_process_holds_the_lock(tmp_path):
    path = tmp_path / "motcua.sqlite3"
    dossiers = SqliteDossiers(path, wait=WAIT)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        waits: list[float] = []

        def create(number: int) -> None:
            dossier = make_dossier(answers={"n": number})
            waits.append(
                refused_in_time(
                    lambda: dossiers.create(dossier, idempotency_key=f"k{number}", request_hash="h")
                )
            )

        threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(waits) == 6 and max(waits) < WAIT + 0.5, waits
        holder.execute("COMMIT")
        stored = dossiers.create(make_dossier(), idempotency_key="k0", request_hash="h")
        assert stored.code.endswith("-0001")  # none of the refused ones was written
    finally:
        holder.close()
        dossiers.close()


@pytest.mark.slow
def test_postgres_writers_give_up_after_lock_timeout_while_another_session_holds_a_lock(
    postgres_cluster,
):
    dsn = postgres_cluster.new_database()
    dossiers = PostgresDossiers(dsn, wait=WAIT)
    try:
        with psycopg.connect(dsn) as holder:
            holder.execute("LOCK TABLE counters IN ACCESS EXCLUSIVE MODE")  # until its COMMIT
            seconds = refused_in_time(
                lambda: dossiers.create(make_dossier(), idempotency_key="k1", request_hash="h")
            )
            assert WAIT - 0.1 < seconds < WAIT + 1.5, seconds
        stored = dossiers.create(make_dossier(), idempotency_key="k1", request_hash="h")
        assert stored.code.endswith("-0001")
    finally:
        dossiers.close()
        postgres_cluster.drop(dsn)
