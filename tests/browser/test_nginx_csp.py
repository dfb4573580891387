"""The built pages work under the Content-Security-Policy nginx sends (deploy/render.py
--standalone, a self-signed certificate, in front of the README's server, serving a copy of its
site/ with the build's gzip copies): the same policy as the embedded server's
(chalicelib/headers.py), and Chromium reports no violation while mkdocs-material's bundle,
assets/frame.js (its storage helpers, the menu's keyboard handler) and our modules run."""

import shutil
import ssl
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from chalicelib.headers import CONTENT_SECURITY_POLICY
from deploy import render
from tests.services import (
    Process,
    free_ports,
    http_ok,
    nginx_binary,
    self_signed_certificate,
    start,
    wait_until,
)

from .conftest import ROOT, TIMEOUT_MS
from .test_csp import RECORD_VIOLATIONS, violations

PAGES = ["/", "/tra-cuu/", "/can-bo/", "/du-lieu-mo/", "/co-quan/"]


@pytest.fixture(scope="module")
def behind_nginx(server, tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("nginx-csp")
    site = root / "site"
    shutil.copytree(ROOT / "site", site)  # with the build's .gz copies
    certificate, key = self_signed_certificate(root)
    https_port, http_port = free_ports(2)
    assert render.main([
        "--site", str(site), "--out", str(root / "conf"), "--standalone",
        "--certificate", str(certificate), "--key", str(key), f"--app-port={server.port}",
        "--https-listen", f"127.0.0.1:{https_port}", "--http-listen", f"127.0.0.1:{http_port}",
    ]) == 0  # fmt: skip
    conf = root / "conf"
    command = [nginx_binary(), "-p", str(conf), "-c", str(conf / "nginx.conf")]
    nginx: Process = start("nginx", [*command, "-e", str(conf / "error.log"), "-g", "daemon off;"],
                           root / "nginx.log")  # fmt: skip
    url = f"https://127.0.0.1:{https_port}"
    try:
        wait_until(nginx, lambda: http_ok(url + "/", _unverified()))
        yield url
    finally:
        nginx.stop()


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture
def csp_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": 360, "height": 800}, locale="vi-VN"
    )
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    yield page
    context.close()


def a_procedure_with_a_form() -> str:
    return sorted(path.name for path in (ROOT / "site" / "nop-ho-so").iterdir() if path.is_dir())[0]


def test_the_pages_run_under_the_csp_without_a_violation(behind_nginx: str, csp_page: Page):
    code = a_procedure_with_a_form()
    for path in [*PAGES, f"/thu-tuc/{code}/", f"/nop-ho-so/{code}/"]:
        response = csp_page.goto(behind_nginx + path, wait_until="networkidle")
        assert response is not None and response.status == 200, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        if csp_page.locator("script[src$='assets/frame.js']").count():
            assert csp_page.evaluate("typeof __md_get") == "function", path
        assert violations(csp_page) == [], path


def test_the_menu_opens_with_the_keyboard(behind_nginx: str, csp_page: Page):
    """The menu button's handler (assets/frame.js, no inline attribute) runs."""
    csp_page.goto(behind_nginx + "/", wait_until="networkidle")
    csp_page.get_by_role("button", name="Mở danh mục trang").focus()
    csp_page.keyboard.press("Enter")
    assert csp_page.evaluate("document.getElementById('__drawer').checked") is True
    assert violations(csp_page) == []
