"""guard.Balance: the workers of serve.py share one listening socket, and each accepts only while
it holds no more connections than any other live worker, so keep-alive clients are spread
evenly (with the kernel alone, 4 clients over 2 workers were often 3 + 1 or 4 + 0)."""

import contextlib
import http.client
import os
import signal
import socket
import time
from collections import Counter

from chalicelib.local import guard


def test_a_worker_accepts_only_while_no_live_worker_holds_fewer_connections():
    balance = guard.Balance(3)
    now = time.monotonic()
    first, second, third = balance, guard.Balance(3), guard.Balance(3)
    second._figures, third._figures = first._figures, first._figures  # one shared memory
    first.as_worker(0), second.as_worker(1), third.as_worker(2)
    assert first.may_accept(0, now)
    assert second.may_accept(2, now) is False  # the first holds 0
    assert third.may_accept(0, now)
    assert first.may_accept(1, now) is False  # the third holds 0
    assert third.may_accept(1, now)  # a tie: both may
    assert first.may_accept(1, now)
    # The third's loop stops turning with 1: after LIVE_SECONDS its count holds no one back.
    later = now + guard.Balance.LIVE_SECONDS + 0.1
    assert second.may_accept(2, now + 1) is False
    assert second.may_accept(2, later)
    assert first.may_accept(3, later) is False  # the second, live, holds 2


def test_a_server_with_more_connections_than_another_worker_does_not_watch_the_listener():
    listener = socket.create_server(("127.0.0.1", 0))
    balance = guard.Balance(2)
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
    try:
        assert server.readable()  # no balance: waitress's answer
        server.balance = balance.as_worker(0)
        assert server.readable()  # 0 connections, the other worker 0
        server.active_channels = {1: object()}
        assert not server.readable()  # 1 against the other's 0
        balance._figures[2] = 1  # the other worker accepted one too
        assert server.readable()
    finally:
        server.close()


def pid_reply(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def test_keep_alive_clients_are_spread_evenly_over_two_workers():
    """Eight clients, each connecting and asking once before the next connects, all kept open:
    four on each worker, in every one of three rounds."""
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
            clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(8)]
            served = Counter()
            for client in clients:
                client.request("GET", "/")
                served[client.getresponse().read()] += 1
            assert sorted(served.values()) == [4, 4], served
            for client in clients:
                client.close()
            time.sleep(0.3)  # the workers see their connections closed
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
