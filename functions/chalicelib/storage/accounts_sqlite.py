"""Officers' accounts, sessions and sign-in attempts in one SQLite file (var/officers.sqlite3).

The same conventions as the dossiers' adapter (storage/sqlite.py): WAL, a busy timeout, one
connection per thread, every sqlite3 error wrapped in StorageError. Writes are rare here (a
sign-in, a session touched once a minute), so they simply queue on SQLite's own lock with
`BEGIN IMMEDIATE`, which is taken before the first read: counting the failures of a username and
recording a new attempt is one serialised step across all of serve.py's processes.
"""

import json
import sqlite3
from pathlib import Path

from chalicelib.storage.accounts import (
    SESSION_COLUMNS,
    Account,
    Limits,
    Session,
    UsernameTakenError,
)

# The dossiers' adapter's connection settings and error wrapping, shared inside this package.
from chalicelib.storage.sqlite_connections import ThreadConnections, create_schema, wrapped

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    offices TEXT NOT NULL,
    created_at REAL NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_account ON sessions (account_id);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_username ON attempts (username, at);
CREATE INDEX IF NOT EXISTS attempts_by_client ON attempts (client, at);
CREATE INDEX IF NOT EXISTS attempts_by_time ON attempts (at);
"""
ACCOUNT_COLUMNS = "id, username, name, password_hash, roles, offices, created_at, disabled"


class SqliteAccounts:
    """`Accounts` on a SQLite file, safe to share between threads and processes."""

    def __init__(self, path: Path):
        self._connections = ThreadConnections(Path(path))
        create_schema(self._connections, SCHEMA)

    def add(self, account: Account) -> None:
        with self._connections.transaction() as db:
            try:
                db.execute(
                    f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    _account_row(account),
                )
            except sqlite3.IntegrityError:  # the UNIQUE username (ids are random)
                raise UsernameTakenError(account.username) from None

    def by_username(self, username: str) -> Account | None:
        return self._account("username", username)

    def by_id(self, account_id: str) -> Account | None:
        return self._account("id", account_id)

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        with self._connections.transaction() as db:
            db.execute(
                "UPDATE accounts SET password_hash = ? WHERE id = ?", (password_hash, account_id)
            )

    def disable(self, username: str) -> Account | None:
        with self._connections.transaction() as db:
            row = db.execute(
                f"UPDATE accounts SET disabled = 1 WHERE username = ? RETURNING {ACCOUNT_COLUMNS}",
                (username,),
            ).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM sessions WHERE account_id = ?", (row[0],))
        return _account(row)

    def open_session(self, session: Session) -> None:
        with self._connections.transaction() as db:
            db.execute(
                f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?)", session.row()
            )
            # Sessions that ended on their own are never read again.
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (session.created_at,))

    def session(self, token_hash: str) -> Session | None:
        with wrapped():
            row = (
                self._connections.get()
                .execute(
                    f"SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?", (token_hash,)
                )
                .fetchone()
            )
        return None if row is None else Session(*row)

    def touch_session(self, token_hash: str, last_seen: float) -> None:
        with self._connections.transaction() as db:
            db.execute(
                "UPDATE sessions SET last_seen = max(last_seen, ?) WHERE token_hash = ?",
                (last_seen, token_hash),
            )

    def close_session(self, token_hash: str) -> None:
        with self._connections.transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def begin_attempt(self, username: str, client: str, at: float, limits: Limits) -> int | None:
        with self._connections.transaction() as db:
            db.execute("DELETE FROM attempts WHERE at <= ?", (limits.since,))
            (by_username,) = db.execute(
                "SELECT count(*) FROM attempts WHERE username = ? AND at > ?",
                (username, limits.since),
            ).fetchone()
            (by_client,) = db.execute(
                "SELECT count(*) FROM attempts WHERE client = ? AND at > ?",
                (client, limits.since),
            ).fetchone()
            if by_username >= limits.per_username or by_client >= limits.per_client:
                return None
            (attempt,) = db.execute(
                "INSERT INTO attempts (username, client, at) VALUES (?, ?, ?) RETURNING id",
                (username, client, at),
            ).fetchone()
        return int(attempt)

    def succeeded(self, attempt: int, username: str) -> None:
        with self._connections.transaction() as db:
            db.execute("DELETE FROM attempts WHERE id = ? OR username = ?", (attempt, username))

    def remove_stale(
        self, *, now: float, idle_since: float, attempts_before: float, dry_run: bool = False
    ) -> tuple[int, int]:
        sessions = ("sessions", "expires_at < ? OR last_seen < ?", (now, idle_since))
        attempts = ("attempts", "at < ?", (attempts_before,))
        counts = []
        with self._connections.transaction() as db:
            for table, where, params in (sessions, attempts):
                if dry_run:
                    row = db.execute(f"SELECT count(*) FROM {table} WHERE {where}", params)
                    counts.append(int(row.fetchone()[0]))
                else:
                    counts.append(db.execute(f"DELETE FROM {table} WHERE {where}", params).rowcount)
        return counts[0], counts[1]

    def close(self) -> None:
        """Closes every connection any thread opened (tests and server shutdown)."""
        self._connections.close()

    def _account(self, column: str, value: str) -> Account | None:
        with wrapped():
            row = (
                self._connections.get()
                .execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {column} = ?", (value,))
                .fetchone()
            )
        return None if row is None else _account(row)


def _account_row(account: Account) -> tuple[object, ...]:
    return (
        account.id,
        account.username,
        account.name,
        account.password_hash,
        json.dumps(sorted(account.roles)),
        json.dumps(sorted(account.offices)),
        account.created_at,
        int(account.disabled),
    )


def _account(row: tuple[object, ...]) -> Account:
    identifier, username, name, password_hash, roles, offices, created_at, disabled = row
    return Account(
        id=str(identifier),
        username=str(username),
        name=str(name),
        password_hash=str(password_hash),
        roles=frozenset(json.loads(str(roles))),
        offices=frozenset(json.loads(str(offices))),
        created_at=float(str(created_at)),
        disabled=bool(disabled),
    )
