"""Request counts per key and window in the failed lookups' SQLite file
(var/lookup-failures.sqlite3), shared by serve.py's worker processes: the embedded target's
RateCounts (ports.py).

One row per (key, window); `hit` is one upsert that returns the new count. A window's first hit
of a key also deletes the rows of windows that ended (the `expires` index), so the table holds
about one window's keys. Counts cost a write per limited request, so commits are not synced to
disk (WAL, synchronous=NORMAL): a power cut may forget the last second's counts, which only
lets a few more requests through.
"""

from pathlib import Path

from chalicelib.storage.sqlite_connections import ThreadConnections, create_schema, wrapped

SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_counts (
    key TEXT NOT NULL,
    window_start REAL NOT NULL,
    expires REAL NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rate_counts_by_expiry ON rate_counts (expires);
"""
HIT = """INSERT INTO rate_counts (key, window_start, expires, n) VALUES (?, ?, ?, 1)
ON CONFLICT (key, window_start) DO UPDATE SET n = n + 1 RETURNING n"""


class SqliteRateCounts:
    """`RateCounts` on a SQLite file, safe to share between threads and processes."""

    def __init__(self, path: Path, *, wait: float = 5.0):
        self._connections = ThreadConnections(Path(path), wait=wait, durable=False)
        create_schema(self._connections, SCHEMA)

    def hit(self, key: str, window_start: float, window: float) -> int:
        db = self._connections.get()
        with wrapped():
            (count,) = db.execute(HIT, (key, window_start, window_start + window)).fetchone()
            if count == 1:
                db.execute("DELETE FROM rate_counts WHERE expires <= ?", (window_start,))
        return int(count)

    def close(self) -> None:
        """Closes every connection any thread opened (tests and server shutdown)."""
        self._connections.close()
