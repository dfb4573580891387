"""Counts of long work on stderr, a line every so often (logs keep lines, not a redrawn bar)."""

import sys
import time
from typing import TextIO

EVERY_SECONDS = 2.0


class Progress:
    def __init__(self, what: str, total: int | None = None, *, stream: TextIO | None = None):
        self.what = what
        self.total = total
        self.done = 0
        self._stream = stream or sys.stderr
        self._shown = time.monotonic()

    def step(self, count: int = 1) -> None:
        self.done += count
        if time.monotonic() - self._shown >= EVERY_SECONDS:
            self._show()

    def finish(self) -> None:
        self._show()

    def _show(self) -> None:
        self._shown = time.monotonic()
        total = f"/{self.total}" if self.total is not None else ""
        print(f"{self.what}: {self.done}{total}", file=self._stream, flush=True)
