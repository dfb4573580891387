"""guard.Balance: the workers of serve.py share one listening socket, and one that holds more
connections than another live worker leaves a new connection to it, so keep-alive clients are
spread evenly (with the kernel alone, 4 clients over 2 workers were often 3 + 1 or 4 + 0)."""

import contextlib
import http.client
import os
import signal
import socket
import time
from collections import Counter

from chalicelib.local import guard


def shared(workers: int) -> list[guard.Balance]:
    """One Balance per worker on one shared memory, as the forked workers see it."""
    first = guard.Balance(workers)
    others = [guard.Balance(workers) for _ in range(workers - 1)]
    for other in others:
        other._figures = first._figures
    return [balance.as_worker(index) for index, balance in enumerate([first, *others])]


def test_a_worker_is_least_loaded_while_no_live_worker_holds_fewer_connections():
    first, second, third = shared(3)
    now = time.monotonic()
    for balance, connections in ((first, 0), (second, 2), (third, 0)):
        balance.publish(connections, now)
    assert first.least(0, now)
    assert not second.least(2, now)
    assert not first.least(1, now)  # the third holds 0
    first.publish(1, now)
    third.publish(1, now)
    assert first.least(1, now)  # a tie: both are
    assert third.least(1, now)
    # The third's loop stops turning: after LIVE_SECONDS its count holds no one back.
    later = now + guard.Balance.LIVE_SECONDS + 0.1
    third.publish(0, now)
    second.publish(2, later)
    assert not first.least(1, now + 1)
    assert first.least(1, later)
    assert not first.least(3, later)  # the second, live, holds 2


def test_a_busier_worker_leaves_a_connection_to_another_for_a_few_milliseconds_only():
    first, second = shared(2)
    now = time.monotonic()
    first.publish(0, now)
    second.publish(1, now)
    assert not first.defers(0, now)
    assert second.defers(1, now)
    assert second.defers(1, now + 0.019)  # the first has not taken it yet
    assert not second.defers(1, now + 0.021)  # so the second takes it itself
    later = now + 1  # another connection: a deferral of its own
    first.publish(0, later)
    assert second.defers(1, later)
    assert not second.defers(0, later)


def test_a_worker_sheds_a_connection_when_another_holds_two_fewer():
    first, second = shared(2)
    now = time.monotonic()
    second.publish(1, now)
    assert not first.sheds(2, now)
    assert first.sheds(3, now)
    assert not first.sheds(3, now + guard.Balance.LIVE_SECONDS + 0.1)  # the second is stuck


def pid_reply(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def guarded_server(listener: socket.socket, balance: guard.Balance) -> guard.GuardedServer:
    """A worker's server on `listener`, not running: its methods are called by the test."""
    server = guard.GuardedServer(
        pid_reply,
        {},
        True,
        listener,
        dispatcher=guard.ThreadedTaskDispatcher(),
        adj=guard.Adjustments(sockets=[listener]),
        bind_socket=False,
        sockinfo=(listener.family, listener.type, listener.proto, listener.getsockname()),
    )
    server.guard = guard.Guard(lambda method, path: 1024)
    server.balance = balance
    return server


def test_a_server_publishes_its_connections_and_counts_as_full_at_its_limit():
    listener = socket.create_server(("127.0.0.1", 0))
    first, second = shared(2)
    server = guarded_server(listener, first)
    server.next_channel_cleanup = float("inf")  # no maintenance pass over the stand-ins below
    try:
        server.active_channels = {1: object(), 2: object()}
        assert server.readable()
        assert not second.least(3, time.monotonic())  # the first holds 2
        server.adj.connection_limit = 1  # at its limit: full, the others take the next
        assert not server.readable()
        assert second.least(1000, time.monotonic())
    finally:
        server.close()


def test_a_worker_publishes_a_connection_opened_or_closed_at_once():
    """Not only on its loop's next turn: idle, that can be a second away, and until then the
    other workers would count connections already closed."""
    listener = socket.create_server(("127.0.0.1", 0))
    first, _ = shared(2)
    server = guarded_server(listener, first)
    ours, theirs = socket.socketpair()
    try:
        channel = guard.GuardedChannel(server, ours, ("127.0.0.1", 1), server.adj, {})
        assert first._figures[0] == 1
        channel.close()
        assert first._figures[0] == 0
    finally:
        theirs.close()
        server.close()


def test_keep_alive_clients_are_spread_evenly_over_two_workers():
    """Eight clients, each connecting and asking once before the next connects, all kept open:
    four on each worker, in every one of three rounds, each answered at once."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    port = listener.getsockname()[1]
    balance = guard.Balance(2)
    children = []
    for index in range(2):
        pid = os.fork()
        if pid == 0:  # pragma: no cover (the worker; its coverage is not collected)
            try:
                guard.serve(
                    pid_reply,
                    listener,
                    guard.Guard(lambda method, path: 1024),
                    balance.as_worker(index),
                    threads=2,
                )
            finally:
                os._exit(0)
        children.append(pid)
    listener.close()
    try:
        for _ in range(3):
            served: Counter[bytes] = Counter()
            with contextlib.ExitStack() as stack:
                for _ in range(8):
                    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    stack.callback(client.close)
                    began = time.monotonic()
                    client.request("GET", "/")
                    served[client.getresponse().read()] += 1
                    assert time.monotonic() - began < 0.25  # none left waiting in poll()
            assert sorted(served.values()) == [4, 4], served
            time.sleep(0.3)  # the workers see their connections closed
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def test_a_worker_holding_two_more_connections_closes_one_after_a_whole_reply():
    """The second worker here is a stand-in that holds no connection (its figures published by
    the test): the real one keeps one connection, answers the second with Connection: close,
    one at a time, and the client's next request on it reconnects."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    port = listener.getsockname()[1]
    real, stand_in = shared(2)
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the worker; its coverage is not collected)
        try:
            guard.serve(
                pid_reply, listener, guard.Guard(lambda method, path: 1024), real, threads=2
            )
        finally:
            os._exit(0)
    listener.close()

    def ask(client: http.client.HTTPConnection) -> str | None:
        stand_in.publish(0, time.monotonic())  # live, and empty
        client.request("GET", "/")
        reply = client.getresponse()
        reply.read()
        return reply.getheader("Connection")

    try:
        with contextlib.ExitStack() as stack:
            clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(2)]
            for client in clients:
                stack.callback(client.close)
            assert ask(clients[0]) is None  # 1 against 0: kept
            assert ask(clients[1]) == "close"  # 2 against 0: this one goes
            time.sleep(0.1)  # the worker sees it closed
            assert ask(clients[0]) is None  # 1 again
            assert ask(clients[1]) == "close"  # it reconnected: 2 again, and goes again
            time.sleep(0.1)
            assert ask(clients[1]) == "close"
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
