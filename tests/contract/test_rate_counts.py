"""Request counts per key and window (ports.RateCounts), in the store every app process shares:
a memory-mapped file (serve.py's workers), PostgreSQL (a province's app servers) and DynamoDB
(Lambda containers; moto over HTTP). ratelimit.RateLimiter on top: per client, then for everyone,
with the seconds to wait; a client over its own limit does not use up everyone's."""

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chalicelib.errors import RateLimitedError
from chalicelib.ratelimit import SUBMIT, UPLOAD, Limit, RateLimiter
from chalicelib.storage.ports import RateCounts
from chalicelib.storage.rates_dynamo import DynamoRateCounts
from chalicelib.storage.rates_mapped import MappedRateCounts
from chalicelib.storage.rates_postgres import PostgresRateCounts

from .conftest import AWS, POSTGRES, shared_store

SECRET = b"rate-counts-contract-secret-key"
NOW = 1_800_000_000.0


@pytest.fixture(params=["embedded", POSTGRES, AWS])
def make_counts(request, tmp_path: Path) -> Iterator[Callable[[], RateCounts]]:
    """Opens adapters on one store; each call is like another process sharing it."""
    yield from shared_store(
        request,
        tmp_path,
        lambda path: MappedRateCounts(path.with_name("rate-counts.bin")),
        PostgresRateCounts,
        DynamoRateCounts,
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


def test_processes_forked_with_the_counts_open_lose_no_hit(tmp_path):
    """serve.py's workers are forked: each must take the file's lock as its own process."""
    counts = MappedRateCounts(tmp_path / "rate-counts.bin")
    try:
        counts.hit("submit:*", NOW, 60)
        go, start = os.pipe()
        children = []
        for _ in range(3):
            pid = os.fork()
            if pid == 0:  # the child's code, reported by its exit status
                code = 0
                try:
                    os.close(start)
                    os.read(go, 1)  # all start together: returns when the parent closes its end
                    for _ in range(20_000):
                        counts.hit("submit:*", NOW, 60)
                except BaseException:
                    code = 1
                os._exit(code)
            children.append(pid)
        os.close(start)
        os.close(go)
        statuses = [os.waitpid(pid, 0)[1] for pid in children]
        assert statuses == [0, 0, 0]
        assert counts.hit("submit:*", NOW, 60) == 1 + 3 * 20_000 + 1
    finally:
        counts.close()


def test_slots_of_ended_windows_are_used_again(tmp_path):
    """A table of 64 slots counts 40 clients a window, window after window: without reuse it
    would be full by the second window and lose counts."""
    counts = MappedRateCounts(tmp_path / "rate-counts.bin", slots=64, probes=64)
    try:
        for window in range(20):
            start = NOW + 60 * window
            for client in range(40):
                key = f"submit:{window}-{client}"
                assert [counts.hit(key, start, 60), counts.hit(key, start, 60)] == [1, 2]
    finally:
        counts.close()


def test_a_full_neighbourhood_gives_up_the_count_that_ends_first_and_never_overcounts(tmp_path):
    counts = MappedRateCounts(tmp_path / "rate-counts.bin", slots=8, probes=8)
    try:
        for client in range(8):  # one-hour windows starting one minute apart fill the table
            assert counts.hit(f"upload:{client}", NOW + 60 * client, 3600) == 1
        assert counts.hit("upload:8", NOW + 480, 3600) == 1  # gives up client 0's count
        assert counts.hit("upload:1", NOW + 60, 3600) == 2  # the others keep theirs
        assert counts.hit("upload:0", NOW, 3600) == 1  # starts again: a few more let through
    finally:
        counts.close()


def test_a_file_that_is_not_a_table_of_counts_is_started_afresh(tmp_path):
    path = tmp_path / "rate-counts.bin"
    path.write_bytes(b"not a table" * 100)
    counts = MappedRateCounts(path, slots=16)
    try:
        assert counts.hit("submit:a", NOW, 60) == 1
    finally:
        counts.close()
    other = MappedRateCounts(path, slots=32)  # another size: not this table either
    try:
        assert other.hit("submit:a", NOW, 60) == 1
        assert path.stat().st_size == 16 + 32 * 32
    finally:
        other.close()


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
    path = tmp_path / "rate-counts.bin"
    counts = MappedRateCounts(path)
    try:
        limits = limiter(counts, [NOW], submit=Limit(per_client=1, overall=0))
        limits.check(SUBMIT, "2001:db8:1:2::1")
        with pytest.raises(RateLimitedError):
            limits.check(SUBMIT, "2001:db8:1:2:ffff::9")  # the same /64
        limits.check(SUBMIT, "2001:db8:1:3::1")
        client = limits.client_id("2001:db8:1:2::1")
    finally:
        counts.close()
    stored = path.read_bytes()
    assert b"2001" not in stored and client.encode() not in stored and b"submit" not in stored
