"""The embedded server (functions/serve.py, the README's run command) against slow and greedy
clients, over real sockets: half-sent requests are cut off and never stop the site, one address
cannot hold more than its budget of connections, and a body over its route's limit is refused from
the headers, before it is sent (chalicelib/local/guard.py).

Linux routes all of 127.0.0.0/8 to loopback, so "other clients" connect from 127.0.0.2 and up."""

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from chalicelib.config import MAX_BODY_BYTES
from chalicelib.local import guard

pytestmark = pytest.mark.slow  # a server on loopback, and deadlines of seconds

SLOW_CLIENTS = 150  # more than waitress's default connection_limit of 100 that they used to fill


def connect(port: int, source: str) -> socket.socket:
    connection = socket.create_connection(
        ("127.0.0.1", port), timeout=30, source_address=(source, 0)
    )
    return connection


def answers_quickly(port: int) -> bool:
    started = time.monotonic()
    for path in ("/", "/api/openapi.json"):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            assert response.status == 200
    return time.monotonic() - started < 2


def closed_by_server(connection: socket.socket, drip: bytes, seconds: float) -> float | None:
    """Sends `drip` once a second for up to `seconds`; when the server closed the connection."""
    started = time.monotonic()
    connection.settimeout(1)
    while time.monotonic() - started < seconds:
        try:
            connection.sendall(drip)
            if connection.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:  # reset, broken pipe
            return time.monotonic() - started
    return None


def test_half_sent_requests_are_cut_off_and_the_site_keeps_answering(served_port):
    slow_body = (
        b"POST /api/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    slow_headers = b"GET / HTTP/1.1\r\nHost: x\r\n"
    sources = [f"127.0.0.{2 + n % 10}" for n in range(SLOW_CLIENTS)]  # 15 per address
    connections = [connect(served_port, source) for source in sources]
    for n, connection in enumerate(connections):
        connection.sendall(slow_body if n % 2 else slow_headers)

    assert answers_quickly(served_port)  # 150 held connections, and the site answers at once

    closed: dict[int, float | None] = {}

    def drip(n: int) -> None:
        closed[n] = closed_by_server(connections[n], b"x" if n % 2 else b"X", 30)

    threads = [threading.Thread(target=drip, args=(n,)) for n in range(len(connections))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for connection in connections:
        connection.close()

    # One byte a second: headers are cut off after header_seconds, a body once it falls behind
    # min_body_rate after grace_seconds; the maintenance pass runs every second.
    limit = max(guard.Guard(lambda *_: 0).header_seconds, guard.Guard(lambda *_: 0).grace_seconds)
    assert all(seconds is not None for seconds in closed.values()), closed
    assert max(closed.values()) < limit + 2 * guard.MAINTENANCE_SECONDS + 3, closed
    assert answers_quickly(served_port)


def test_one_address_cannot_hold_more_than_its_budget_of_connections(served_port):
    budget = guard.Guard(lambda *_: 0).per_client
    assert budget is not None
    held = [connect(served_port, "127.0.0.20") for _ in range(budget)]
    refused = [connect(served_port, "127.0.0.20") for _ in range(5)]

    for connection in refused:
        reply = connection.recv(4096)
        assert reply.startswith(b"HTTP/1.1 503 "), reply
        assert b"Retry-After: 10" in reply
    assert answers_quickly(served_port)  # from 127.0.0.1, another address

    for connection in held[:5]:
        connection.close()
    time.sleep(0.5)
    again = connect(served_port, "127.0.0.20")
    again.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert again.recv(4096).startswith(b"HTTP/1.1 200 ")
    for connection in [*held[5:], *refused, again]:
        connection.close()


@pytest.mark.parametrize(
    ("path", "length"),
    [
        ("/api/submissions", MAX_BODY_BYTES + 1),
        ("/api/uploads/local", 200 * 1024 * 1024),
        ("/", 1),
        ("/thu-tuc/", 10),
    ],
)
def test_a_body_over_its_routes_limit_is_refused_before_it_is_sent(served_port, path, length):
    connection = connect(served_port, "127.0.0.1")
    connection.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n".encode()
    )
    started = time.monotonic()
    reply = b""
    while chunk := connection.recv(65536):  # the server closes after a 413
        reply += chunk
    connection.close()

    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), reply
    assert json.loads(body)["code"] == "payload_too_large"
    assert time.monotonic() - started < 2  # from the headers, not after a body that never came


def test_a_body_within_the_limit_still_reaches_the_api(served_port):
    body = json.dumps({"procedure": "x", "padding": "y" * (MAX_BODY_BYTES - 100)}).encode()
    assert len(body) <= MAX_BODY_BYTES
    request = urllib.request.Request(
        f"http://127.0.0.1:{served_port}/api/uploads", data=body, method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 422  # read and judged on its fields, not refused for its size
    else:
        pytest.fail("an upload target without a slot was accepted")
