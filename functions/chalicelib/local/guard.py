"""waitress, guarded against slow and greedy clients: the embedded server (functions/serve.py) is
the README's default and faces the network alone, without nginx in front.

waitress on its own closes a connection only after `channel_timeout` seconds without a byte, so a
client that sends one byte every few seconds holds its connection for ever, and ~100 of them
(`connection_limit`) stop the whole site; it buffers any body up to one size for every route
before the application sees the request. Here:

- **Deadlines.** A request's line and headers must arrive within `header_seconds` of its first
  byte; after `grace_seconds`, its body must have averaged at least `min_body_rate` bytes a
  second. A request past either is cut off (the connection closed) at the next maintenance pass,
  every `MAINTENANCE_SECONDS`.
- **A connection budget per client.** At most `per_client` open connections from one address
  (browsers open 6); one more is answered 503 and closed. Off behind a trusted proxy, where every
  connection comes from the proxy (nginx limits connections per client there).
- **Body limits per route, from the headers.** `body_limit(method, path)` bytes at most; a larger
  Content-Length is answered 413 before a byte of the body is read (a chunked body, once it
  passes the limit).
- **A cap on requests that write to storage** (`WriterGate`). A write waits for a lock another
  process may hold (a backup, a long admin command, a stuck writer): without a cap, such requests
  take every thread, and pages and lookups, which need no lock, wait behind them. At most
  `slots` of them run at once and `queue` more wait (a waiting request holds a thread too), each
  at most `wait` seconds, for a turn; any more wait `BURST_SECONDS` only (a healthy burst's writes
  take milliseconds each, so they still get their turn), and one whose wait ends is answered 503
  with Retry-After. The rest of the threads stay free for everything else. The storage adapters
  bound their own waits for the lock the same way.
- **Connections spread evenly over the worker processes** (`Balance`). The workers share one
  listening socket and the kernel wakes every one of them for a new connection: whichever is
  first takes it, and a busy worker's main loop often is, so 4 keep-alive clients ended up
  3 + 1 or 4 + 0 over 2 workers (one process, one core, for most of the load). Here a worker
  leaves a new connection, for a few milliseconds, to a live worker that holds fewer, and one
  that holds two more than another closes a connection after a whole reply (Connection: close;
  the client's next connection goes to the other).

This subclasses waitress's server, channel and request parser (pinned in requirements.lock;
tests/api/test_slow_clients.py runs the real server, so an upgrade that moves these internals
fails there). Timeouts are measured with time.monotonic().
"""

import functools
import json
import math
import mmap
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher, WSGITask
from waitress.utilities import RequestEntityTooLarge

from chalicelib.errors import PayloadTooLargeError, StorageError
from chalicelib.headers import SECURITY_HEADERS, missing

MAINTENANCE_SECONDS = 1
BURST_SECONDS = 0.25  # how long a writer past WriterGate's queue waits for a turn
_BUSY_TEXT = "Quá nhiều kết nối từ địa chỉ này. Vui lòng thử lại sau.\n".encode()
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 10\r\nConnection: close\r\n"
    + "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS.items()).encode()
    + f"Content-Length: {len(_BUSY_TEXT)}\r\n\r\n".encode()
    + _BUSY_TEXT
)


@dataclass(frozen=True)
class Guard:
    body_limit: Callable[[str, str], int]  # (method, path) -> the largest body, in bytes
    header_seconds: float = 10.0
    grace_seconds: float = 10.0
    min_body_rate: int = 8 * 1024  # bytes a second: a slow 2G link still uploads its files
    per_client: int | None = 24  # None: no budget (behind a trusted proxy)

    def too_slow(self, request: "GuardedParser", now: float) -> bool:
        elapsed = now - request.started
        if not request.headers_finished:
            return elapsed > self.header_seconds
        if elapsed <= self.grace_seconds:
            return False
        received: int = request.body_bytes_received
        return received < self.min_body_rate * (elapsed - self.grace_seconds)


