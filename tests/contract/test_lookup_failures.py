"""Failed status lookups, counted in the store every app process shares (ports.LookupFailures):
SQLite (serve.py's workers), PostgreSQL (a province's app servers) and DynamoDB (Lambda
containers; moto over HTTP). dossiers.FailureLimiter on top: a client past its allowance is
refused whichever process it reaches, and processes guessing at once overshoot by at most the
documented bound; a code past its allowance is refused to every client, and the whole site past
its own to everyone."""

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chalicelib.dossiers import FailureLimiter
from chalicelib.errors import RateLimitedError
from chalicelib.storage.lookups_dynamo import DynamoLookupFailures
from chalicelib.storage.lookups_postgres import PostgresLookupFailures
from chalicelib.storage.lookups_sqlite import SqliteLookupFailures
from chalicelib.storage.ports import LookupFailures

from .conftest import AWS, POSTGRES, shared_store

SECRET = b"lookup-failures-contract-secret-key"
WINDOW = 600.0
NOW = 1_800_000_000.0


@pytest.fixture(params=["embedded", POSTGRES, AWS])
def make_failures(request, tmp_path: Path) -> Iterator[Callable[[], LookupFailures]]:
    """Opens adapters on one store; each call is like another process sharing it."""
    yield from shared_store(
        request, tmp_path, SqliteLookupFailures, PostgresLookupFailures, DynamoLookupFailures
    )


@pytest.fixture
def failures(make_failures) -> LookupFailures:
    return make_failures()


# The port


def test_a_client_without_failures_counts_none(failures):
    assert failures.count("khach-1", 0.0) == 0


def test_counts_a_clients_failures_after_the_time_asked_and_no_one_elses(failures):
    for offset in (0.0, 10.0, 20.0):
        failures.add("khach-1", NOW + offset, WINDOW)
    failures.add("khach-2", NOW + 5.0, WINDOW)

    assert failures.count("khach-1", NOW - 1.0) == 3
    assert failures.count("khach-1", NOW + 5.0) == 2
    assert failures.count("khach-1", NOW + 20.0) == 0  # strictly after
    assert failures.count("khach-2", NOW - 1.0) == 1


def test_a_failure_past_its_window_is_deleted_by_the_next_one(failures):
    failures.add("khach-1", NOW, WINDOW)
    failures.add("khach-1", NOW + WINDOW + 1.0, WINDOW)

    assert failures.count("khach-1", 0.0) == 1  # the first is gone, not only out of the window


def test_another_adapter_on_the_same_store_sees_the_failures(make_failures):
    make_failures().add("khach-1", NOW, WINDOW)

    assert make_failures().count("khach-1", NOW - 1.0) == 1


# FailureLimiter on the store


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


CODE = "000.00.31.H26-260715-0042"


def test_a_client_past_its_allowance_is_refused_by_every_process_until_the_window_passes(
    make_failures,
):
    clock = Clock()
    one, other = (
        FailureLimiter(make_failures(), secret_key=SECRET, per_client=3, window=WINDOW, clock=clock)
        for _ in range(2)
    )
    for number in range(3):
        one.check("203.0.113.7", f"{CODE}{number}")
        one.fail("203.0.113.7", f"{CODE}{number}")
        clock.now += 1

    with pytest.raises(RateLimitedError):
        other.check("203.0.113.7", CODE)
    other.check("203.0.113.8", CODE)  # another client is not limited
    clock.now = NOW + WINDOW + 0.5  # the first failure is out of the window
    other.check("203.0.113.7", CODE)


def test_a_code_past_its_allowance_is_refused_to_every_client_until_the_window_passes(
    make_failures,
):
    """Many addresses guessing one dossier's secret: each stays under its own allowance, the
    code's stops them all (and its holder too, for the window: the price, docs/lifecycle.md)."""
    clock = Clock()
    limiter = FailureLimiter(
        make_failures(), secret_key=SECRET, per_client=3, per_code=5, window=WINDOW, clock=clock
    )
    for address in range(5):
        limiter.check(f"198.51.100.{address}", CODE)
        limiter.fail(f"198.51.100.{address}", CODE)
        clock.now += 1

    with pytest.raises(RateLimitedError):
        limiter.check("198.51.100.200", CODE)
    limiter.check("198.51.100.200", CODE[:-1] + "3")  # another code is not limited
    clock.now = NOW + WINDOW + 0.5
    limiter.check("198.51.100.200", CODE)


