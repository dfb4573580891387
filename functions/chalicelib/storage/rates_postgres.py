"""Request counts per key and window in PostgreSQL, shared by a province's app processes: the
province target's RateCounts (ports.py), in the table of migration 0004_rate_counts.sql.

One row per (key, window); `hit` is one upsert that returns the new count (the row's lock makes
concurrent hits of one key count one after the other). A window's first hit of a key also
deletes the rows of windows that ended, so the table holds about one window's keys.
"""

from chalicelib.storage.postgres import Pool, require_migrated, wrapped

HIT = """INSERT INTO rate_counts (key, window_start, expires, n) VALUES (%s, %s, %s, 1)
ON CONFLICT (key, window_start) DO UPDATE SET n = rate_counts.n + 1 RETURNING n"""


class PostgresRateCounts:
    """`RateCounts` on a PostgreSQL database, safe to share between threads and processes."""

    def __init__(self, conninfo: str, *, wait: float | None = None):
        self._pool = Pool(conninfo, wait=wait)
        require_migrated(self._pool)

    def hit(self, key: str, window_start: float, window: float) -> int:
        with self._pool.connection() as conn, wrapped():
            row = conn.execute(HIT, (key, window_start, window_start + window)).fetchone()
            assert row is not None
            if row[0] == 1:
                conn.execute("DELETE FROM rate_counts WHERE expires <= %s", (window_start,))
        return int(row[0])

    def close(self) -> None:
        """Closes every connection (tests and server shutdown)."""
        self._pool.close()
