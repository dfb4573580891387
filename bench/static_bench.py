"""Static files through the embedded server: this checkout next to another revision (main by
default), in one run, on the same built site.

python -m bench.static_bench [--baseline main] [--duration 5] [--concurrency 1,4]

The site is built once from this checkout (the seed catalogue, into a scratch folder: pages and
the build's .gz copies). Each revision's functions/ (the baseline's from `git archive`, nothing
checked out) runs `functions/serve.py --workers 1` on that site; its chalicelib is the one next
to its serve.py (the script's folder comes first on sys.path). For a procedure page, the search
index's meta.json and its largest shard, and mkdocs-material's bundle (the largest script), with
`Accept-Encoding: gzip`: requests/s (keep-alive connections from threads, as bench/api_bench.py
loads) and the server's CPU per request (utime + stime from /proc), plus the bytes each reply
carried. Writes bench/out/static-results.md.
"""

import argparse
import contextlib
import io
import itertools
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.api_bench import Server, cpu_seconds, free_port, started
from buildlib.bundle import bundle_command
from buildlib.site import built
from buildlib.site.build import build_command

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass
class Result:
    revision: str
    target: str
    concurrency: int
    requests: int
    wall: float
    server_cpu: float
    reply_bytes: int
    encoding: str

    @property
    def per_second(self) -> float:
        return self.requests / self.wall

    @property
    def cpu_us(self) -> float:
        return self.server_cpu / self.requests * 1e6


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description="Đo tệp tĩnh qua máy chủ nhúng, so với bản khác")
    top.add_argument("--baseline", default="main", help="bản so sánh (git rev)")
    top.add_argument("--duration", type=float, default=5.0, help="giây mỗi phép đo")
    top.add_argument("--concurrency", default="1,4", help="số kết nối song song, cách bằng ,")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    levels = [int(n) for n in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory(prefix="static-bench-") as scratch:
        work = Path(scratch)
        site, bundle = build_site(work)
        targets = pick_targets(site)
        baseline = export(args.baseline, work / "baseline")
        results: list[Result] = []
        for name, functions in ((args.baseline, baseline), ("this branch", ROOT / "functions")):
            with serving(name, functions, site, bundle, work) as server:
                for target in targets:
                    for level in levels:
                        results.append(load(server, name, target, level, args.duration))
                        log(format_row(results[-1]))
    table = report(results, args.baseline, levels)
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "static-results.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_site(work: Path) -> tuple[Path, Path]:
    out = io.StringIO()
    catalogue = ROOT / "catalogue"
    if build_command(catalogue, out=out, site_dir=work / "site", cache_dir=work / "cache"):
        raise SystemExit(out.getvalue())
    with contextlib.redirect_stdout(io.StringIO()):
        if bundle_command(catalogue, work / "bundle.json", out=io.StringIO()):
            raise SystemExit("bundle failed")
    return work / "site", work / "bundle.json"


def pick_targets(site: Path) -> list[str]:
    page = next(built.find(site / "thu-tuc", "*/index.html"))  # stored only gzipped
    shards = [p for p in (site / "search").rglob("*.json") if p.name != "meta.json"]
    shard = max(shards, key=lambda p: p.stat().st_size)
    bundle = max(
        (site / "assets" / "javascripts").glob("bundle.*.js"), key=lambda p: p.stat().st_size
    )
    files = (page, site / "search" / "meta.json", shard, bundle)
    return ["/" + str(p.relative_to(site)) for p in files]


def export(revision: str, into: Path) -> Path:
    """The revision's functions/ folder, from git's objects (no checkout, no worktree)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "functions"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "functions"


@contextlib.contextmanager
def serving(name: str, functions: Path, site: Path, bundle: Path, work: Path) -> Iterator[Server]:
    port = free_port()
    data = work / f"var-{port}"
    command = [sys.executable, str(functions / "serve.py"), "--port", str(port), "--workers", "1"]
    command += ["--data-dir", str(data), "--site-dir", str(site)]
    env = {
        "PATH": "/usr/bin:/bin",
        "MOTCUA_BUNDLE": str(bundle),
        "MOTCUA_STORAGE": "embedded",
        "MOTCUA_DATA_DIR": str(data),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    with started(name, command, port, work, env) as server:
        yield server


def load(server: Server, revision: str, target: str, concurrency: int, duration: float) -> Result:
    """`concurrency` threads, each with a keep-alive connection, GET `target` for `duration`."""
    probe = server.connection(10)
    probe.request("GET", target, headers={"Accept-Encoding": "gzip"})
    response = probe.getresponse()
    size, encoding = len(response.read()), response.getheader("Content-Encoding") or "none"
    probe.close()
    if response.status != 200:
        raise SystemExit(f"{revision}: {target} answered {response.status}")
    counts = itertools.count()
    done: list[int] = []
    stop_at = [0.0]
    barrier = threading.Barrier(concurrency + 1)

    def worker() -> None:
        conn = server.connection(10)
        ok = 0
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            conn.request("GET", target, headers={"Accept-Encoding": "gzip"})
            reply = conn.getresponse()
            reply.read()
            ok += reply.status == 200
            next(counts)
        conn.close()
        done.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    before = cpu_seconds(server.pid)
    began = time.perf_counter()
    stop_at[0] = began + duration
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return Result(
        revision,
        target,
        concurrency,
        sum(done),
        wall,
        cpu_seconds(server.pid) - before,
        size,
        encoding,
    )


def format_row(r: Result) -> str:
    return (
        f"| `{r.target}` | {r.concurrency} | {r.revision} | {r.per_second:,.0f} | "
        f"{r.cpu_us:,.0f} | {r.reply_bytes:,} ({r.encoding}) |"
    )


def report(results: list[Result], baseline: str, levels: list[int]) -> str:
    lines = [
        f"Static files through functions/serve.py --workers 1: {baseline} vs this branch, same "
        "site, Accept-Encoding: gzip.",
        "",
        "| file | connections | revision | requests/s | server CPU µs/request | reply bytes |",
        "|---|---:|---|---:|---:|---|",
    ]
    order = {r.revision: i for i, r in enumerate(results)}
    for r in sorted(results, key=lambda r: (r.target, r.concurrency, order[r.revision])):
        lines.append(format_row(r))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
