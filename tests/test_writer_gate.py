"""guard.WriterGate: writers hold at most `slots` + `queue` threads for long; a healthy burst
still gets through, a stalled store answers the rest 503 with Retry-After quickly, and reads are
never held."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from chalicelib.local.guard import BURST_SECONDS, WriterGate


def call(app, method="POST", path="/api/submissions"):
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    started = time.monotonic()
    body = b"".join(app({"REQUEST_METHOD": method, "PATH_INFO": path}, start_response))
    return seen["status"], seen["headers"], body, time.monotonic() - started


def gate(application, *, wait=2.0):
    return WriterGate(
        application,
        slots=2,
        queue=1,
        wait=wait,
        writes=lambda method, path: method == "POST" and path.startswith("/api/"),
    )


def answering(delay: float, release: threading.Event | None = None):
    def application(environ, start_response):
        if release is not None and environ["REQUEST_METHOD"] == "POST":  # a write: the store
            release.wait(10)
        time.sleep(delay)
        start_response("201 Created", [("Content-Type", "application/json")])
        return [b"{}"]

    return application


def test_a_healthy_burst_of_writers_all_get_their_turn():
    app = gate(answering(0.005))
    with ThreadPoolExecutor(12) as pool:
        statuses = [status for status, *_ in pool.map(lambda _: call(app), range(24))]
    assert statuses == ["201 Created"] * 24


def test_a_stalled_store_holds_few_threads_and_the_rest_are_told_to_come_back():
    release = threading.Event()
    app = gate(answering(0, release), wait=1.0)
    with ThreadPoolExecutor(10) as pool:
        waiting = [pool.submit(call, app) for _ in range(10)]
        time.sleep(BURST_SECONDS + 0.3)
        # Past the burst wait, only slots + queue threads are still held by writers...
        busy = [future for future in waiting if future.done()]
        assert len(busy) == 7
        for status, headers, body, seconds in (future.result() for future in busy):
            assert status == "503 Service Unavailable" and headers["Retry-After"] == "5"
            assert json.loads(body)["code"] == "storage_unavailable"
            assert seconds < BURST_SECONDS + 0.2
        # ...and reads pass straight through.
        status, _, _, seconds = call(app, "GET", "/api/dossiers/x")
        assert status == "201 Created" and seconds < 0.1
        time.sleep(1.0)
        release.set()
        results = [future.result() for future in waiting]
    statuses = sorted(status for status, *_ in results)
    # The two in a slot finish once the store answers; the queued one gave up after `wait`.
    assert statuses.count("201 Created") == 2 and statuses.count("503 Service Unavailable") == 8
