"""Failed status lookups in PostgreSQL, shared by a province's app processes: the province
target's LookupFailures (ports.py), in the table of migration 0003_lookup_failures.sql.

One row per failure; `count` is one read of the (client, at) index; `add` inserts and deletes
every failure whose window has passed (the `at` index), so the table holds at most one window's.
"""

from chalicelib.storage.postgres import Pool, require_migrated, wrapped


class PostgresLookupFailures:
    """`LookupFailures` on a PostgreSQL database, safe to share between threads and processes."""

    def __init__(self, conninfo: str):
        self._pool = Pool(conninfo)
        require_migrated(self._pool)

    def count(self, client: str, since: float) -> int:
        with self._pool.connection() as conn, wrapped():
            row = conn.execute(
                "SELECT count(*) FROM lookup_failures WHERE client = %s AND at > %s",
                (client, since),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def add(self, client: str, at: float, window: float) -> None:
        with self._pool.connection() as conn, wrapped(), conn.transaction():
            conn.execute("INSERT INTO lookup_failures (client, at) VALUES (%s, %s)", (client, at))
            conn.execute("DELETE FROM lookup_failures WHERE at <= %s", (at - window,))

    def prune(self, before: float, *, dry_run: bool = False) -> int:
        with self._pool.connection() as conn, wrapped(), conn.transaction():
            if dry_run:
                row = conn.execute(
                    "SELECT count(*) FROM lookup_failures WHERE at <= %s", (before,)
                ).fetchone()
                assert row is not None
                return int(row[0])
            return conn.execute("DELETE FROM lookup_failures WHERE at <= %s", (before,)).rowcount

    def close(self) -> None:
        """Closes every connection (tests and server shutdown)."""
        self._pool.close()
