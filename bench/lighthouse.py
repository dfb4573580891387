"""Lighthouse (mobile) on every page type of the built site: the issue's "≥ 99 on every page type".

.venv/bin/python bench/lighthouse.py [--site-dir DIR --port P] [--runs 1] [--min 99]
    -> Markdown table (page type, performance, accessibility, best practices, SEO, page weight),
       also bench/out/lighthouse/results.md, and each report's JSON beside it

Lighthouse from npm (package.json pins it; `npm ci` installs it) drives Debian's
/usr/bin/chromium (CHROME_PATH) headless, with its default mobile profile: a Moto G Power's
412x823 screen, CPU slowed 4x, 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trips (simulated).
The site is built into a temporary folder with the public URL it is served at (canonical links
and sitemaps name the origin Lighthouse loads), then served by functions/serve.py, the README's
server (pages gzipped as nginx sends them), on a free port of 127.0.0.1. Page weight is
Lighthouse's total-byte-weight: every byte transferred for the page, headers included.

A page whose run measures nothing (Lighthouse fails, or its report holds a runtime error such as
NO_NAVSTART, a trace that lost the navigation) is tried once more; if that fails too, its row says
so and the other page types are still measured. The exit status is 1 when a score of any page
type is below --min (99) or a page type could not be measured: a measurement, not a test (it is
not in `make test`), runnable by one command.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from buildlib.site import built

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# One page of each type the site has (template or route), the citizen's then the officer's.
PAGE_TYPES = [
    ("Trang chủ", "/"),
    ("Thủ tục", "/thu-tuc/1.001193/"),
    ("Phiên bản cũ của thủ tục", "/thu-tuc/1.001612/2021-01-04/"),
    ("Danh sách giấy tờ (in)", "/thu-tuc/1.001193/in/"),
    ("Nộp hồ sơ trực tuyến", "/nop-ho-so/1.001193/"),
    ("Thủ tục nộp trực tuyến", "/nop-truc-tuyen/"),
    ("Tìm kiếm", "/tim-kiem/"),
    ("Tra cứu hồ sơ", "/tra-cuu/"),
    ("Duyệt", "/duyet/"),
    ("Duyệt theo lĩnh vực", "/duyet/linh-vuc/ho-tich/"),
    ("Sự kiện cuộc sống", "/su-kien/khai-sinh/"),
    ("Cơ quan", "/co-quan/"),
    ("Một cơ quan", None),  # the first agency page of the build
    ("Giới thiệu", "/gioi-thieu/"),
    ("Dữ liệu mở", "/du-lieu-mo/"),
    ("Cán bộ: đăng nhập", "/can-bo/"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build(site_dir: Path, cache_dir: Path, origin: str) -> None:
    command = [sys.executable, "build.py", "build", "--full", "--site-dir", str(site_dir)]
    command += ["--cache-dir", str(cache_dir), "--public-url", origin]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    # The API's catalogue bundle, which functions/serve.py loads (as scripts/run.sh builds it).
    bundle = [sys.executable, "build.py", "bundle"]
    subprocess.run(bundle, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def page_paths(site_dir: Path) -> list[tuple[str, str]]:
    """The page types whose page this build has (a missing one is reported, not measured)."""
    found = []
    for name, path in PAGE_TYPES:
        if path is None:
            agencies = sorted(p.parent.name for p in (site_dir / "co-quan").glob("*/index.html"))
            path = f"/co-quan/{agencies[0]}/" if agencies else ""
        on_disk = site_dir / path.strip("/") / "index.html"
        if path and built.exists(on_disk):
            found.append((name, path))
        else:
            print(f"(không có trang loại “{name}” trong bản dựng này)", file=sys.stderr)
    return found


def serve(site_dir: Path, data_dir: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "functions/serve.py", "--port", str(port)]
    command += ["--site-dir", str(site_dir), "--data-dir", str(data_dir), "--workers", "1"]
    command += ["--purge-every", "0", "--outbox-every", "0"]
    env = {**os.environ, "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"functions/serve.py exited with {process.returncode}") from None
            time.sleep(0.3)
    stop(process)
    raise SystemExit("functions/serve.py did not answer in time")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


class LighthouseError(Exception):
    """A run that measured nothing: Lighthouse failed or reported a runtime error."""


def measure(url: str, report: Path) -> dict | None:
    """One Lighthouse run, tried a second time if the first measured nothing (a trace error
    such as NO_NAVSTART happens now and then on a busy machine); None, and the reason on stderr,
    if the second fails too: the page type is reported unmeasured and the others still run."""
    for attempt in (1, 2):
        try:
            return lighthouse(url, report)
        except (LighthouseError, subprocess.SubprocessError, OSError, ValueError) as error:
            print(f"{url}: lần đo {attempt} không thành: {error}", file=sys.stderr)
    return None


def lighthouse(url: str, report: Path) -> dict:
    """One Lighthouse run: the four category scores (0-100) and the page weight in bytes."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
    ]
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", CHROMIUM)}
    subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=300)
    result = json.loads(report.read_text(encoding="utf-8"))
    if error := result.get("runtimeError"):  # e.g. NO_NAVSTART: the trace lost the navigation
        raise LighthouseError(f"{error['code']}: {error['message']}")
    scores = {c: round(100 * (result["categories"][c]["score"] or 0)) for c in CATEGORIES}
    scores["bytes"] = int(result["audits"]["total-byte-weight"]["numericValue"])
    scores["failed"] = [
        audit_id
        for category in CATEGORIES
        for ref in result["categories"][category]["auditRefs"]
        if ref["weight"]
        and (audit_id := ref["id"])
        and result["audits"][audit_id]["score"] is not None
        and result["audits"][audit_id]["score"] < 1
        and result["audits"][audit_id]["scoreDisplayMode"] in ("binary", "numeric", "metricSavings")
    ]
    return scores


