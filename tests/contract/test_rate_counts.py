"""Request counts per key and window (ports.RateCounts), in the store every app process shares:
SQLite (serve.py's workers), PostgreSQL (a province's app servers) and DynamoDB (Lambda
containers; moto over HTTP). ratelimit.RateLimiter on top: per client, then for everyone, with
the seconds to wait; a client over its own limit does not use up everyone's."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chalicelib.errors import RateLimitedError
from chalicelib.ratelimit import SUBMIT, UPLOAD, Limit, RateLimiter
from chalicelib.storage.ports import RateCounts
from chalicelib.storage.rates_dynamo import DynamoRateCounts
from chalicelib.storage.rates_postgres import PostgresRateCounts
from chalicelib.storage.rates_sqlite import SqliteRateCounts

from .conftest import AWS, POSTGRES, shared_store

SECRET = b"rate-counts-contract-secret-key"
NOW = 1_800_000_000.0


@pytest.fixture(params=["embedded", POSTGRES, AWS])
def make_counts(request, tmp_path: Path) -> Iterator[Callable[[], RateCounts]]:
    """Opens adapters on one store; each call is like another process sharing it."""
    yield from shared_store(
        request, tmp_path, SqliteRateCounts, PostgresRateCounts, DynamoRateCounts
    )


def test_hits_count_per_key_and_per_window(make_counts):
    counts = make_counts()
    assert [counts.hit("submit:a", NOW, 60) for _ in range(3)] == [1, 2, 3]
    assert counts.hit("submit:b", NOW, 60) == 1
    assert counts.hit("upload:a", NOW, 60) == 1
    assert counts.hit("submit:a", NOW + 60, 60) == 1  # the next window starts again


def test_processes_sharing_the_store_count_together_and_lose_no_hit(make_counts):
    stores = [make_counts() for _ in range(4)]

    def hit(number: int) -> int:
        return stores[number % 4].hit("submit:*", NOW, 60)

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = sorted(pool.map(hit, range(80)))
    assert seen == list(range(1, 81))


def test_a_new_window_deletes_the_counts_of_windows_that_ended(tmp_path):
    counts = SqliteRateCounts(tmp_path / "rates.sqlite3")
    try:
        for client in range(50):
            counts.hit(f"submit:{client}", NOW, 60)
        counts.hit("submit:new", NOW + 60, 60)
        rows = counts._connections.get().execute("SELECT count(*) FROM rate_counts").fetchone()
        assert rows == (1,)  # only the current window's key is left
    finally:
        counts.close()


def limiter(counts: RateCounts, clock: list[float], **limits: Limit) -> RateLimiter:
    return RateLimiter(counts, secret_key=SECRET, limits=limits, clock=lambda: clock[0])


def test_a_client_past_its_limit_is_refused_until_the_window_ends(make_counts):
    clock = [NOW + 15.2]  # 44.8 s before the window (aligned on the minute) ends
    limits = limiter(make_counts(), clock, submit=Limit(per_client=3, overall=100))
    for _ in range(3):
        limits.check(SUBMIT, "203.0.113.7")
    with pytest.raises(RateLimitedError) as refused:
        limits.check(SUBMIT, "203.0.113.7")
    assert refused.value.retry_after == 45 and "45 giây" in refused.value.message
    limits.check(SUBMIT, "203.0.113.8")  # another client is not touched
    limits.check(UPLOAD, "203.0.113.7")  # nor another action (no limit set for it here)
    clock[0] = NOW + 60
    limits.check(SUBMIT, "203.0.113.7")


def test_everyone_together_is_limited_and_a_greedy_client_does_not_use_it_up(make_counts):
    clock = [NOW]
    limits = limiter(make_counts(), clock, upload=Limit(per_client=2, overall=5))
    for _ in range(10):  # one client hammering: 2 counted for everyone, 8 refused on its own
        try:
            limits.check(UPLOAD, "198.51.100.1")
        except RateLimitedError as error:
            assert "từ địa chỉ của bạn" in error.message
    for client in ("198.51.100.2", "198.51.100.3", "198.51.100.4"):
        limits.check(UPLOAD, client)
    with pytest.raises(RateLimitedError) as refused:
        limits.check(UPLOAD, "198.51.100.5")
    assert "Hệ thống đang nhận quá nhiều" in refused.value.message
    assert refused.value.retry_after == 60


def test_clients_are_kept_as_an_hmac_and_an_ipv6_client_is_its_slash_64(tmp_path):
    counts = SqliteRateCounts(tmp_path / "rates.sqlite3")
    try:
        limits = limiter(counts, [NOW], submit=Limit(per_client=1, overall=0))
        limits.check(SUBMIT, "2001:db8:1:2::1")
        with pytest.raises(RateLimitedError):
            limits.check(SUBMIT, "2001:db8:1:2:ffff::9")  # the same /64
        limits.check(SUBMIT, "2001:db8:1:3::1")
        keys = [row[0] for row in counts._connections.get().execute("SELECT key FROM rate_counts")]
        assert not any("2001" in key for key in keys), keys
    finally:
        counts.close()
