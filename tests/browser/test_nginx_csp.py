"""The built pages work under the Content-Security-Policy of deploy/nginx/motcua.conf: nginx
(deploy/render.py --standalone, a self-signed certificate) serves a copy of the README's site/ in
front of the README's server, and Chromium reports no policy violation while mkdocs-material's
inline script, its keyboard handler (a hashed attribute) and our modules run."""

import shutil
import ssl
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

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

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""
PAGES = ["/", "/tra-cuu/", "/can-bo/", "/du-lieu-mo/", "/co-quan/"]


@pytest.fixture(scope="module")
def behind_nginx(server, tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("nginx-csp")
    site = root / "site"
    shutil.copytree(ROOT / "site", site)  # render.py writes .gz files next to the pages
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


def violations(page: Page) -> list[str]:
    reported = page.evaluate("window.__violations")
    in_console = [text for text in page.console_errors if "Content Security Policy" in text]
    return reported + in_console


def a_procedure_with_a_form() -> str:
    return sorted(path.name for path in (ROOT / "site" / "nop-ho-so").iterdir() if path.is_dir())[0]


def test_the_pages_run_under_the_csp_without_a_violation(behind_nginx: str, csp_page: Page):
    code = a_procedure_with_a_form()
    for path in [*PAGES, f"/thu-tuc/{code}/", f"/nop-ho-so/{code}/"]:
        response = csp_page.goto(behind_nginx + path, wait_until="networkidle")
        assert response is not None and response.status == 200, path
        assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
        if "__md_scope=" in (ROOT / "site" / path.lstrip("/") / "index.html").read_text():
            # mkdocs-material's inline script ran: it defines __md_scope.
            assert csp_page.evaluate("typeof __md_scope") != "undefined", path
        assert violations(csp_page) == [], path


def test_the_hashed_keyboard_handler_runs(behind_nginx: str, csp_page: Page):
    """mkdocs-material's menu button is a label with an onkeydown attribute: allowed by its hash
    ('unsafe-hashes'), so Enter on it opens the menu."""
    csp_page.goto(behind_nginx + "/", wait_until="networkidle")
    csp_page.locator("label[for='__drawer'][onkeydown]").first.focus()
    csp_page.keyboard.press("Enter")
    assert csp_page.evaluate("document.getElementById('__drawer').checked") is True
    assert violations(csp_page) == []
