"""The outbox in the dossiers' SQLite file (storage/sqlite.py writes a change's deliveries in the
change's own transaction with `insert`); `SqliteOutbox` is the worker's and the back office's
side. One writer at a time (`BEGIN IMMEDIATE`), so a claim reads and leases its rows as one step.
The recipient and the template's data are sealed like the dossier's body, bound to the
delivery's id."""

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from chalicelib.sealing import Sealer
from chalicelib.storage.ports import Delivery, delivery_body, delivery_from_row
from chalicelib.storage.sqlite_connections import (
    BUSY_TIMEOUT_MS,
    ThreadConnections,
    create_schema,
    wrapped,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    office TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    next_at REAL NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at REAL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_at);
CREATE INDEX IF NOT EXISTS outbox_by_office ON outbox (office, state, created_at);
CREATE INDEX IF NOT EXISTS outbox_by_code ON outbox (code);
"""
COLUMNS = (
    "id, code, office, kind, channel, body, created_at, next_at, state, attempts, last_error,"
    " sent_at"
)
_INSERT = f"INSERT INTO outbox ({COLUMNS}) VALUES ({', '.join(['?'] * 12)})"


def create(db: sqlite3.Connection) -> None:
    """The outbox's tables, in the caller's transaction (SqliteDossiers' startup)."""
    for statement in SCHEMA.split(";"):
        db.execute(statement)


def insert(db: sqlite3.Connection, deliveries: Sequence[Delivery], sealer: Sealer | None) -> None:
    """Writes new deliveries in the caller's transaction."""
    db.executemany(
        _INSERT,
        [
            (
                d.id,
                d.code,
                d.office,
                d.kind,
                d.channel,
                _seal(sealer, delivery_body(d), d.id),
                d.created_at,
                d.next_at,
                d.state,
                d.attempts,
                d.last_error,
                d.sent_at,
            )
            for d in deliveries
        ],
    )


def _seal(sealer: Sealer | None, text: str, delivery_id: str) -> str | bytes:
    return text if sealer is None else sealer.seal_text(text, f"outbox/{delivery_id}")


def _delivery(row: Sequence[Any], sealer: Sealer | None) -> Delivery:
    id_, body = row[0], row[5]
    text = body if sealer is None else sealer.open_text(body, f"outbox/{id_}")
    return delivery_from_row(row, json.loads(text))


class SqliteOutbox:
    """`Outbox` on the dossiers' SQLite file (`var/motcua.sqlite3`), opened with the same data
    key as SqliteDossiers."""

    def __init__(
        self, path: Path, *, sealer: Sealer | None = None, wait: float = BUSY_TIMEOUT_MS / 1000
    ):
        self._sealer = sealer
        self._wait = wait
        self._connections = ThreadConnections(Path(path), wait=wait)
        create_schema(self._connections, SCHEMA)

    def claim(
        self, now: float, *, channels: Sequence[str], limit: int, lease: float
    ) -> list[Delivery]:
        marks = ", ".join("?" * len(channels))
        with self._connections.transaction(time.monotonic() + self._wait) as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM outbox WHERE state = 'pending' AND next_at <= ?"
                f" AND channel IN ({marks}) ORDER BY next_at LIMIT ?",
                (now, *channels, limit),
            ).fetchall()
            db.executemany(
                "UPDATE outbox SET next_at = ?, attempts = attempts + 1 WHERE id = ?",
                [(now + lease, row[0]) for row in rows],
            )
        return [
            replace(delivery, next_at=now + lease, attempts=delivery.attempts + 1)
            for delivery in (_delivery(row, self._sealer) for row in rows)
        ]

    def sent(self, delivery_id: str, at: float) -> None:
        with self._connections.transaction(time.monotonic() + self._wait) as db:
            db.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ? WHERE id = ? AND state != 'sent'",
                (at, delivery_id),
            )

    def failed(self, delivery_id: str, *, error: str, retry_at: float | None) -> None:
        with self._connections.transaction(time.monotonic() + self._wait) as db:
            db.execute(
                "UPDATE outbox SET state = ?, next_at = coalesce(?, next_at), last_error = ?"
                " WHERE id = ? AND state = 'pending'",
                ("pending" if retry_at is not None else "failed", retry_at, error, delivery_id),
            )

    def retry(self, delivery_id: str, now: float) -> bool:
        with self._connections.transaction(time.monotonic() + self._wait) as db:
            changed = db.execute(
                "UPDATE outbox SET state = 'pending', next_at = ?, attempts = 0"
                " WHERE id = ? AND state != 'sent'",
                (now, delivery_id),
            ).rowcount
        return bool(changed)

    def get(self, delivery_id: str) -> Delivery | None:
        with wrapped():
            row = (
                self._connections.get()
                .execute(f"SELECT {COLUMNS} FROM outbox WHERE id = ?", (delivery_id,))
                .fetchone()
            )
        return None if row is None else _delivery(row, self._sealer)

    def of_offices(
        self, offices: Sequence[str], *, states: Sequence[str], limit: int
    ) -> list[Delivery]:
        office_marks, state_marks = ", ".join("?" * len(offices)), ", ".join("?" * len(states))
        with wrapped():
            rows = (
                self._connections.get()
                .execute(
                    f"SELECT {COLUMNS} FROM outbox WHERE office IN ({office_marks})"
                    f" AND state IN ({state_marks}) ORDER BY created_at, id LIMIT ?",
                    (*offices, *states, limit),
                )
                .fetchall()
            )
        return [_delivery(row, self._sealer) for row in rows]

    def close(self) -> None:
        self._connections.close()
