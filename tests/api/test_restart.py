"""The server killed (SIGKILL) in the middle of a load, then restarted: every dossier whose
submission is retried with its Idempotency-Key exists exactly once, with no gap in the codes."""

import concurrent.futures
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from chalicelib import lookup_secret

from ..services import NO_RATE_LIMITS
from .conftest import ROOT, free_port
from .filling import answers_for

pytestmark = pytest.mark.slow  # a server on loopback

PROCEDURE = "1.000894"  # đăng ký kết hôn: a form without uploads


def start(
    port: int, data_dir, site_dir, bundle_path, *, workers: int = 2, env: dict | None = None
) -> subprocess.Popen:
    """functions/serve.py on `port`; `env`: more settings (MOTCUA_*) for it. No rate limits
    unless `env` sets them: the loads here come from one address."""
    env = {
        **os.environ,
        "MOTCUA_BUNDLE": str(bundle_path),
        "MOTCUA_STORAGE": "embedded",
        **NO_RATE_LIMITS,
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "functions" / "serve.py"),
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--site-dir",
            str(site_dir),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def submit(port: int, body: bytes, key: str) -> tuple[int, dict | None]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/submissions",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except (OSError, http.client.HTTPException):
        return 0, None  # refused, reset or cut off mid-answer: the server died under us


def test_no_dossier_is_lost_or_duplicated_when_the_server_is_killed(
    tmp_path, site_dir, bundle_path
):
    port = free_port()
    process = start(port, tmp_path / "var", site_dir, bundle_path)
    reply = json.loads(
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/procedures/{PROCEDURE}/form").read()
    )
    office = reply["offices"][0]["id"]
    body = json.dumps(
        {
            "procedure": PROCEDURE,
            "answers": answers_for(reply["form"]),
            "uploads": {},
            "office": office,
        }
    )
    keys = [uuid.uuid4().hex for _ in range(2000)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(submit, port, body.encode(), k) for k in keys]
        while sum(f.done() for f in futures) < 50:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        first = [f.result() for f in futures]
    assert any(status == 201 for status, _ in first), "the load started before the kill"
    assert any(status == 0 for status, _ in first), "the kill happened mid-load"
    deadline = time.monotonic() + 10  # the killed workers' socket closes a moment after them
    while port in listening_ports() and time.monotonic() < deadline:
        time.sleep(0.05)
    process = start(port, tmp_path / "var", site_dir, bundle_path)
    try:
        retried = [submit(port, body.encode(), k) for k in keys]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait()
    assert all(status == 201 for status, _ in retried)
    for (status, before), (_, after) in zip(first, retried, strict=True):
        if status == 201:
            assert before["code"] == after["code"]  # what was confirmed is still there
    codes = [reply["code"] for _, reply in retried]
    assert len(set(codes)) == len(keys)
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert numbers == list(range(1, len(keys) + 1))


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found


def listening_ports() -> set[int]:
    """Local TCP ports with a socket in LISTEN (state 0A) on this machine, from /proc/net/tcp."""
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A":
            ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for whichever process adopted it to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_workers_die_with_the_server(tmp_path, site_dir, bundle_path):
    port = free_port()
    process = start(port, tmp_path / "var", site_dir, bundle_path, workers=2)
    workers = children_of(process.pid)
    assert len(workers) == 2
    assert port in listening_ports()
    process.send_signal(signal.SIGKILL)  # no chance to stop them: the kernel must
    process.wait()
    deadline = time.monotonic() + 10
    while any(map(running, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(running, workers))
    deadline = time.monotonic() + 10  # the kernel closes the last worker's socket a moment later
    while port in listening_ports() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert port not in listening_ports()  # nothing serves the port any more


def guess(port: int, code: str, secret: str) -> int:
    """One lookup from 127.0.0.3 over a new connection (the kernel hands it to either worker)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=("127.0.0.3", 0)
    )
    try:
        connection.request("GET", f"/api/dossiers/{code}", headers={"X-Lookup-Secret": secret})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_guessers_failures_are_shared_by_the_workers_and_outlive_a_restart(
    tmp_path, site_dir, bundle_path
):
    """20 failures in 10 minutes for one client across both workers (one at a time: exact), and
    a restart does not give it 20 more: the count is in var/, not in a process."""
    port = free_port()
    process = start(port, tmp_path / "var", site_dir, bundle_path, workers=2)
    try:
        reply = json.loads(
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/procedures/{PROCEDURE}/form"
            ).read()
        )
        body = {
            "procedure": PROCEDURE,
            "answers": answers_for(reply["form"]),
            "uploads": {},
            "office": reply["offices"][0]["id"],
        }
        status, filed = submit(port, json.dumps(body).encode(), uuid.uuid4().hex)
        assert status == 201
        wrong = [f"{n:011d}" for n in range(40)]  # well formed, so each is a guess
        answers = [guess(port, filed["code"], w + lookup_secret.check_character(w)) for w in wrong]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait()
    assert answers == [404] * 20 + [429] * 20
    process = start(port, tmp_path / "var", site_dir, bundle_path, workers=2)
    try:
        after_restart = guess(port, filed["code"], filed["secret"])
        other_client = urllib.request.urlopen(
            urllib.request.Request(
                f"http://127.0.0.1:{port}/api/dossiers/{filed['code']}",
                headers={"X-Lookup-Secret": filed["secret"]},
            )
        ).status
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait()
    assert after_restart == 429  # even with the right secret, until the window passes
    assert other_client == 200
