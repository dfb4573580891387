"""The application page on a cheap phone: when it first paints, and when its form can be used.

python -m bench.apply_ready --site-dir SITE [--site-dir OTHER ...] [--runs 5] [--path P]
    -> Markdown table (site, first contentful paint, form usable, their difference): medians,
       and the range of the runs (fastest–slowest) beside the first two

Real Chromium (Debian's /usr/bin/chromium through Playwright, as the browser tests) at 412x823,
with Chrome DevTools Protocol throttling like Lighthouse's mobile profile: 1.6 Mbit/s down,
750 kbit/s up, 150 ms added to every request, CPU slowed 4x (applied, not simulated as
Lighthouse does). Each site (built for any origin: `build.py build --site-dir`) is served by
functions/serve.py (gzip as nginx sends it) on a free port; the sites' runs alternate, each in a
fresh browser context (empty cache). Measured in the page: the first contentful paint (Paint
Timing) and the moment apply.js shows the form (#ap-app loses `hidden`: its "Bắt đầu khai" button
works from then on), both from the navigation's start.
"""

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.lighthouse import free_port, serve, stop
from bench.throttle import throttle
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

WATCH = """
new MutationObserver((records, observer) => {
  const app = document.getElementById("ap-app");
  if (app && !app.hidden) {
    window.__formReady = performance.now();
    observer.disconnect();
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["hidden"] });
"""
FCP = "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null"
READY = "() => window.__formReady ?? null"


def one_run(browser, url: str) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 412, "height": 823}, is_mobile=True)
    try:
        page = context.new_page()
        throttle(context, page, latency_ms=150, down_bps=1_600_000, up_bps=750_000, cpu=4)
        page.add_init_script(WATCH)
        page.goto(url, wait_until="commit")
        page.wait_for_function(READY, timeout=60_000)
        page.wait_for_function(FCP, timeout=60_000)
        return float(page.evaluate(FCP)), float(page.evaluate(READY))
    finally:
        context.close()


def spread(values: list[float]) -> str:
    """The median, and the fastest and slowest run: `1,288 (1,190–1,420)`."""
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", action="append", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--path", default="/nop-ho-so/1.001193/")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="motcua-apply-ready-"))
    servers, urls = [], []
    try:
        for index, site in enumerate(args.site_dir):
            port = free_port()
            servers.append(serve(Path(site), work / f"var{index}", port))
            urls.append(f"http://127.0.0.1:{port}{args.path}")
        results: list[list[tuple[float, float]]] = [[] for _ in urls]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            for _ in range(args.runs):
                for index, url in enumerate(urls):
                    results[index].append(one_run(browser, url))
            browser.close()
    finally:
        for server in servers:
            stop(server)
        shutil.rmtree(work, ignore_errors=True)
    print("| site | first contentful paint ms | form usable ms | usable − paint ms | runs |")
    print("|---|--:|--:|--:|--:|")
    for site, runs in zip(args.site_dir, results, strict=True):
        fcp = spread([r[0] for r in runs])
        ready = spread([r[1] for r in runs])
        gap = statistics.median(r[1] - r[0] for r in runs)
        print(f"| `{site}` | {fcp} | {ready} | {gap:,.0f} | {len(runs)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
