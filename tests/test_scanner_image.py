"""The scanner function's image (deploy/aws/scanner/) cannot be built here: freshclam needs the
Internet. What can be checked is checked: its clamd.conf starts Debian's clamd and finds the
EICAR file (with our test signature in place of the database), the entrypoint points the handler
at that socket, and the image's CMD names the scan step's handler."""

import importlib
import io
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from chalicelib.scanner import ClamdScanner

from . import files
from .clamd import TEST_SIGNATURES

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "deploy" / "aws" / "scanner"

pytestmark = pytest.mark.slow


def settings(text: str) -> dict[str, str]:
    pairs = (line.split(None, 1) for line in text.splitlines() if line and line[0] != "#")
    return {name: value.strip() for name, value in pairs}


def test_the_image_s_clamd_conf_starts_clamd_that_finds_the_eicar_file(tmp_path):
    conf = settings((IMAGE / "clamd.conf").read_text())
    assert conf["LocalSocket"] == "/tmp/clamd.sock" and conf["TemporaryDirectory"] == "/tmp"
    assert conf["Foreground"] == "yes" and "User" not in conf  # Lambda's user, unprivileged
    local = (IMAGE / "clamd.conf").read_text()
    local = local.replace("/var/lib/clamav", str(TEST_SIGNATURES)).replace("/tmp", str(tmp_path))
    (tmp_path / "clamd.conf").write_text(local)
    with (tmp_path / "clamd.out").open("wb") as log:
        process = subprocess.Popen(
            [
                shutil.which("clamd") or "/usr/sbin/clamd",
                f"--config-file={tmp_path / 'clamd.conf'}",
            ],
            stdout=log,
            stderr=log,
        )
    scanner = ClamdScanner(str(tmp_path / "clamd.sock"), timeout=5)
    try:
        deadline = time.monotonic() + 60
        while not scanner.ping():
            assert process.poll() is None, (tmp_path / "clamd.out").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        found = scanner.scan(io.BytesIO(files.pdf() + files.EICAR))
        clean = scanner.scan(io.BytesIO(files.pdf()))
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert (found, clean) == ("MotCua.Test.EICAR.UNOFFICIAL", None)


def test_the_entrypoint_and_cmd_run_the_scan_step_on_the_image_s_clamd():
    dockerfile = (IMAGE / "Dockerfile").read_text()
    entrypoint = (IMAGE / "entrypoint.sh").read_text()
    conf = settings((IMAGE / "clamd.conf").read_text())

    (cmd,) = re.findall(r'^CMD \["([\w.]+)"\]$', dockerfile, re.MULTILINE)
    module, _, name = cmd.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))
    assert f"MOTCUA_CLAMD={conf['LocalSocket']}" in entrypoint
    assert "freshclam" in dockerfile  # the database, current at build time
    # The image's Python is the API function's: Debian 12's python3 is 3.11.
    assert "bookworm" in dockerfile
