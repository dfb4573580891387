"""Officers' accounts, sessions and sign-in attempts in PostgreSQL: the province target, where
several app processes on several machines share one database (the tables come from
migrations/postgres/0002_accounts.sql, applied by the migrate command like the dossiers').

`begin_attempt` locks the attempts table in SHARE ROW EXCLUSIVE mode, which conflicts with
itself: the attempts of every process queue there, as SQLite's `BEGIN IMMEDIATE` queues them on
the embedded target, so counting the failures and recording the new attempt is one step. Sign-ins
are rare; the lock is held for two index counts and an insert.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from chalicelib.storage.accounts import (
    SESSION_COLUMNS,
    Account,
    Limits,
    Session,
    UsernameTakenError,
)
from chalicelib.storage.postgres import Pool, require_migrated, wrapped

ACCOUNT_COLUMNS = "id, username, name, password_hash, roles, offices, created_at, disabled"


class PostgresAccounts:
    """`Accounts` on a PostgreSQL database, safe to share between threads and processes."""

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self._pool = Pool(conninfo)
        require_migrated(self._pool)

    def add(self, account: Account) -> None:
        with self._transaction() as conn:
            try:
                conn.execute(
                    f"INSERT INTO accounts ({ACCOUNT_COLUMNS})"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        account.id,
                        account.username,
                        account.name,
                        account.password_hash,
                        sorted(account.roles),
                        sorted(account.offices),
                        account.created_at,
                        account.disabled,
                    ),
                )
            except psycopg.errors.UniqueViolation:  # the UNIQUE username (ids are random)
                # Not a psycopg error any more, so the transaction rolls back and no 503 is made.
                raise UsernameTakenError(account.username) from None

    def by_username(self, username: str) -> Account | None:
        return self._account("username", username)

    def by_id(self, account_id: str) -> Account | None:
        return self._account("id", account_id)

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE accounts SET password_hash = %s WHERE id = %s", (password_hash, account_id)
            )

    def disable(self, username: str) -> Account | None:
        with self._transaction() as conn:
            row = conn.execute(
                f"UPDATE accounts SET disabled = true WHERE username = %s"
                f" RETURNING {ACCOUNT_COLUMNS}",
                (username,),
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM sessions WHERE account_id = %s", (row[0],))
        return _account(row)

    def open_session(self, session: Session) -> None:
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (%s, %s, %s, %s, %s)",
                session.row(),
            )
            # Sessions that ended on their own are never read again.
            conn.execute("DELETE FROM sessions WHERE expires_at < %s", (session.created_at,))

    def session(self, token_hash: str) -> Session | None:
        with self._pool.connection() as conn, wrapped():
            row = conn.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = %s", (token_hash,)
            ).fetchone()
        return None if row is None else Session(*row)

    def touch_session(self, token_hash: str, last_seen: float) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE sessions SET last_seen = greatest(last_seen, %s) WHERE token_hash = %s",
                (last_seen, token_hash),
            )

    def close_session(self, token_hash: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = %s", (token_hash,))

    def begin_attempt(self, username: str, client: str, at: float, limits: Limits) -> int | None:
        with self._transaction() as conn:
            conn.execute("LOCK TABLE attempts IN SHARE ROW EXCLUSIVE MODE")
            conn.execute("DELETE FROM attempts WHERE at <= %s", (limits.since,))
            row = conn.execute(
                "SELECT (SELECT count(*) FROM attempts WHERE username = %s AND at > %s),"
                " (SELECT count(*) FROM attempts WHERE client = %s AND at > %s)",
                (username, limits.since, client, limits.since),
            ).fetchone()
            assert row is not None
            by_username, by_client = row
            if by_username >= limits.per_username or by_client >= limits.per_client:
                return None
            inserted = conn.execute(
                "INSERT INTO attempts (username, client, at) VALUES (%s, %s, %s) RETURNING id",
                (username, client, at),
            ).fetchone()
        assert inserted is not None
        return int(inserted[0])

    def succeeded(self, attempt: int, username: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM attempts WHERE id = %s OR username = %s", (attempt, username))

    def remove_stale(
        self, *, now: float, idle_since: float, attempts_before: float, dry_run: bool = False
    ) -> tuple[int, int]:
        sessions = ("sessions", "expires_at < %s OR last_seen < %s", (now, idle_since))
        attempts = ("attempts", "at < %s", (attempts_before,))
        counts = []
        with self._transaction() as conn:
            for table, where, params in (sessions, attempts):
                if dry_run:
                    row = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params)
                    found = row.fetchone()
                    assert found is not None
                    counts.append(int(found[0]))
                else:
                    counts.append(
                        conn.execute(f"DELETE FROM {table} WHERE {where}", params).rowcount
                    )
        return counts[0], counts[1]

    def close(self) -> None:
        """Closes every connection (a command's end, tests, server shutdown)."""
        self._pool.close()

    def _account(self, column: str, value: str) -> Account | None:
        with self._pool.connection() as conn, wrapped():
            row = conn.execute(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {column} = %s", (value,)
            ).fetchone()
        return None if row is None else _account(row)

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction: COMMIT if the block finishes, ROLLBACK on any exception."""
        with self._pool.connection() as conn, wrapped(), conn.transaction():
            yield conn


def _account(row: tuple[Any, ...]) -> Account:
    identifier, username, name, password_hash, roles, offices, created_at, disabled = row
    return Account(
        id=identifier,
        username=username,
        name=name,
        password_hash=password_hash,
        roles=frozenset(roles),
        offices=frozenset(offices),
        created_at=float(created_at),
        disabled=bool(disabled),
    )