def test_the_whole_site_past_its_allowance_refuses_every_lookup(make_failures):
    """Guesses spread over many codes from many addresses: the overall allowance bounds them."""
    clock = Clock()
    limiter = FailureLimiter(
        make_failures(), secret_key=SECRET, per_code=2, overall=6, window=WINDOW, clock=clock
    )
    for number in range(6):
        limiter.check(f"192.0.2.{number}", f"{CODE}{number}")
        limiter.fail(f"192.0.2.{number}", f"{CODE}{number}")

    with pytest.raises(RateLimitedError):
        limiter.check("192.0.2.100", CODE[:-1] + "9")
    clock.now = NOW + WINDOW + 0.5
    limiter.check("192.0.2.100", CODE[:-1] + "9")


def test_the_store_holds_hmacs_of_the_address_and_the_code_never_either(failures):
    limiter = FailureLimiter(failures, secret_key=SECRET, clock=Clock())

    limiter.fail("203.0.113.7", CODE)

    client, code = limiter.client_id("203.0.113.7"), limiter.code_id(CODE)
    assert "203.0.113.7" not in client and CODE not in code
    assert failures.count(client, 0.0) == failures.count(code, 0.0) == 1
    assert failures.count(FailureLimiter.OVERALL, 0.0) == 1
    assert failures.count("203.0.113.7", 0.0) == failures.count(CODE, 0.0) == 0
    other_key = FailureLimiter(failures, secret_key=b"another-secret-key-of-32-bytes!!")
    assert other_key.client_id("203.0.113.7") != client
    assert other_key.code_id(CODE) != code


# Several processes guessing at once

ALLOWED = 10
PROCESSES = 4
GUESSES_EACH = 8


def _guess(make_failures, barrier, results) -> None:
    """One process (or container) guessing: each lookup is checked, then fails."""
    try:
        limiter = FailureLimiter(make_failures(), secret_key=SECRET, per_client=ALLOWED)
        barrier.wait()
        for _ in range(GUESSES_EACH):
            try:
                limiter.check("198.51.100.1", CODE)
            except RateLimitedError:
                results.put("refused")
                continue
            limiter.fail("198.51.100.1", CODE)
            results.put("answered")
        limiter.failures.close()
    except Exception as error:  # reported to the test, which names it
        results.put(repr(error))


@pytest.mark.slow  # forks processes
def test_processes_guessing_at_once_get_the_allowance_plus_at_most_one_each_in_flight(
    make_failures, request
):
    """Each process has one guess in flight at a time, so the documented bound (allowed + k - 1
    for k in flight) is ALLOWED + PROCESSES - 1 answered guesses in all, never 1/N or N times."""
    on_aws = request.node.callspec.params["make_failures"] == "aws"
    if on_aws:  # containers: threads, each with its own client (moto runs in this process)
        import queue

        barrier, results = threading.Barrier(PROCESSES), queue.Queue()
        workers = [
            threading.Thread(target=_guess, args=(make_failures, barrier, results))
            for _ in range(PROCESSES)
        ]
    else:
        context = multiprocessing.get_context("fork")
        barrier, results = context.Barrier(PROCESSES), context.Queue()
        workers = [
            context.Process(target=_guess, args=(make_failures, barrier, results))
            for _ in range(PROCESSES)
        ]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=120) for _ in range(PROCESSES * GUESSES_EACH)]
    for worker in workers:
        worker.join(timeout=60)

    assert set(answers) <= {"answered", "refused"}, answers
    answered = answers.count("answered")
    assert ALLOWED <= answered <= ALLOWED + PROCESSES - 1
