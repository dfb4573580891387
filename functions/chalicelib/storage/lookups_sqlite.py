"""Failed status lookups in their own SQLite file (var/lookup-failures.sqlite3), shared by
serve.py's worker processes: the embedded target's LookupFailures (ports.py).

A file of its own, so that a spray of failed lookups never queues behind (or in front of) the
dossiers' writers on motcua.sqlite3's lock. One row per failure; `count` is one read of the
(client, at) index; `add` inserts and deletes every failure whose window has passed (the `at`
index), so the table holds at most the failures of one window.
"""

from pathlib import Path

from chalicelib.storage.sqlite_connections import ThreadConnections, create_schema, wrapped

SCHEMA = """
CREATE TABLE IF NOT EXISTS lookup_failures (client TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS lookup_failures_by_client ON lookup_failures (client, at);
CREATE INDEX IF NOT EXISTS lookup_failures_by_time ON lookup_failures (at);
"""


class SqliteLookupFailures:
    """`LookupFailures` on a SQLite file, safe to share between threads and processes."""

    def __init__(self, path: Path):
        self._connections = ThreadConnections(Path(path))
        create_schema(self._connections, SCHEMA)

    def count(self, client: str, since: float) -> int:
        with wrapped():
            (count,) = (
                self._connections.get()
                .execute(
                    "SELECT count(*) FROM lookup_failures WHERE client = ? AND at > ?",
                    (client, since),
                )
                .fetchone()
            )
        return int(count)

    def add(self, client: str, at: float, window: float) -> None:
        with self._connections.transaction() as db:
            db.execute("INSERT INTO lookup_failures (client, at) VALUES (?, ?)", (client, at))
            db.execute("DELETE FROM lookup_failures WHERE at <= ?", (at - window,))

    def prune(self, before: float, *, dry_run: bool = False) -> int:
        with self._connections.transaction() as db:
            if dry_run:
                (count,) = db.execute(
                    "SELECT count(*) FROM lookup_failures WHERE at <= ?", (before,)
                ).fetchone()
                return int(count)
            return int(db.execute("DELETE FROM lookup_failures WHERE at <= ?", (before,)).rowcount)

    def close(self) -> None:
        """Closes every connection any thread opened (tests and server shutdown)."""
        self._connections.close()
