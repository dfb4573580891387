"""A throw-away clamd for tests, started by scripts/clamd.sh as the README's run command starts
one, on a unix socket in a temporary directory.

No machine here can download ClamAV's signature database (freshclam's mirrors are unreachable),
so it loads only our own signature file, scripts/clamav/motcua-test.ndb: the EICAR test string
anywhere in a file. A missing clamd fails the tests (scripts/test.sh installs clamav-daemon); it
never skips them.
"""

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from chalicelib.scanner import ClamdScanner

ROOT = Path(__file__).resolve().parent.parent
TEST_SIGNATURES = ROOT / "scripts" / "clamav"
START_TIMEOUT = 60  # seconds; one signature loads in a tenth of a second


class Clamd:
    def __init__(self, directory: Path, *, tcp: bool = False):
        self.directory = directory
        self.socket = str(directory / "clamd.sock")
        self.port = free_port() if tcp else None
        # What MOTCUA_CLAMD names: the socket's path, or tcp://127.0.0.1:<port>.
        self.address = f"tcp://127.0.0.1:{self.port}" if tcp else self.socket
        self.log = directory / "clamd.out"  # scripts/clamd.sh's output; clamd's own: clamd.log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Clamd":
        environment = {**os.environ, "CLAMD_DATABASE": str(TEST_SIGNATURES)}
        if self.port:
            environment["CLAMD_TCP_PORT"] = str(self.port)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(ROOT / "scripts" / "clamd.sh"), str(self.directory)],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        scanner = ClamdScanner(self.address, timeout=5)
        deadline = time.monotonic() + START_TIMEOUT
        while not scanner.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"clamd did not start (scripts/clamd.sh):\n{self.output()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def output(self) -> str:
        logs = [self.log, self.directory / "clamd.log"]
        text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in logs if p.exists())
        return text[-4000:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