def table(rows: list[tuple[str, str, dict | None]]) -> str:
    lines = [
        "| page type | path | performance | accessibility | best practices | SEO | page weight |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for name, path, s in rows:
        if s is None:
            lines.append(f"| {name} | `{path}` | không đo được (xem stderr) | | | | |")
            continue
        weight = f"{s['bytes'] / 1024:,.0f} KB"
        lines.append(
            f"| {name} | `{path}` | {s['performance']} | {s['accessibility']} | "
            f"{s['best-practices']} | {s['seo']} | {weight} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", help="a site already built for the port given (--port)")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--runs", type=int, default=1, help="median of this many runs per page")
    parser.add_argument("--min", type=int, default=99, help="the lowest acceptable score")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "lighthouse"))
    parser.add_argument("--only", help="measure only the paths that contain this text")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.is_file():
        print(f"{LIGHTHOUSE} is missing: run `npm ci`", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    origin = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="motcua-lighthouse-"))
    try:
        site_dir = Path(args.site_dir) if args.site_dir else work / "site"
        if not args.site_dir:
            print(f"Dựng trang cho {origin} ...", file=sys.stderr)
            build(site_dir, work / "cache", origin)
        server = serve(site_dir, work / "var", port)
        rows = []
        try:
            for index, (name, path) in enumerate(page_paths(site_dir)):
                if args.only and args.only not in path:
                    continue
                measured = (
                    measure(origin + path, out / f"{index:02d}-{run}.json")
                    for run in range(args.runs)
                )
                runs = [r for r in measured if r is not None]
                if not runs:
                    rows.append((name, path, None))
                    continue
                median = {
                    key: statistics.median(r[key] for r in runs) for key in (*CATEGORIES, "bytes")
                }
                median["failed"] = sorted({a for r in runs for a in r["failed"]})
                rows.append((name, path, median))
                print(f"{name}: {median}", file=sys.stderr)
        finally:
            stop(server)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = table(rows)
    (out / "results.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    low = [
        (name, s["failed"])
        for name, _, s in rows
        if s is not None and min(s[c] for c in CATEGORIES) < args.min
    ]
    for name, failed in low:
        print(f"dưới {args.min}: {name} ({', '.join(failed)})", file=sys.stderr)
    unmeasured = [name for name, _, s in rows if s is None]
    if unmeasured:
        print(f"không đo được: {', '.join(unmeasured)}", file=sys.stderr)
    return 1 if low or unmeasured else 0


if __name__ == "__main__":
    raise SystemExit(main())
