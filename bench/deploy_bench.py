"""The two self-hosted setups side by side, in one run: the embedded server (functions/serve.py,
SQLite + files, the README's run command) and deploy/'s recipe (nginx over HTTPS in front of two
app processes on PostgreSQL and SeaweedFS).

python -m bench.deploy_bench [--duration 5] [--concurrency 4,16] [--max-requests 50000]
                             [--apps 2] [--bundle PATH] [--no-durable] [--direct]

Everything runs on 127.0.0.1 and is stopped at the end: a throw-away PostgreSQL cluster (with
fsync and synchronous_commit on, as SQLite syncs each commit; --no-durable turns them off as the
tests do), SeaweedFS, the app processes and nginx (tests/services.py starts them, as the nginx
end-to-end test does). Status lookups and submissions per second with p50/p99 latency per
concurrency come from bench/api_bench.py's load generator (one keep-alive connection per client
thread; over TLS to nginx), then every answered submission is checked (distinct codes, a sample
found again). --direct also loads one app process of the recipe directly (plain HTTP, no nginx),
to tell nginx's and TLS's share from PostgreSQL's. Prints a Markdown table and writes it to
bench/out/deploy-results.md.
"""

import argparse
import contextlib
import http.client
import json
import os
import ssl
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.api_bench import (
    BENCH_LIMITS,
    OFFICE,
    OUT,
    PROCEDURE,
    Check,
    Load,
    bench_bundle,
    form_answers,
    load_options,
    log,
    measure,
    ours,
)
from tests.services import postgres_cluster, recipe, seaweed_client, seaweedfs


@dataclass
class Stack:
    """The recipe as api_bench's load generator sees a server: a name, connections, a pid."""

    name: str
    host: str
    port: int
    context: ssl.SSLContext
    pid: int

    def connection(self, timeout: float) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            self.host, self.port, timeout=timeout, context=self.context
        )


@dataclass
class Direct:
    """One app process of the recipe without nginx (--direct): what nginx and TLS cost."""

    name: str
    port: int
    pid: int

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description="Đo: máy chủ nhúng và nginx + tiến trình ứng dụng")
    load_options(top, concurrency="4,16")
    top.add_argument("--apps", type=int, default=2, help="số tiến trình ứng dụng sau nginx")
    top.add_argument(
        "--no-durable", action="store_true", help="PostgreSQL không fsync (như khi chạy test)"
    )
    top.add_argument(
        "--direct",
        action="store_true",
        help="đo thêm một tiến trình ứng dụng trực tiếp (HTTP, không nginx)",
    )
    top.add_argument("--out", type=Path, default=OUT / "deploy-results.md")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    python = sys.executable
    loads: list[Load] = []
    checks: list[Check] = []
    with tempfile.TemporaryDirectory(prefix="motcua-deploy-bench-") as tmp:
        work = Path(tmp)
        bundle, _ = bench_bundle(python, args.bundle, work)
        site = work / "site"
        site.mkdir()
        (site / "index.html").write_text("<!doctype html><title>MotCua</title>", encoding="utf-8")
        env = {
            **os.environ,
            "MOTCUA_BUNDLE": str(bundle),
            "MOTCUA_STORAGE": "embedded",
            **BENCH_LIMITS,
        }
        env.pop("MOTCUA_PUBLIC_URL", None)
        with ours(python, work, site, env) as embedded:
            embedded.name = "embedded (serve.py, SQLite + files)"
            measure_one(embedded, levels, args, loads, checks)
        with province(work, site, bundle, args) as (stack, direct):
            measure_one(stack, levels, args, loads, checks)
            if args.direct:
                measure_one(direct, levels, args, loads, checks)
    text = report(loads, checks, levels, args)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return 0 if not any(check.lost for check in checks) else 1


@contextlib.contextmanager
def province(
    work: Path, site: Path, bundle: Path, args: argparse.Namespace
) -> Iterator[tuple[Stack, Direct]]:
    log("PostgreSQL, SeaweedFS, app processes, nginx")
    (work / "seaweedfs").mkdir()
    (work / "recipe").mkdir()
    with (
        postgres_cluster(durable=not args.no_durable) as cluster,
        seaweedfs(work / "seaweedfs") as store_url,
        recipe(
            work / "recipe",
            cluster=cluster,
            store_url=store_url,
            store_client=seaweed_client(store_url),
            site=site,
            bundle=bundle,
            apps=args.apps,
        ) as running,
    ):
        host, port = running.url.split("://", 1)[1].split(":")
        stack = Stack(
            name=f"nginx + {args.apps} app processes (PostgreSQL + SeaweedFS)",
            host=host,
            port=int(port),
            context=running.ssl_context(),
            pid=running.nginx.popen.pid,
        )
        first = running.apps[0]
        direct = Direct(
            "1 app process, direct HTTP (PostgreSQL)", running.app_ports[0], first.popen.pid
        )
        yield stack, direct


def measure_one(server, levels: list[int], args, loads: list[Load], checks: list[Check]) -> None:
    body = json.dumps(
        {"procedure": PROCEDURE, "answers": form_answers(server), "uploads": {}, "office": OFFICE}
    ).encode()
    measure(server, levels, args, body, loads, checks)


def report(loads: list[Load], checks: list[Check], levels: list[int], args) -> str:
    durability = "off (as in the tests)" if args.no_durable else "on (fsync, synchronous_commit)"
    lines = [
        "# Self-hosted: embedded server vs nginx + app processes",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, Python"
        f" {sys.version.split()[0]}; {args.duration:g} s per test (at most"
        f" {args.max_requests:,} requests), keep-alive connections, one client thread per"
        " connection, client on the same machine. Embedded: plain HTTP to serve.py's"
        f" {min(os.cpu_count() or 1, 4)} pre-forked processes. Recipe: HTTPS (TLS 1.3) to nginx,"
        f" {args.apps} serve.py processes of 8 threads, PostgreSQL durability {durability}.",
        "",
        "| setup | test | c | answered | errors | req/s | p50 ms | p99 ms |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for load in loads:
        errors = str(load.errors)
        if load.failures:
            errors += " (" + ", ".join(f"{k}×{v}" for k, v in sorted(load.failures.items())) + ")"
        kind = "status lookup" if load.kind == "lookup" else "submission"
        lines.append(
            f"| {load.server} | {kind} | {load.concurrency} | {load.ok:,} | {errors}"
            f" | {load.rate:,.0f} | {load.percentile(0.5):.1f} | {load.percentile(0.99):.1f} |"
        )
    lines += ["", "| setup | submissions answered | distinct codes | sample found again |"]
    lines.append("|---|--:|--:|--:|")
    for check in checks:
        lines.append(
            f"| {check.server} | {check.created:,} | {check.distinct:,}"
            f" | {check.found}/{check.sampled} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
