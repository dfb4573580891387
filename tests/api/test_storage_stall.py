"""A held storage lock stalls only the requests that need it (issue 15: "a held SQLite write lock
stalls every waitress thread: static pages and lookups took 9.3 s while 10 submissions waited").
Against functions/serve.py itself: another process holds `BEGIN IMMEDIATE` on motcua.sqlite3 for
10 s while 10 submissions wait; pages and lookups answer in well under a second, and each
submission is answered 503 storage_unavailable with Retry-After after a bounded wait
(MOTCUA_STORAGE_WAIT), which its retry with the same Idempotency-Key turns into a dossier once
the lock is gone."""

import concurrent.futures
import http.client
import json
import subprocess
import sys
import time

import pytest

from .client import key
from .conftest import free_port
from .filling import answers_for
from .test_restart import start

pytestmark = pytest.mark.slow  # a server on loopback

NO_FILES = "1.000894"  # đăng ký kết hôn: a form without uploads
WAIT = 2.0  # MOTCUA_STORAGE_WAIT
HOLD = 10.0
HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


def call(port: int, method: str, path: str, body=None, headers=None):
    """(status, body, headers, seconds)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(
            method, path, data, {"Content-Type": "application/json", **(headers or {})}
        )
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    reply = (
        json.loads(raw)
        if response.headers.get("Content-Type", "").startswith("application/json")
        else raw
    )
    return response.status, reply, response.headers, time.monotonic() - started


@pytest.fixture
def stalled(tmp_path, site_dir, bundle_path):
    (site_dir / "trang.html").write_text("<!doctype html><title>Trang</title>", encoding="utf-8")
    port = free_port()
    data_dir = tmp_path / "var"
    process = start(
        port, data_dir, site_dir, bundle_path, workers=1, env={"MOTCUA_STORAGE_WAIT": str(WAIT)}
    )
    yield port, data_dir
    process.terminate()
    process.wait(timeout=10)


def test_a_held_write_lock_stalls_only_the_writers_and_they_fail_in_bounded_time(stalled):
    port, data_dir = stalled
    _, form, _, _ = call(port, "GET", f"/api/procedures/{NO_FILES}/form")
    body = {
        "procedure": NO_FILES,
        "answers": answers_for(form["form"]),
        "office": form["offices"][0]["id"],
    }
    status, filed, _, _ = call(port, "POST", "/api/submissions", body, {"Idempotency-Key": key()})
    assert status == 201, filed
    lookup = f"/api/dossiers/{filed['code']}"

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir / "motcua.sqlite3"), str(HOLD)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        held_at = time.monotonic()
        keys = [key() for _ in range(10)]
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            waiting = [
                pool.submit(call, port, "POST", "/api/submissions", body, {"Idempotency-Key": k})
                for k in keys
            ]
            time.sleep(0.5)  # every submission is in and waiting
            answered = [call(port, "GET", "/trang.html") for _ in range(5)]
            answered += [
                call(port, "GET", lookup, headers={"X-Lookup-Secret": filed["secret"]})
                for _ in range(5)
            ]
            submissions = [future.result() for future in waiting]
        assert [status for status, *_ in answered] == [200] * 10
        slowest = max(seconds for *_, seconds in answered)
        assert slowest < 0.5, f"pages and lookups took up to {slowest:.2f} s"
        for status, reply, headers, seconds in submissions:
            assert status == 503, reply
            assert reply["code"] == "storage_unavailable" and reply["message"]
            assert int(headers["Retry-After"]) > 0
            assert seconds < 3 * WAIT + 1, f"a submission waited {seconds:.1f} s"
        assert time.monotonic() - held_at < HOLD  # every answer came while the lock was held
    finally:
        holder.wait(timeout=HOLD + 10)
        holder.stdout.close()
    status, retried, _, _ = call(
        port, "POST", "/api/submissions", body, {"Idempotency-Key": keys[0]}
    )
    assert status == 201, retried