class TooLarge(RequestEntityTooLarge):  # type: ignore[misc]
    """The API's JSON error (PayloadTooLargeError), where waitress would answer in plain text."""

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        body = json.dumps(PayloadTooLargeError().body(), ensure_ascii=False).encode()
        headers = [("Content-Type", "application/json; charset=utf-8")]
        return "413 Payload Too Large", headers + missing(["Content-Type"]), body


class GuardedParser(HTTPRequestParser):  # type: ignore[misc]
    """waitress's parser, timed from the request's first byte, with a per-route body limit."""

    completed: bool
    error: Any

    def __init__(self, adj: Adjustments, *, guard: Guard):
        super().__init__(adj)
        self.guard = guard
        self.started = time.monotonic()
        self.limit: int | None = None

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        if type(self.error) is RequestEntityTooLarge:  # waitress's own limit, in its plain text
            self.error = TooLarge(self.error.body)
        if self.completed or not self.headers_finished:
            return consumed
        if self.limit is None:
            self.limit = self.guard.body_limit(self.command, self.path)
        if self.content_length > self.limit or self.body_bytes_received > self.limit:
            self.error = TooLarge(f"exceeds this route's limit of {self.limit}")
            self.completed = True
        return consumed


class OneSendTask(WSGITask):  # type: ignore[misc]
    """waitress's WSGI task, whose response header leaves in one send() with the start of the
    body: waitress writes them one after the other, and each write is sent at once, so every
    reply was two send() calls (two segments, on loopback each carried through the receiver's
    TCP stack in the sender's time)."""

    channel: "GuardedChannel"

    def build_response_header(self) -> bytes:
        if self.channel.server.sheds_one():
            self.set_close_on_finish()
        header: bytes = super().build_response_header()
        return header

    def write(self, data: bytes) -> None:
        if self.wrote_header:
            super().write(data)
            return
        channel = self.channel
        channel.holding = True  # the header is kept until the body's first piece
        try:
            super().write(data)
        finally:
            channel.holding = False
            held, channel.held = channel.held, None
        if held:  # a reply without a body (HEAD, 304, an empty first piece): the header alone
            channel.write_soon(held)


class GuardedChannel(HTTPChannel):  # type: ignore[misc]
    task_class = OneSendTask
    holding = False
    held: bytes | None = None

    def __init__(self, server: "GuardedServer", sock: socket.socket, addr: Any, adj: Any, map: Any):
        super().__init__(server, sock, addr, adj, map=map)
        self.parser_class = functools.partial(GuardedParser, guard=server.guard)
        # Whether the main loop's poll() watches this socket for a next request: set where the
        # main loop decides it (readable), read where a task ends (needs_waking), under one lock.
        self.read_polled = False
        self.poll_lock = threading.Lock()
        budget = server.guard.per_client
        if budget is not None and server.connections_from(self.addr[0]) > budget:
            self.write_soon(BUSY)
            self.close_when_flushed = True

    def add_channel(self, map: Any = None) -> None:
        super().add_channel(map)
        self.server.publish_connections()

    def del_channel(self, map: Any = None) -> None:
        super().del_channel(map)
        self.server.shedding = False
        self.server.publish_connections()

    def write_soon(self, data: Any) -> int:
        if self.holding and isinstance(data, bytes) and data:
            if self.held is None:
                self.held = data
                return len(data)
            data, self.held = self.held + data, None
        written: int = super().write_soon(data)
        return written

    def readable(self) -> bool:
        with self.poll_lock:
            self.read_polled = readable = bool(super().readable())
        return readable

    def service(self) -> None:
        _serving.channel = self
        try:
            super().service()
        finally:
            _serving.channel = None

    def needs_waking(self) -> bool:
        """Whether the main loop must be woken (waitress pulls its trigger) when a task ends:
        unless this channel is idle and open, and the main loop's poll() already watches it for
        the next request (with channel_request_lookahead = 1 it does while a request runs), so
        the request wakes it. Skipping the wake saves a turn of the main loop a request (a pipe
        write and read, a poll() set built again and the thread switches between them)."""
        with self.poll_lock:
            idle = (
                self.read_polled
                and self.connected
                and not self.requests
                and not self.total_outbufs_len
                and not self.will_close
                and not self.close_when_flushed
            )
        return not idle

    def writable(self) -> bool:
        """waitress's, except while a task is writing to the output buffer: the task sends what
        it wrote itself and wakes the main loop (pull_trigger) when it leaves anything unsent,
        so there is nothing for the main loop to do. waitress says writable then, and the main
        loop spun on poll() (a writable socket answers at once), failing to take the buffer's
        lock and holding the GIL the task needs: ~35 loop turns a lookup, most of its CPU
        (bench/README.md, "API benchmark")."""
        if self.requests and self.total_outbufs_len:
            if not self.outbuf_lock.acquire(False):  # the task holds it: it sends, or wakes us
                return False
            self.outbuf_lock.release()
        return bool(super().writable())


