"""Search on a cheap phone: time from typing a query on the home page to the first result.

python -m bench.search_phone [--site-dir site] [--sizes 10000] [--runs 3]
    -> Markdown table, also bench/out/search-phone-results.md

Real Chromium (Debian's /usr/bin/chromium through Playwright, as the browser tests) at 360x800,
with Chrome DevTools Protocol throttling like Lighthouse's mobile profile: 1.6 Mbit/s down,
750 kbit/s up, 150 ms added to every request, CPU slowed 4x. Sites:

- "seed": the built site (site/, from `build.py build`).
- "N synthetic": the seed site's pages with the search index of the synthetic catalogue
  bench/out/catalogue-N-seed0 (written by bench/synthetic.py when missing) in place of the
  seed's: the home page and search.js are the same, only site/search/ differs.

Each site is served from a temporary copy by a small static server on 127.0.0.1, once with gzip
(what a static host or CDN sends for JSON and JS) and once without (functions/serve.py today).
For every query, a fresh browser context (empty cache) loads the home page and waits for it to
be idle; then the box gets focus and the query in one input event (a paste: typing speed left
out, the search's 120 ms debounce included). Measured in the page: from that input event to the
first result in the list (a MutationObserver), and the bytes received for search files in that
interval (CDP Network.loadingFinished: encoded bytes with headers). A second query in the same
page measures a warm index (meta.json cached, new shards fetched). Medians over --runs.
"""

import argparse
import gzip
import http.server
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

from bench.throttle import throttle
from tests.browser.conftest import CHROMIUM  # Debian's Chromium, as the tests run it
from tests.browser.conftest import CHROMIUM_ARGS as ARGS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

# (cold query, warm query typed next in the same page)
QUERIES = [
    ("dang ky khai sinh", "giay phep xay dung"),
    ("sổ đỏ", "cap lai can cuoc"),
    ("1.001193", "tam tru"),
    ("giay phep lai xe", "ket hon"),
    ("chung thuc ban sao", "ho kinh doanh"),
]
COMPRESSED = (".json", ".js", ".css", ".html", ".svg", ".xml")

