"""A real server on loopback: waitress serving the same application as functions/serve.py, with
its own data directory and a bundle built from the fixture catalogue (tests/fixtures/catalogue).

The modules whose tests start or talk to a server are marked ``slow``."""

import contextlib
import io
import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from buildlib.bundle import bundle_command

from ..conftest import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def bundle_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "bundle.json"
    with contextlib.redirect_stdout(io.StringIO()):
        assert bundle_command(CATALOGUE, path, out=io.StringIO()) == 0
    return path


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text("<!doctype html><title>MotCua</title>", encoding="utf-8")
    return site


class Server:
    def __init__(self, base: str, context: ssl.SSLContext | None = None):
        self.base = base
        self.context = context  # the certificate to trust, for HTTPS

    def request(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None):
        status, reply, _ = self.exchange(method, path, body, headers, raw)
        return status, reply

    def exchange(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None):
        """(status, decoded body, response headers)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.context) as response:
                return response.status, _decode(response.read()), response.headers
        except urllib.error.HTTPError as error:
            return error.code, _decode(error.read()), error.headers


def _decode(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return data


@pytest.fixture(scope="session")
def server(tmp_path_factory, bundle_path, site_dir, clamd):
    import waitress.server

    data_dir = tmp_path_factory.mktemp("var")
    port = free_port()
    from chalicelib.wiring import default_backoffice, default_officer_auth, default_service
    from serve import make_application

    # default_service() reads its settings from the environment once and keeps them; the
    # environment is restored at once, so other tests of this worker (a site build reads
    # MOTCUA_PUBLIC_URL) never see the test server's values.
    with pytest.MonkeyPatch.context() as environment:
        for name, value in {
            "MOTCUA_DATA_DIR": str(data_dir),
            "MOTCUA_BUNDLE": str(bundle_path),
            "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "MOTCUA_STORAGE": "embedded",
            "MOTCUA_CLAMD": clamd.address,
            # Many tests share this server and its one client address: no rate limits here
            # (test_intake_limits.py runs serve.py with its own).
            "MOTCUA_UPLOADS_PER_CLIENT": "0",
            "MOTCUA_UPLOADS_PER_MINUTE": "0",
            "MOTCUA_SUBMISSIONS_PER_CLIENT": "0",
            "MOTCUA_SUBMISSIONS_PER_MINUTE": "0",
        }.items():
            environment.setenv(name, value)
        for cached in (default_service, default_officer_auth, default_backoffice):
            cached.cache_clear()
        application = make_application(site_dir)
        default_officer_auth(), default_backoffice()  # built now, from this environment
    channels: dict = {}
    wsgi = waitress.server.create_server(
        application, map=channels, host="127.0.0.1", port=port, threads=8
    )
    thread = threading.Thread(target=wsgi.run, daemon=True)
    thread.start()
    time.sleep(0.2)
    yield Server(f"http://127.0.0.1:{port}")
    # Closed from the server's own loop thread: closing its sockets from here raced the loop's
    # poll (EBADF in the server thread, now and then).
    wsgi.trigger.pull_trigger(lambda: [channel.close() for channel in list(channels.values())])
    thread.join(timeout=30)
    wsgi.task_dispatcher.shutdown()
    for cached in (default_service, default_officer_auth, default_backoffice):
        cached.cache_clear()


@pytest.fixture
def served_port(tmp_path, site_dir, bundle_path):
    """functions/serve.py itself (one process, the guarded waitress) on tmp_path / "var"."""
    from .test_restart import start

    port = free_port()
    process = start(port, tmp_path / "var", site_dir, bundle_path, workers=1)
    yield port
    process.terminate()
    process.wait(timeout=10)
