"""guard.GuardedChannel's main loop: while a task holds the output buffer (it is writing, and
sends what it wrote itself), the channel is not writable, so the main loop sleeps in poll()
instead of spinning on a writable socket; and a response larger than the socket's buffers, read
slowly, still arrives whole (the task wakes the main loop for what it could not send)."""

import socket
import threading
import time

from waitress.adjustments import Adjustments
from waitress.task import ThreadedTaskDispatcher

from chalicelib.local import guard

GUARD = guard.Guard(lambda method, path: 1024)


def streaming(environ, start_response):
    """8 MiB in 64 KiB pieces, more than loopback's socket buffers hold."""
    start_response(
        "200 OK",
        [("Content-Type", "application/octet-stream"), ("Content-Length", str(128 * 65536))],
    )
    return (bytes([n % 251]) * 65536 for n in range(128))


def test_a_channel_whose_buffer_a_task_holds_is_not_writable():
    listener = socket.create_server(("127.0.0.1", 0))
    server = guard.GuardedServer(
        streaming,
        {},
        True,
        listener,
        dispatcher=ThreadedTaskDispatcher(),
        adj=Adjustments(sockets=[listener]),
        bind_socket=False,
        sockinfo=(listener.family, listener.type, listener.proto, listener.getsockname()),
    )
    server.guard = GUARD
    ours, theirs = socket.socketpair()
    try:
        channel = guard.GuardedChannel(server, ours, ("127.0.0.1", 1), server.adj, {})
        channel.write_soon(b"x" * 10)  # flushed at once: nothing buffered
        assert not channel.writable()
        channel.requests = [object()]  # a task is running...
        channel.total_outbufs_len = 10  # ... and something is buffered
        held, release = threading.Event(), threading.Event()

        def task_writing() -> None:
            with channel.outbuf_lock:
                held.set()
                release.wait(5)

        writer = threading.Thread(target=task_writing)
        writer.start()
        held.wait(5)
        assert not channel.writable()  # the task sends it, or pulls the trigger
        release.set()
        writer.join()
        assert channel.writable()  # the buffer is free: the main loop flushes what is left
        channel.requests = []
        assert channel.writable()
    finally:
        ours.close()
        theirs.close()
        server.close()


def test_a_response_larger_than_the_socket_buffers_read_slowly_arrives_whole():
    port = serving(streaming)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        time.sleep(0.5)  # nothing read yet: the socket's buffers fill up, the task cannot send
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert len(body) == 128 * 65536
    assert all(body[n * 65536] == n % 251 for n in range(128))


def small_reply(environ, start_response):
    body = b'{"code": "ok"}' if environ["REQUEST_METHOD"] != "HEAD" else b""
    start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", "14")])
    return [body]


def test_a_reply_leaves_in_one_send_with_its_header(monkeypatch):
    """guard.OneSendTask: waitress wrote the header and the body in two send() calls."""
    sent: list[bytes] = []
    real_send = guard.GuardedChannel.send

    def recording(channel, data, do_close=True):
        sent.append(bytes(data))
        return real_send(channel, data, do_close=do_close)

    monkeypatch.setattr(guard.GuardedChannel, "send", recording)
    port = serving(small_reply)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        for method in ("POST", "HEAD", "POST"):  # keep-alive: each reply, and one without body
            sent.clear()
            connection.sendall(f"{method} /api/x HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            received = b""
            while not received.endswith(b"\r\n\r\n" if method == "HEAD" else b'"ok"}'):
                received += connection.recv(65536)
            assert received.startswith(b"HTTP/1.1 201 Created\r\n")
            assert b"Content-Length: 14\r\n" in received
            assert sent == [received]  # header and body in one call


def test_a_task_that_leaves_its_connection_idle_does_not_wake_the_main_loop(monkeypatch):
    """GuardedServer.pull_trigger: the main loop's poll() already watches a running request's
    socket (channel_request_lookahead = 1), so the next request wakes it; a missed wake-up would
    hold that request until poll()'s one-second timeout."""
    pulls = []
    real_pull = guard.TcpWSGIServer.pull_trigger
    monkeypatch.setattr(
        guard.TcpWSGIServer, "pull_trigger", lambda s: (pulls.append(1), real_pull(s))
    )
    port = serving(small_reply)
    slowest = 0.0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        for _ in range(100):
            time.sleep(0.005)  # the task has ended: the next request finds the channel idle
            began = time.monotonic()
            connection.sendall(b"POST /api/x HTTP/1.1\r\nHost: x\r\n\r\n")
            received = b""
            while not received.endswith(b'"ok"}'):
                received += connection.recv(65536)
            slowest = max(slowest, time.monotonic() - began)
    assert slowest < 0.5
    # Without the check, one a request; with it, one only when a request came before its
    # task had ended (the main loop then stopped watching the socket: two requests held).
    assert len(pulls) < 50


def serving(app) -> int:
    """`app` behind guard.serve (2 threads) on a free port of 127.0.0.1, in a daemon thread:
    waitress's loop has no stop, it ends with the test process."""
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(
        target=guard.serve,
        args=(app, listener, GUARD),
        kwargs={"threads": 2, "ident": "test"},
        daemon=True,
    ).start()
    return listener.getsockname()[1]
