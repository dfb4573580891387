"""Request counts per key and window in a small memory-mapped file (var/rate-counts.bin) that
serve.py's worker processes share: the embedded target's RateCounts (ports.py).

Why not SQLite, like the failed lookups: every limited request counts one or two hits, and a
SQLite write (a transaction appended to the write-ahead log) cost 30-70 µs of a submission's
~1.3 ms of CPU; a hit here is a hash, a lock and a few bytes read and written (bench/README.md,
"Rate counts").

The file is a fixed table of SLOTS slots of 32 bytes: the key's 12-byte BLAKE2b digest, the
count (uint32), the window's start and its end (float64). A key's slot is found by open
addressing from its digest, at most PROBES slots away. A slot whose window has ended (its end is
not after the window being counted) is free for reuse, so the table holds about one window's keys,
with no background job. If PROBES neighbouring slots all hold live counts (tens of thousands of
clients in one window), the one that ends first is given up: that key starts again from zero, so
a full table lets a few more requests through and never refuses one wrongly.

Every hit takes an exclusive flock on the file (processes) under a thread lock (threads of this
process share the descriptor): counts from processes sharing the file are never lost. Writes go
to the page cache, like the SQLite counts they replace (synchronous = NORMAL): a power cut may
forget the last seconds' counts, which only lets a few more requests through. A file that is not
such a table (another size, a different header) is started afresh.
"""

import fcntl
import hashlib
import mmap
import os
import struct
import threading
from pathlib import Path

MAGIC = b"MCRATES1"
HEADER = struct.Struct("<8sI4x")  # magic, slot count
SLOT = struct.Struct("<12sIdd")  # key digest, count, window start, window end
SLOTS = 1 << 16  # 2 MiB; tens of thousands of clients per window before any key is given up
PROBES = 32
EMPTY = bytes(12)


class MappedRateCounts:
    """`RateCounts` in a memory-mapped file, safe to share between threads and processes."""

    def __init__(self, path: Path, *, slots: int = SLOTS, probes: int = PROBES):
        self.path, self._slots, self._probes = Path(path), slots, min(probes, slots)
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._fd, self._map = self._open()

    def _open(self) -> tuple[int, mmap.mmap]:
        """Opens the file, and starts it afresh if it is not this table."""
        size = HEADER.size + self._slots * SLOT.size
        header = HEADER.pack(MAGIC, self._slots)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            stat = os.fstat(descriptor)
            if stat.st_size != size or os.pread(descriptor, HEADER.size, 0) != header:
                os.ftruncate(descriptor, 0)  # not ours (or cut short): start afresh
                os.ftruncate(descriptor, size)
                os.pwrite(descriptor, header, 0)
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
        return descriptor, mmap.mmap(descriptor, size)

    def hit(self, key: str, window_start: float, window: float) -> int:
        digest = hashlib.blake2b(key.encode(), digest_size=12).digest()
        slots = self._slots
        home = int.from_bytes(digest[:4], "little") % slots
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's descriptor shares its flock
                self._map.close()
                os.close(self._fd)
                self._pid = os.getpid()
                self._fd, self._map = self._open()
            table = self._map
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                reusable, soonest, soonest_end = -1, -1, float("inf")
                for probe in range(self._probes):
                    slot = (home + probe) % slots
                    offset = HEADER.size + slot * SLOT.size
                    held, count, start, end = SLOT.unpack_from(table, offset)
                    if held == digest and start == window_start:
                        count = int(count) + 1
                        SLOT.pack_into(table, offset, digest, count, start, end)
                        return count
                    if held == EMPTY:  # never used: no key was placed past it
                        reusable = slot if reusable < 0 else reusable
                        break
                    if reusable < 0 and end <= window_start:
                        reusable = slot
                    if end < soonest_end:
                        soonest, soonest_end = slot, end
                slot = reusable if reusable >= 0 else soonest
                offset = HEADER.size + slot * SLOT.size
                SLOT.pack_into(table, offset, digest, 1, window_start, window_start + window)
                return 1
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Unmaps and closes the file (tests and server shutdown)."""
        with self._lock:
            if not self._map.closed:
                self._map.close()
                os.close(self._fd)
