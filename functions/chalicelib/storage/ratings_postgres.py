"""Ratings in PostgreSQL, shared by a province's app processes: the province target's Ratings
(ports.py), in the table of migration 0007_ratings.sql. `code` is the primary key, so a second
rating of a dossier fails on the key (AlreadyRatedError), whichever process writes it."""

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from chalicelib.errors import AlreadyRatedError, StorageError
from chalicelib.storage.ports import Rating
from chalicelib.storage.postgres import Pool, require_migrated, wrapped

_COLUMNS = "code, office, procedure, at, answers, comment"


class PostgresRatings:
    """`Ratings` on a PostgreSQL database, safe to share between threads and processes."""

    def __init__(self, conninfo: str, *, wait: float | None = None):
        self._pool = Pool(conninfo, wait=wait)
        require_migrated(self._pool)

    def add(self, rating: Rating) -> None:
        row = (
            rating.code,
            rating.office,
            rating.procedure,
            rating.at,
            Jsonb(rating.answers),
            rating.comment,
        )
        with self._pool.connection() as conn:
            try:
                conn.execute(
                    f"INSERT INTO ratings ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)", row
                )
            except psycopg.errors.UniqueViolation:
                raise AlreadyRatedError() from None
            except psycopg.Error as error:
                raise StorageError() from error

    def get(self, code: str) -> Rating | None:
        with self._pool.connection() as conn, wrapped():
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM ratings WHERE code = %s", (code,)
            ).fetchone()
        return None if row is None else _rating(row)

    def all(self) -> Iterator[Rating]:
        with self._pool.connection() as conn, wrapped():
            rows = conn.execute(f"SELECT {_COLUMNS} FROM ratings").fetchall()
        for row in rows:
            yield _rating(row)

    def delete(self, codes: list[str]) -> int:
        with self._pool.connection() as conn, wrapped():
            return conn.execute("DELETE FROM ratings WHERE code = ANY(%s)", (codes,)).rowcount

    def close(self) -> None:
        """Closes every connection (tests and server shutdown)."""
        self._pool.close()


def _rating(row: tuple[Any, ...]) -> Rating:
    code, office, procedure, at, answers, comment = row
    return Rating(code, office, procedure, at, dict(answers), comment)
