"""axe-core on a built site's pages, in Chromium: the pull request's check of the pages a change
touches (scripts/pr/axe.sh), with the rules and the run the browser tests use
(tests/browser/conftest.py imports AXE_TAGS, run_axe and describe from here).

    python -m buildlib.review.accessibility SITE_DIR PAGES_FILE

PAGES_FILE lists one path below the site a line (`thu-tuc/1.001193/`). The site is served from
loopback as the embedded server serves it (chalicelib.local.wsgi.StaticSite: the procedure pages
are stored only gzipped); Chromium is Debian's (/usr/bin/chromium) driven by
Playwright; axe-core comes from node_modules (package-lock.json).
"""

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from buildlib import paths
from chalicelib.local.wsgi import StaticSite

AXE_JS = paths.ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Debian's; elsewhere (GitHub's runners) MOTCUA_CHROMIUM="" uses Playwright's own download.
CHROMIUM = os.environ.get("MOTCUA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"]


def run_axe(page: Any) -> list[dict]:
    """The violations of the page loaded in `page` (a Playwright Page), once its CSS transitions
    ended (a colour caught half-way through one is no contrast failure)."""
    # A function, not an expression string: polling a string needs eval, which the CSP refuses.
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')", timeout=3000
    )
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated by the driver, which the page's CSP does not govern.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return list(result["violations"])


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" [{len(violation['nodes'])} nodes] e.g. {' | '.join(targets)}"
        )
    return "\n".join(lines)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Threaded(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The site on a free loopback port, for the duration of the block: its base URL."""
    server = make_server(
        "127.0.0.1", 0, StaticSite(site), server_class=_Threaded, handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def check_pages(site: Path, pages: list[str]) -> dict[str, list[dict]]:
    """Each page's violations (pages without any are left out)."""
    from playwright.sync_api import sync_playwright

    found: dict[str, list[dict]] = {}
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM or None, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 360, "height": 800}, locale="vi-VN")
        page = context.new_page()
        for path in pages:
            page.goto(base + path)
            violations = run_axe(page)
            if violations:
                found[path] = violations
        browser.close()
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    site, listing = Path(args[0]), Path(args[1])
    pages = [line.strip() for line in listing.read_text(encoding="utf-8").splitlines()]
    pages = [p for p in pages if p]
    if not AXE_JS.is_file():
        print(f"Thiếu {AXE_JS}: chạy `npm ci`.", file=sys.stderr)
        return 2
    found = check_pages(site, pages)
    for path, violations in found.items():
        print(f"axe-core: {len(violations)} lỗi tiếp cận trên /{path}:\n{describe(violations)}")
    print(f"axe-core: {len(pages)} trang đã kiểm tra, {len(found)} trang có lỗi.")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