_serving = threading.local()  # .channel: the channel whose task this thread runs


class Balance:
    """Each worker's count of open connections and when its main loop last turned, in memory
    shared by the workers (made before they are forked). Every worker watches the listener (the
    kernel wakes them all for a connection); one that holds more connections than another worker
    whose loop turned within `LIVE_SECONDS` leaves the connection to it, for `DEFER_SECONDS` at
    most: one that does not take it in that time (its loop busy), or a stuck one, does not keep
    a connection waiting longer. The figures are published on every loop turn and whenever a
    connection opens or closes. No worker stops watching: one that did would sleep in poll() up
    to a second while the others left the connection to it. What a burst still places unevenly
    (the figures a moment old) `sheds` puts right."""

    LIVE_SECONDS = 3.0  # waitress's main loop turns at least once a second (asyncore timeout)
    DEFER_SECONDS = 0.02  # more than a GIL switch interval (5 ms) the other's loop may wait
    PAUSE_SECONDS = 0.0005  # between a deferring loop's turns, rather than spinning on poll()
    NEW_WAIT_SECONDS = 0.05  # no deferral for this long: the next is another connection's

    def __init__(self, workers: int):
        self._shared = mmap.mmap(-1, 16 * workers)  # anonymous and shared with forked children
        self._figures = memoryview(self._shared).cast("d")  # [connections, turn] per worker
        self.workers = workers
        self.index = 0
        now = time.monotonic()
        for worker in range(workers):
            self._figures[2 * worker + 1] = now
        self._deferring_since = self._deferred_last = -math.inf

    def as_worker(self, index: int) -> "Balance":
        """This object, in the forked process of worker `index`."""
        self.index = index
        return self

    def publish(self, connections: float, now: float) -> None:
        figures, own = self._figures, 2 * self.index
        figures[own], figures[own + 1] = connections, now

    def least(self, connections: float, now: float) -> bool:
        """Whether no other live worker holds fewer connections than `connections`."""
        figures, own, live = self._figures, 2 * self.index, now - self.LIVE_SECONDS
        for other in range(0, 2 * self.workers, 2):
            if other != own and figures[other] < connections and figures[other + 1] > live:
                return False
        return True

    def sheds(self, connections: float, now: float) -> bool:
        """Whether this worker, holding `connections`, should close one of them: another live
        worker holds at least two fewer."""
        return not self.least(connections - 1, now)

    def defers(self, connections: float, now: float) -> bool:
        """Whether this worker, holding `connections`, leaves a waiting connection to another."""
        if self.least(connections, now):
            return False
        if now - self._deferred_last > self.NEW_WAIT_SECONDS:
            self._deferring_since = now
        self._deferred_last = now
        return now - self._deferring_since < self.DEFER_SECONDS


