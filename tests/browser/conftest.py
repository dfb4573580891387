"""Browser tests: the README's run command serving the site, driven by a real Chromium.

Chromium is the Debian package (/usr/bin/chromium), driven by Playwright's Python package
(`playwright install` is never run); axe-core comes from npm (package-lock.json). `make test`
(scripts/test.sh) installs all three, then runs this folder as a separate, serial pytest run.

Every test here is marked ``browser`` (pytest_collection_modifyitems below), so the unit tier
(``make test-fast``) leaves them out. They run on the seed catalogue (catalogue/), the one the
README's run command builds.

Fixtures:

- ``server`` (session): ``scripts/run.sh --port <free port> --data-dir <tmp>``, the README's run
  command (installs, builds site/ and the API bundle, serves both), in its own process group,
  killed at the end. Attributes: ``url`` ("http://127.0.0.1:PORT", no trailing slash),
  ``data_dir`` (Path), ``port``, ``host`` ("127.0.0.1:PORT"). If the build or the server fails,
  the fixture fails with the process output.
- ``browser`` (session): Playwright's sync Chromium, headless, with background networking off.
- ``page`` (function): a fresh context at 360x800 (a phone), locale vi-VN, time zone
  Asia/Ho_Chi_Minh. At teardown the test fails if any request left ``server.host`` (data: and
  blob: URLs are allowed), if any uncaught page error ("pageerror") happened or if the console
  reports a Content-Security-Policy violation (the server sends chalicelib/headers.py's). Console
  errors are collected in ``page.console_errors`` (list of str) for tests to assert on; uncaught
  errors are in ``page.page_errors`` and every requested URL in ``page.requested_urls``.
- ``wide_page`` (function): the same at 1280x800.
- ``make_page`` (function): ``make_page(width=360, height=800, **context_options)`` for other
  contexts, e.g. ``make_page(java_script_enabled=False)``; same checks at teardown.
- ``axe``: ``axe(page, name)`` waits for running CSS transitions and animations to end, injects
  axe-core into the page, runs the WCAG 2.0/2.1/2.2 A and AA rules and fails with a readable list
  (rule, impact, help, first three targets) on any violation.
- ``shot``: ``shot(page, name)`` saves a full-page PNG to test-artifacts/screenshots/<name>.png.
- ``facts`` (session): what the pages should show, read from the seed catalogue (never from the
  built site): ``versions(code)``, ``shown(code)`` (the version the stable URL shows today, as the
  build picks it), ``agency(id)``, ``life_event(id)``, ``fields`` (id -> name), ``codes``,
  ``today`` (ISO date).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from buildlib.review.accessibility import AXE_JS, describe, run_axe

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SERVER_START_TIMEOUT = 300  # seconds: run.sh may install the venv, then builds site and bundle
LOCAL_SCHEMES = ("data:", "blob:", "about:")
TIMEOUT_MS = 15_000  # waits and expect(); generous: two cores shared with other work
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is in the ``browser`` tier (a hook sees the whole session)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    port: int

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("var")
    log_path = tmp_path_factory.mktemp("run") / "run.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w+b") as log:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run.sh"), "--port", str(port), "--data-dir", str(data_dir)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: run.sh execs serve.py; kill them all
        )

        def output() -> str:
            return log_path.read_bytes().decode("utf-8", "replace")[-8000:]

        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not _answers(url + "/"):
                if process.poll() is not None:
                    pytest.fail(f"scripts/run.sh exited with {process.returncode}:\n{output()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"scripts/run.sh: no answer at {url}/ in time:\n{output()}")
                time.sleep(0.3)
            yield Server(url=url, data_dir=data_dir, port=port)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


class Facts:
    """The seed catalogue as the tests' source of expected values."""

    def __init__(self, catalogue: Path, today: str) -> None:
        self.catalogue = catalogue
        self.today = today
        fields = self._load(catalogue / "fields.yaml")["fields"]
        self.fields = {f["id"]: f["name"] for f in fields}

    @staticmethod
    def _load(path: Path) -> dict:
        from buildlib.catalogue.yamlsource import load_text

        return load_text(path.read_text(encoding="utf-8"), path.name)[0]

    @property
    def codes(self) -> list[str]:
        return sorted(p.name for p in (self.catalogue / "procedures").iterdir() if p.is_dir())

    def versions(self, code: str) -> list[dict]:
        folder = self.catalogue / "procedures" / code
        return [self._load(p) for p in sorted(folder.glob("*.yaml"))]

    def shown(self, code: str) -> dict:
        from chalicelib.versions import shown_version

        return shown_version(self.versions(code), self.today)

    def agency(self, agency: str) -> dict:
        return self._load(self.catalogue / "agencies" / f"{agency}.yaml")

    def life_event(self, event: str) -> dict:
        return self._load(self.catalogue / "life-events" / f"{event}.yaml")


@pytest.fixture(scope="session")
def facts(server: Server) -> Facts:
    # The server built the site with today's date when it started (build.py build's default).
    return Facts(ROOT / "catalogue", dt.date.today().isoformat())


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def make_page(browser: Browser, server: Server) -> Iterator[Callable[..., Page]]:
    contexts = []
    pages: list[Page] = []

    def make(width: int = 360, height: int = 800, **options) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.requested_urls = []
        page.console_errors = []
        page.page_errors = []
        context.on("request", lambda request: page.requested_urls.append(request.url))
        page.on(
            "console",
            lambda message: (
                page.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: page.page_errors.append(str(error)))
        pages.append(page)
        return page

    yield make
    problems = []
    for page in pages:
        offsite = sorted(
            {
                url
                for url in page.requested_urls
                if not url.startswith(LOCAL_SCHEMES) and urlsplit(url).netloc != server.host
            }
        )
        if offsite:
            problems.append("requests to other hosts:\n  " + "\n  ".join(offsite))
        if page.page_errors:
            problems.append("uncaught page errors:\n  " + "\n  ".join(page.page_errors))
        blocked = [text for text in page.console_errors if "Content Security Policy" in text]
        if blocked:  # every page runs under the server's CSP (chalicelib/headers.py)
            problems.append("Content-Security-Policy violations:\n  " + "\n  ".join(blocked))
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(make_page: Callable[..., Page]) -> Page:
    return make_page(360, 800)


@pytest.fixture
def wide_page(make_page: Callable[..., Page]) -> Page:
    return make_page(1280, 800)


@pytest.fixture
def axe() -> Callable[[Page, str], None]:
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` (scripts/test.sh does)")

    def check(page: Page, name: str) -> None:
        # The pull request's axe step runs the same rules the same way (scripts/pr/axe.sh).
        violations = run_axe(page)
        if violations:
            pytest.fail(
                f"axe-core: {len(violations)} violation(s) on {name} ({page.url}):\n"
                + describe(violations),
                pytrace=False,
            )

    return check


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        # A full-page PNG of a long list (/duyet/cap/xa/ at 320 px) took over 15 s on two cores
        # under a load of 20: the picture is for people to look at, not an assertion, so it
        # gets longer than the waits.
        page.screenshot(path=str(path), full_page=True, timeout=4 * TIMEOUT_MS)
        return path

    return take