TYPE_AND_WAIT = """query => new Promise(resolve => {
  const box = document.getElementById('tthc-search-input');
  const list = document.getElementById('tthc-search-results');
  const status = document.getElementById('tthc-search-status');
  while (list.firstChild) list.removeChild(list.firstChild);
  let t0 = 0;
  const done = (first) => resolve({ms: performance.now() - t0, t0: t0, first: first});
  const observer = new MutationObserver(() => {
    const a = list.querySelector('a');
    const none = status.textContent.indexOf('Không tìm thấy') === 0;
    if (a || none) { observer.disconnect(); done(a ? a.textContent : null); }
  });
  observer.observe(list, {childList: true, subtree: true});
  observer.observe(status, {childList: true, characterData: true, subtree: true});
  t0 = performance.now();
  box.focus();
  box.value = query;
  box.dispatchEvent(new Event('input', {bubbles: true}));
})"""


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed when the server says so and the client accepts it."""

    gzip_on = False

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.gzip_on and accepts and path.suffix in COMPRESSED and path.is_file()):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        return io.BytesIO(body)


def serve(directory: Path, gzip_on: bool) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = type("H", (Handler,), {"gzip_on": gzip_on})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(handler, directory=str(directory))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def synthetic_site(seed_site: Path, count: int, work: Path) -> Path:
    from buildlib.catalogue.load import load
    from buildlib.site import search

    catalogue = OUT / f"catalogue-{count}-seed0"
    if not (catalogue / "procedures").is_dir():
        cmd = [sys.executable, str(ROOT / "bench" / "synthetic.py"), "--count", str(count)]
        subprocess.run([*cmd, "--out", str(catalogue)], check=True)
    site = work / f"site-{count}"
    shutil.copytree(seed_site, site, ignore=shutil.ignore_patterns("thu-tuc", "du-lieu-mo"))
    started = time.perf_counter()
    search.write_index(load(catalogue), site, time.strftime("%Y-%m-%d"))
    print(f"  chỉ mục {count}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return site


def measure(browser, url: str, cold: str, warm: str, args) -> dict:
    context = browser.new_context(
        viewport={"width": 360, "height": 800}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    page = context.new_page()
    cdp = throttle(
        context,
        page,
        latency_ms=args.latency,
        down_bps=args.down_kbps * 1024,
        up_bps=args.up_kbps * 1024,
        cpu=args.cpu,
    )
    urls: dict[str, str] = {}
    received: list[tuple[str, int]] = []
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.append((urls.get(e["requestId"], ""), int(e["encodedDataLength"]))),
    )
    started = time.perf_counter()
    page.goto(url + "/", wait_until="load")
    load_s = time.perf_counter() - started
    page.wait_for_load_state("networkidle")
    page_bytes = sum(n for _, n in received)
    out = {"load_s": load_s, "page_bytes": page_bytes}
    for label, query in (("cold", cold), ("warm", warm)):
        before = len(received)
        result = page.evaluate(TYPE_AND_WAIT, query)
        page.wait_for_timeout(50)  # let loadingFinished events arrive
        searched = [n for u, n in received[before:] if "/search/" in u]
        out[label] = {"ms": result["ms"], "bytes": sum(searched), "files": len(searched)}
        out[label + "_first"] = result["first"]
    context.close()
    return out


def kb(n: float) -> str:
    return f"{n / 1024:,.1f} KB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Đo tìm kiếm trên điện thoại chậm (Chromium)")
    parser.add_argument("--site-dir", type=Path, default=ROOT / "site")
    parser.add_argument("--sizes", default="10000", help="synthetic catalogues; '' for none")
    parser.add_argument("--runs", type=int, default=1, help="rounds over the 5 query pairs")
    parser.add_argument("--down-kbps", type=float, default=1.6 * 1024)
    parser.add_argument("--up-kbps", type=float, default=750)
    parser.add_argument("--latency", type=float, default=150, help="ms added per request")
    parser.add_argument("--cpu", type=float, default=4, help="CPU slowdown factor")
    parser.add_argument("--out", type=Path, default=OUT / "search-phone-results.md")
    args = parser.parse_args(argv)
    if not (args.site_dir / "index.html").is_file():
        print(f"Chưa có trang web trong {args.site_dir}: chạy `build.py build` trước.")
        return 1

    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sites = [("seed", Path(shutil.copytree(args.site_dir, Path(tmp) / "seed")))]
        for size in filter(None, args.sizes.split(",")):
            sites.append(
                (f"{int(size):,} synthetic", synthetic_site(args.site_dir, int(size), Path(tmp)))
            )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            for name, directory in sites:
                for gzip_on in (True, False):
                    server, url = serve(directory, gzip_on)
                    runs = [
                        measure(browser, url, cold, warm, args)
                        for _ in range(args.runs)
                        for cold, warm in QUERIES
                    ]
                    server.shutdown()
                    server.server_close()
                    missing = [r for r in runs if not r["cold_first"] or not r["warm_first"]]
                    rows.append((name, "gzip" if gzip_on else "none", runs, len(missing)))
                    print(f"  {name}, {'gzip' if gzip_on else 'none'}: xong", file=sys.stderr)
            browser.close()

    med = statistics.median
    lines = [
        "# Search on a throttled phone (bench/search_phone.py)",
        "",
        f"Chromium 360x800, {args.down_kbps / 1024:.1f} Mbit/s down, {args.up_kbps:.0f} kbit/s up,"
        f" +{args.latency:.0f} ms per request, CPU {args.cpu:g}x slower. Medians over"
        f" {len(QUERIES) * args.runs} fresh page loads; a query is pasted in one input event;"
        " times include the 120 ms debounce.",
        "",
        "| site | encoding | home page to load event | home page bytes | first result, cold"
        " (median / max) | search bytes, cold | first result, warm (median / max)"
        " | search bytes, warm | queries without a result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, encoding, runs, missing in rows:
        cold = [r["cold"]["ms"] for r in runs]
        warm = [r["warm"]["ms"] for r in runs]
        lines.append(
            f"| {name} | {encoding} | {med(r['load_s'] for r in runs):.2f} s"
            f" | {kb(med(r['page_bytes'] for r in runs))}"
            f" | {med(cold):,.0f} ms / {max(cold):,.0f} ms"
            f" | {kb(med(r['cold']['bytes'] for r in runs))}"
            f" | {med(warm):,.0f} ms / {max(warm):,.0f} ms"
            f" | {kb(med(r['warm']['bytes'] for r in runs))} | {missing} |"
        )
    table = "\n".join(lines) + "\n"
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