class GuardedServer(TcpWSGIServer):  # type: ignore[misc]
    channel_class = GuardedChannel
    guard: Guard
    balance: Balance | None = None
    shedding = False

    def readable(self) -> bool:
        """waitress's (its maintenance passes and connection limit), publishing this worker's
        connections every turn of the main loop (`Balance`)."""
        accepting = bool(super().readable())
        self.publish_connections()
        return accepting

    def publish_connections(self) -> None:
        """For the other workers (`Balance`), on every turn of the main loop and whenever a
        connection opens or closes: a worker idle after its connections closed sleeps in poll()
        up to a second, and the others would go on counting them. At its connection limit it
        counts as full."""
        if self.balance is not None:
            full = self.in_connection_overflow or not self.accepting
            connections = math.inf if full else len(self.active_channels)
            self.balance.publish(connections, time.monotonic())

    def sheds_one(self) -> bool:
        """Whether the reply being written should close its connection (Connection: close), so
        that the client's next connection goes to a worker holding at least two fewer: the
        connections a burst placed unevenly (the others' counts a moment old, their closed
        connections not yet seen) move over one at a time, each after a whole reply."""
        if self.balance is None or self.shedding:
            return False
        if not self.balance.sheds(len(self.active_channels), time.monotonic()):
            return False
        self.shedding = True  # until a connection of this worker closes
        return True

    def handle_accept(self) -> None:
        """waitress's, unless a worker with fewer connections should take this one (`Balance`):
        then this loop pauses a moment (its tasks run on, the GIL and the core are left to the
        other worker) and, the listener still readable, asks again on its next turn."""
        if self.balance is None or not self.balance.defers(
            len(self.active_channels), time.monotonic()
        ):
            super().handle_accept()
        else:
            time.sleep(Balance.PAUSE_SECONDS)

    def pull_trigger(self) -> None:
        """waitress's wake-up of the main loop, unless a task calls it for a channel that does
        not need it (GuardedChannel.needs_waking); any other caller wakes it as before."""
        channel = getattr(_serving, "channel", None)
        if channel is None or channel.needs_waking():
            super().pull_trigger()

    def connections_from(self, address: str) -> int:
        return sum(1 for channel in self.active_channels.values() if channel.addr[0] == address)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections, after channel_timeout
        clock = time.monotonic()
        for channel in list(self.active_channels.values()):
            request = channel.request
            pending = isinstance(request, GuardedParser) and not request.completed
            if pending and self.guard.too_slow(request, clock):
                channel.will_close = True


class WriterGate:
    """At most `slots` requests for which `writes(method, path)` is true run `application` at
    once and `queue` more wait, each `wait` seconds at most, for a turn; any other waits
    BURST_SECONDS at most; one whose wait ends gets 503 storage_unavailable (JSON, Retry-After).
    The others pass straight through."""

    def __init__(
        self,
        application: Any,
        *,
        slots: int,
        queue: int,
        wait: float,
        writes: Callable[[str, str], bool],
    ):
        self.application, self.wait, self.writes = application, wait, writes
        self._turns = threading.BoundedSemaphore(max(1, slots))
        self._admitted, self._most = 0, max(1, slots) + max(0, queue)
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not self.writes(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")):
            return self.application(environ, start_response)
        with self._lock:
            admitted = self._admitted < self._most
            self._admitted += admitted
        try:
            if self._turns.acquire(
                timeout=self.wait if admitted else min(self.wait, BURST_SECONDS)
            ):
                try:
                    return list(self.application(environ, start_response))  # one piece
                finally:
                    self._turns.release()
        finally:
            if admitted:
                with self._lock:
                    self._admitted -= 1
        return self._busy(start_response)

    @staticmethod
    def _busy(start_response: Any) -> list[bytes]:
        busy = StorageError()
        body = json.dumps(busy.body(), ensure_ascii=False).encode()
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(busy.retry_after)),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]


def serve(
    application: Any,
    listener: socket.socket,
    guard: Guard,
    balance: Balance | None = None,
    **adjustments: Any,
) -> None:
    """Serves on `listener` (already bound and listening) until interrupted, as waitress.serve
    does, with `guard`; with `balance`, one of several workers sharing `listener`. `adjustments`
    are waitress's settings (threads, ident, ...)."""
    # A running request's socket stays in the main loop's poll() (waitress reads at most one
    # request ahead), so the main loop need not be woken when a task ends (needs_waking).
    adjustments.setdefault("channel_request_lookahead", 1)
    adj = Adjustments(sockets=[listener], cleanup_interval=MAINTENANCE_SECONDS, **adjustments)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    server = GuardedServer(
        application,
        {},
        True,
        listener,
        dispatcher=dispatcher,
        adj=adj,
        bind_socket=False,
        sockinfo=(listener.family, listener.type, listener.proto, listener.getsockname()),
    )
    server.guard = guard
    server.balance = balance
    server.run()
