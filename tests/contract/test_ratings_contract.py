"""One rating per dossier (ports.Ratings), in the store every app process shares: SQLite (sealed
comment; serve.py's workers), PostgreSQL (a province's app servers) and DynamoDB (Lambda
containers; moto over HTTP). The store itself refuses a second rating, even when several
processes rate the same dossier at once."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from chalicelib.errors import AlreadyRatedError
from chalicelib.storage.ports import Rating, Ratings
from chalicelib.storage.ratings_dynamo import DynamoRatings
from chalicelib.storage.ratings_postgres import PostgresRatings
from chalicelib.storage.ratings_sqlite import SqliteRatings

from .conftest import AWS, POSTGRES, SEALER, shared_store

ANSWERS = {"tong_the": "hai_long", "thoi_gian": "rat_hai_long", "can_bo": "hai_long"}


@pytest.fixture(params=["embedded", POSTGRES, AWS])
def make_ratings(request, tmp_path: Path) -> Iterator[Callable[[], Ratings]]:
    """Opens adapters on one store; each call is like another process sharing it."""
    yield from shared_store(
        request, tmp_path, partial(SqliteRatings, sealer=SEALER), PostgresRatings, DynamoRatings
    )


def rating(code: str = "11383.HCC-261207-0001", **overrides) -> Rating:
    values = {
        "code": code,
        "office": "phuong-le-chan",
        "procedure": "1.001193",
        "at": "2026-12-07T10:00:00+07:00",
        "answers": ANSWERS,
        "comment": "Cán bộ hướng dẫn tận tình.",
    } | overrides
    return Rating(**values)


def test_a_rating_reads_back_as_written_and_is_listed_once(make_ratings):
    ratings = make_ratings()
    first, second = rating(), rating("11383.HCC-261207-0002", comment="")
    ratings.add(first)
    ratings.add(second)

    assert ratings.get(first.code) == first
    assert make_ratings().get(second.code) == second  # another process reads it
    assert ratings.get("11383.HCC-261207-0003") is None
    assert sorted(ratings.all(), key=lambda r: r.code) == [first, second]


def test_a_second_rating_of_a_dossier_is_refused_and_changes_nothing(make_ratings):
    ratings = make_ratings()
    ratings.add(rating())

    with pytest.raises(AlreadyRatedError):
        make_ratings().add(rating(answers={**ANSWERS, "tong_the": "khong_hai_long"}))
    assert ratings.get(rating().code) == rating()
    assert len(list(ratings.all())) == 1


def test_processes_rating_one_dossier_at_once_store_exactly_one(make_ratings):
    stores = [make_ratings() for _ in range(4)]
    levels = ["rat_hai_long", "hai_long", "khong_hai_long"]

    def rate(number: int) -> bool:
        try:
            stores[number % 4].add(rating(answers={**ANSWERS, "tong_the": levels[number % 3]}))
        except AlreadyRatedError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        stored = list(pool.map(rate, range(24)))
    assert stored.count(True) == 1
    (kept,) = stores[0].all()
    assert kept.answers["tong_the"] == levels[stored.index(True) % 3]


def test_deleting_ratings_deletes_those_of_the_codes_given_only(make_ratings):
    ratings = make_ratings()
    codes = [f"11383.HCC-261207-{n:04d}" for n in range(1, 31)]
    for code in codes:
        ratings.add(rating(code))

    assert ratings.delete([*codes[:27], "11383.HCC-261207-9999"]) == 27

    assert sorted(r.code for r in make_ratings().all()) == codes[27:]
    assert ratings.get(codes[0]) is None
    assert ratings.delete([]) == 0


def test_the_sqlite_adapter_keeps_the_comment_sealed_at_rest(tmp_path):
    ratings = SqliteRatings(tmp_path / "ratings.sqlite3", sealer=SEALER)
    try:
        ratings.add(rating())
        raw = (tmp_path / "ratings.sqlite3").read_bytes() + b"".join(
            p.read_bytes() for p in tmp_path.glob("ratings.sqlite3-wal")
        )
        assert "tận tình".encode() not in raw
        assert ratings.get(rating().code).comment == "Cán bộ hướng dẫn tận tình."
    finally:
        ratings.close()
