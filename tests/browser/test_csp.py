"""The pages work under the Content-Security-Policy the README's server sends
(chalicelib/headers.py: no inline script, handler or style): Chromium reports no violation on any
kind of page while mkdocs-material's bundle, assets/frame.js and our scripts run, and another
origin cannot frame the application form. (Every other browser test runs under the same policy:
conftest.py fails a test on any violation the console reports.)"""

import http.server
import threading
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from buildlib.site import built
from chalicelib.headers import CONTENT_SECURITY_POLICY

from .conftest import ROOT, TIMEOUT_MS, Server

# Recorded from the first script of every document, before any of the page's own.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


def violations(page: Page) -> list[str]:
    reported = page.evaluate("window.__violations")
    in_console = [text for text in page.console_errors if "Content Security Policy" in text]
    return reported + in_console


@pytest.fixture
def csp_page(make_page: Callable[..., Page]) -> Page:
    page = make_page(360, 800)
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.header_warnings = []  # Chromium warns about a header it cannot parse, once per page
    page.on(
        "console",
        lambda m: "-Policy header" in m.text and page.header_warnings.append(m.text),
    )
    return page


def one_page_of_each_kind() -> list[str]:
    """A URL per (first folder, depth) of the README's site: home, about, lookup, procedure and
    its versions, application form, agency, life event, browse, open data, back office."""
    site = ROOT / "site"
    kinds: dict[tuple[str, int], str] = {}
    for page in built.find(site, "**/index.html"):
        parts = page.relative_to(site).parts[:-1]
        if parts[:1] != ("_shell",):  # the frame the build cuts up, never linked
            kinds.setdefault((parts[0] if parts else "", len(parts)), "/".join(parts))
    return [f"/{path}/" if path else "/" for path in kinds.values()]


def test_every_kind_of_page_runs_under_the_csp_without_a_violation(server: Server, csp_page: Page):
    paths = [*one_page_of_each_kind(), "/thu-tuc/9.999999/"]  # and the 404 page
    assert len(paths) >= 15, paths
    for path in paths:
        response = csp_page.goto(server.url + path, wait_until="networkidle")
        assert response is not None and response.status in (200, 404), path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        # mkdocs-material's storage helpers, from assets/frame.js instead of an inline script.
        if csp_page.locator("script[src$='assets/frame.js']").count():
            assert csp_page.evaluate("typeof __md_get") == "function", path
        assert violations(csp_page) == [], path
    assert csp_page.header_warnings == []


def test_the_menu_button_opens_the_menu_with_the_keyboard(server: Server, csp_page: Page):
    """Its handler was an inline attribute; the button and its handler are assets/frame.js's."""
    csp_page.goto(server.url + "/", wait_until="networkidle")
    menu = csp_page.get_by_role("button", name="Mở danh mục trang")
    assert menu.get_attribute("onclick") is None and menu.get_attribute("onkeydown") is None
    menu.focus()
    csp_page.keyboard.press("Enter")
    assert csp_page.evaluate("document.getElementById('__drawer').checked") is True
    csp_page.keyboard.press(" ")
    assert csp_page.evaluate("document.getElementById('__drawer').checked") is False
    assert violations(csp_page) == []


def test_search_on_the_home_page_works_under_the_csp(server: Server, csp_page: Page):
    csp_page.goto(server.url + "/")
    csp_page.get_by_role("searchbox", name="Tìm thủ tục").fill("khai sinh")
    csp_page.get_by_role("searchbox", name="Tìm thủ tục").press(
        "Enter"
    )  # no reload: search.js keeps the page
    expect(csp_page.locator("#tthc-search-results li").first).to_be_visible()
    assert csp_page.url == server.url + "/"
    assert violations(csp_page) == []


@pytest.fixture
def attacker_page(browser: Browser, server: Server) -> Iterator[Page]:
    """A page of another origin (its own server on another port) that frames the application
    form. A real server: Chromium's local-network checks refuse a routed page's frame first."""
    code = sorted(path.name for path in (ROOT / "site" / "nop-ho-so").iterdir())[0]
    form = f"{server.url}/nop-ho-so/{code}/"
    html = f'<!doctype html><title>x</title><iframe src="{form}" width="800" height="600"></iframe>'

    class Hostile(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.attacker_url = f"http://127.0.0.1:{attacker.server_address[1]}/"
    page.site = server.url
    yield page
    context.close()
    attacker.shutdown()
    attacker.server_close()


def test_another_origin_cannot_frame_the_application_form(attacker_page: Page):
    with attacker_page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refused:
        attacker_page.goto(attacker_page.attacker_url)
    assert "has been blocked" in refused.value.text, refused.value.text
    assert f"Framing '{attacker_page.site}/'" in refused.value.text  # our site, refused
    (frame,) = attacker_page.main_frame.child_frames
    assert frame.locator("input, button").count() == 0  # nothing of the form to click on
