"""Ratings in their own SQLite file (var/ratings.sqlite3), shared by serve.py's worker processes:
the embedded target's Ratings (ports.py). `code` is the primary key, so a second rating of a
dossier fails on the key whatever process writes it (AlreadyRatedError). The comment is free
text an applicant may fill with personal data: it is sealed like a dossier's body, bound to the
dossier's code (chalicelib/sealing.py)."""

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chalicelib.errors import AlreadyRatedError
from chalicelib.sealing import Sealer
from chalicelib.storage.ports import Rating
from chalicelib.storage.sqlite_connections import ThreadConnections, create_schema, wrapped

SCHEMA = """
CREATE TABLE IF NOT EXISTS ratings (
    code TEXT PRIMARY KEY,
    office TEXT NOT NULL,
    procedure TEXT NOT NULL,
    at TEXT NOT NULL,
    answers TEXT NOT NULL,
    comment BLOB NOT NULL
) WITHOUT ROWID;
"""
_COLUMNS = "code, office, procedure, at, answers, comment"


class SqliteRatings:
    """`Ratings` on a SQLite file, safe to share between threads and processes."""

    def __init__(self, path: Path, *, sealer: Sealer | None = None):
        self._connections = ThreadConnections(Path(path))
        self._sealer = sealer
        create_schema(self._connections, SCHEMA)

    def add(self, rating: Rating) -> None:
        comment: bytes | str = rating.comment
        if self._sealer is not None:
            comment = self._sealer.seal_text(rating.comment, _context(rating.code))
        row = (
            rating.code,
            rating.office,
            rating.procedure,
            rating.at,
            json.dumps(rating.answers, sort_keys=True),
            comment,
        )
        with self._connections.transaction() as db:
            try:
                db.execute(f"INSERT INTO ratings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", row)
            except sqlite3.IntegrityError:
                raise AlreadyRatedError() from None

    def get(self, code: str) -> Rating | None:
        with wrapped():
            row = (
                self._connections.get()
                .execute(f"SELECT {_COLUMNS} FROM ratings WHERE code = ?", (code,))
                .fetchone()
            )
        return None if row is None else self._rating(row)

    def all(self) -> Iterator[Rating]:
        with wrapped():
            rows = self._connections.get().execute(f"SELECT {_COLUMNS} FROM ratings").fetchall()
        for row in rows:
            yield self._rating(row)

    def delete(self, codes: list[str]) -> int:
        deleted = 0
        with self._connections.transaction() as db:
            for start in range(0, len(codes), 500):
                batch = codes[start : start + 500]
                marks = ", ".join("?" * len(batch))
                deleted += db.execute(
                    f"DELETE FROM ratings WHERE code IN ({marks})", batch
                ).rowcount
        return deleted

    def reseal(self) -> int:
        """Seals every comment again under the ring's first key (`motcua rotate-data-key`);
        how many ratings."""
        assert self._sealer is not None
        sealer = self._sealer
        with self._connections.transaction() as db:
            rows = db.execute("SELECT code, comment FROM ratings").fetchall()
            for code, comment in rows:
                text = sealer.open_text(comment, _context(code))
                db.execute(
                    "UPDATE ratings SET comment = ? WHERE code = ?",
                    (sealer.seal_text(text, _context(code)), code),
                )
        return len(rows)

    def close(self) -> None:
        """Closes every connection any thread opened (tests and server shutdown)."""
        self._connections.close()

    def _rating(self, row: tuple[Any, ...]) -> Rating:
        code, office, procedure, at, answers, comment = row
        if self._sealer is not None:
            comment = self._sealer.open_text(comment, _context(code))
        return Rating(code, office, procedure, at, json.loads(answers), str(comment))


def _context(code: str) -> str:
    return f"rating:{code}"
