"""The outbox in the dossiers' PostgreSQL database (migration 0006): storage/postgres.py writes a
change's deliveries in the change's transaction with `insert`; `PostgresOutbox` is the workers'
and the back office's side. A claim is one statement: it picks due rows with
`FOR UPDATE SKIP LOCKED` (workers on several machines skip each other's rows instead of waiting)
and leases them in the same UPDATE."""

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

# The module, not its names: postgres.py imports this one to write deliveries.
from chalicelib.storage import postgres
from chalicelib.storage.ports import Delivery, delivery_from_row

COLUMNS = (
    "id, code, office, kind, channel, body, created_at, next_at, state, attempts, last_error,"
    " sent_at"
)
_INSERT = f"INSERT INTO outbox ({COLUMNS}) VALUES ({', '.join(['%s'] * 12)})"


def insert(conn: psycopg.Connection[Any], deliveries: Sequence[Delivery]) -> None:
    """Writes new deliveries in the caller's transaction."""
    if not deliveries:
        return
    with conn.cursor() as cursor:
        cursor.executemany(
            _INSERT,
            [
                (
                    d.id,
                    d.code,
                    d.office,
                    d.kind,
                    d.channel,
                    Jsonb({"to": d.to, "data": d.data}),
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


def _delivery(row: Sequence[Any]) -> Delivery:
    return delivery_from_row(row, row[5])  # the body is jsonb: read as a dict


class PostgresOutbox:
    """`Outbox` on the dossiers' PostgreSQL database, shared by every worker on every machine."""

    def __init__(self, conninfo: str, *, wait: float | None = None):
        self._pool = postgres.Pool(conninfo, wait=wait)
        postgres.require_migrated(self._pool)

    def claim(
        self, now: float, *, channels: Sequence[str], limit: int, lease: float
    ) -> list[Delivery]:
        with self._pool.connection() as conn, postgres.wrapped():
            rows = conn.execute(
                f"UPDATE outbox SET next_at = %s, attempts = attempts + 1 WHERE id IN ("
                " SELECT id FROM outbox WHERE state = 'pending' AND next_at <= %s"
                " AND channel = ANY(%s) ORDER BY next_at LIMIT %s FOR UPDATE SKIP LOCKED)"
                f" RETURNING {COLUMNS}",
                (now + lease, now, list(channels), limit),
            ).fetchall()
        return sorted((_delivery(row) for row in rows), key=lambda d: (d.created_at, d.id))

    def sent(self, delivery_id: str, at: float) -> None:
        with self._pool.connection() as conn, postgres.wrapped():
            conn.execute(
                "UPDATE outbox SET state = 'sent', sent_at = %s WHERE id = %s AND state != 'sent'",
                (at, delivery_id),
            )

    def failed(self, delivery_id: str, *, error: str, retry_at: float | None) -> None:
        with self._pool.connection() as conn, postgres.wrapped():
            conn.execute(
                "UPDATE outbox SET state = %s, next_at = coalesce(%s, next_at), last_error = %s"
                " WHERE id = %s AND state = 'pending'",
                ("pending" if retry_at is not None else "failed", retry_at, error, delivery_id),
            )

    def retry(self, delivery_id: str, now: float) -> bool:
        with self._pool.connection() as conn, postgres.wrapped():
            cursor = conn.execute(
                "UPDATE outbox SET state = 'pending', next_at = %s, attempts = 0"
                " WHERE id = %s AND state != 'sent'",
                (now, delivery_id),
            )
            return cursor.rowcount > 0

    def get(self, delivery_id: str) -> Delivery | None:
        with self._pool.connection() as conn, postgres.wrapped():
            row = conn.execute(
                f"SELECT {COLUMNS} FROM outbox WHERE id = %s", (delivery_id,)
            ).fetchone()
        return None if row is None else _delivery(row)

    def of_offices(
        self, offices: Sequence[str], *, states: Sequence[str], limit: int
    ) -> list[Delivery]:
        with self._pool.connection() as conn, postgres.wrapped():
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM outbox WHERE office = ANY(%s) AND state = ANY(%s)"
                " ORDER BY created_at, id LIMIT %s",
                (list(offices), list(states), limit),
            ).fetchall()
        return [_delivery(row) for row in rows]

    def close(self) -> None:
        self._pool.close()
