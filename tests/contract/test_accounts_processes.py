"""Accounts shared by several processes, as functions/serve.py's workers share the SQLite file
and a province's app processes the PostgreSQL database: the lockout is counted in the store, so
processes together allow no more failures than one."""

import multiprocessing
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from chalicelib.errors import AccountLockedError, LoginFailedError
from chalicelib.officers import OfficerAuth
from chalicelib.storage.accounts_postgres import PostgresAccounts
from chalicelib.storage.accounts_sqlite import SqliteAccounts
from tests.contract.conftest import POSTGRES

pytestmark = pytest.mark.slow  # forks processes

SECRET = b"officer-tests-secret-key"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PROCESSES = 4
ATTEMPTS_EACH = 3


@pytest.fixture(params=["embedded", POSTGRES])
def open_accounts(request, tmp_path: Path):
    """Opens an adapter on one store; each call is like another process sharing it."""
    if request.param == "embedded":
        yield lambda: SqliteAccounts(tmp_path / "officers.sqlite3")
        return
    cluster = request.getfixturevalue("postgres_cluster")
    dsn = cluster.new_database()
    yield lambda: PostgresAccounts(dsn)
    cluster.drop(dsn)


def _guess(open_accounts, barrier, results) -> None:
    accounts = open_accounts()
    auth = OfficerAuth(accounts, secret_key=SECRET, hasher=CHEAP)
    barrier.wait()
    for _ in range(ATTEMPTS_EACH):
        try:
            auth.login("lan.nguyen", "sai-mat-khau-roi", "10.0.0.1")
            results.put("logged in")
        except LoginFailedError:
            results.put("failed")
        except AccountLockedError:
            results.put("locked")
        except Exception as error:  # reported to the test, which names it
            results.put(repr(error))
    accounts.close()


def test_processes_guessing_at_once_get_five_tries_in_all(open_accounts):
    accounts = open_accounts()
    OfficerAuth(accounts, secret_key=SECRET, hasher=CHEAP).create(
        username="lan.nguyen",
        name="Nguyễn Thị Lan",
        password="mat-khau-du-dai-1",
        roles=["mot_cua"],
        offices=["ttphcc-le-chan"],
    )
    accounts.close()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    processes = [
        context.Process(target=_guess, args=(open_accounts, barrier, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=60) for _ in range(PROCESSES * ATTEMPTS_EACH)]
    for process in processes:
        process.join(timeout=60)

    assert sorted(answers) == ["failed"] * 5 + ["locked"] * (PROCESSES * ATTEMPTS_EACH - 5)


def _open(path: Path, barrier, results) -> None:
    barrier.wait()
    try:
        SqliteAccounts(path).close()
        results.put("ok")
    except Exception as error:  # reported to the test, which names it
        results.put(repr(error))


def test_two_processes_opening_a_new_accounts_file_at_once_both_succeed(tmp_path):
    context = multiprocessing.get_context("fork")
    for round_ in range(10):
        path = tmp_path / f"round-{round_}" / "officers.sqlite3"
        barrier, results = context.Barrier(2), context.Queue()
        processes = [context.Process(target=_open, args=(path, barrier, results)) for _ in "ab"]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)
        assert [results.get(timeout=5), results.get(timeout=5)] == ["ok", "ok"], round_
