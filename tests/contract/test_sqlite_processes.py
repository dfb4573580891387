"""SqliteDossiers opened by several processes at once, as functions/serve.py's workers open it."""

import multiprocessing
from pathlib import Path

import pytest

from chalicelib.storage.sqlite import SqliteDossiers

pytestmark = pytest.mark.slow  # forks processes


def _open(path: Path, barrier, results) -> None:
    barrier.wait()  # both processes open the new file at the same moment
    try:
        SqliteDossiers(path).close()
        results.put("ok")
    except Exception as error:  # reported to the test, which names it
        results.put(repr(error))


def test_two_processes_opening_a_new_database_at_once_both_succeed(tmp_path):
    """Without the lock around the first connection, one of them got "database is locked" while
    the other switched the new file to WAL (about 1 round in 30 on the 2-core machine)."""
    context = multiprocessing.get_context("fork")
    for round_ in range(30):
        path = tmp_path / f"round-{round_}" / "motcua.sqlite3"
        barrier, results = context.Barrier(2), context.Queue()
        processes = [context.Process(target=_open, args=(path, barrier, results)) for _ in "ab"]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)
        assert [results.get(timeout=5), results.get(timeout=5)] == ["ok", "ok"], round_
