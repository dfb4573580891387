"""Benchmark of the API: our server (waitress, functions/serve.py) next to `chalice local`.

python -m bench.api_bench [--duration 5] [--concurrency 1,4,16] [--max-requests 50000]
                          [--upload-mb 100] [--bundle PATH] [--skip-chalice] [--profile]

Starts every server itself on 127.0.0.1 (free ports, temporary data directories, stopped at the
end), then measures status lookups/s and submissions/s with p50/p99 latency per concurrency over
keep-alive connections (one http.client.HTTPConnection per client thread), checks that no
submission was lost, measures the RSS growth of our server during one 100 MB upload and the
cold import of the Lambda handler. Prints a Markdown table with the goals and writes it to
bench/out/api-results.md. `--profile` adds a cProfile of our WSGI application called directly
(no sockets) for lookups and submissions. See bench/README.md.
"""

import argparse
import contextlib
import copy
import cProfile
import http.client
import io
import itertools
import json
import os
import pstats
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.versions import version_in_force

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
OUT = ROOT / "bench" / "out"
PROCEDURE = "1.000894"  # đăng ký kết hôn: a form without uploads
OFFICE = "trung-tam-pvhcc-phuong-le-chan"  # one the procedure accepts (bundle "offices")
MB = 1024 * 1024
UPLOAD_LIMIT = 110 * MB  # max_bytes of the bench-only slot, when no real slot takes 100 MB
SAMPLE_EVERY = 0.02  # seconds between two RSS samples
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GOALS = {
    "lookup": (2000.0, 20.0),  # at c=4: at least this many per second, p99 under this many ms
    "submit": (1000.0, 50.0),  # issue 12 raised it from 500/s
    "upload_mb": 50.0,  # RSS growth during one 100 MB upload
    "import_ms": 150.0,  # `import app` in a fresh interpreter
}
GOAL_CONCURRENCY = 4
# The benchmark files thousands of dossiers a second from one address, far past the rate limits'
# defaults (chalicelib/ratelimit.py: 20 submissions a minute per client): it sets limits no load
# here reaches, so every request still pays for its counts but none is refused.
BENCH_LIMITS = {
    "MOTCUA_SUBMISSIONS_PER_CLIENT": "1000000000",
    "MOTCUA_SUBMISSIONS_PER_MINUTE": "1000000000",
    "MOTCUA_UPLOADS_PER_CLIENT": "1000000000",
    "MOTCUA_UPLOADS_PER_MINUTE": "1000000000",
}


@dataclass
class Load:
    """One fixed-duration load test against one server at one concurrency."""

    server: str
    kind: str  # lookup | submit
    concurrency: int
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, every answered request
    ok: int = 0
    errors: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # status or exception -> count
    server_cpu: float = 0.0  # CPU seconds of the server process during the test
    client_cpu: float = 0.0  # CPU seconds of this (client) process during the test
    created: list[tuple[str, str]] = field(default_factory=list)  # submissions: (code, secret)
    capped: str = ""  # why the test stopped early, if it did
    samples: dict[str, str] = field(default_factory=dict)  # failure -> one request and reply

    @property
    def rate(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


@dataclass
class Check:
    """After the submissions to one server: were all of them stored?"""

    server: str
    created: int
    distinct: int
    sampled: int
    found: int

    @property
    def lost(self) -> bool:
        return self.distinct != self.created or self.found != self.sampled


@dataclass
class Upload:
    size: int
    status: int
    seconds: float
    rss_before_kb: int
    rss_peak_kb: int
    samples: int
    verified: str

    @property
    def growth_mb(self) -> float:
        return (self.rss_peak_kb - self.rss_before_kb) / 1024


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


def load_options(top: argparse.ArgumentParser, *, concurrency: str) -> argparse.ArgumentParser:
    """The options of a load run, shared with bench/deploy_bench.py."""
    top.add_argument("--duration", type=float, default=5.0, help="giây cho mỗi phép đo tải")
    top.add_argument("--concurrency", default=concurrency, help="số kết nối song song, cách bằng ,")
    top.add_argument("--max-requests", type=int, default=50_000, help="trần số yêu cầu mỗi phép")
    top.add_argument("--bundle", type=Path, help="bundle.json (mặc định: MOTCUA_BUNDLE, data/)")
    return top


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description="Đo API: máy chủ của ta (waitress) và chalice local")
    load_options(top, concurrency="1,4,16")
    top.add_argument("--upload-mb", type=int, default=100, help="cỡ tệp tải lên (MiB), 0 = bỏ")
    top.add_argument("--skip-chalice", action="store_true", help="không đo chalice local")
    top.add_argument("--profile", action="store_true", help="cProfile ứng dụng WSGI, gọi trực tiếp")
    top.add_argument("--out", type=Path, default=OUT / "api-results.md")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    python = sys.executable
    with (
        tempfile.TemporaryDirectory(prefix="motcua-api-bench-") as tmp,
        contextlib.ExitStack() as stop,
    ):
        work = Path(tmp)
        bundle, upload_slot = bench_bundle(python, args.bundle, work)
        site = work / "site"
        site.mkdir()
        (site / "index.html").write_text("<!doctype html><title>MotCua</title>", encoding="utf-8")
        env = {
            **os.environ,
            "MOTCUA_BUNDLE": str(bundle),
            "MOTCUA_STORAGE": "embedded",
            **BENCH_LIMITS,
            "AWS_DEFAULT_REGION": "ap-southeast-1",
        }
        env.pop("MOTCUA_PUBLIC_URL", None)
        servers = [stop.enter_context(ours(python, work, site, env))]
        chalice = Path(python).absolute().parent / "chalice"
        if not args.skip_chalice:
            if chalice.exists():
                servers.append(stop.enter_context(chalice_local(chalice, work, bundle, env)))
            else:
                log(f"no {chalice}: chalice local skipped")
        # One request alone first: concurrent first requests race to build the service
        # (secret.key written through one shared temporary name) and chalice local answers 500.
        answers = [form_answers(server) for server in servers]
        body = json.dumps(
            {"procedure": PROCEDURE, "answers": answers[0], "uploads": {}, "office": OFFICE}
        ).encode()
        loads: list[Load] = []
        checks: list[Check] = []
        for server in servers:
            measure(server, levels, args, body, loads, checks)
        upload = None
        if args.upload_mb:
            log(f"{servers[0].name}: {args.upload_mb} MiB upload")
            upload = measure_upload(servers[0], upload_slot, args.upload_mb * MB)
        log("cold import of the Lambda handler")
        cold = cold_import(python, work, bundle)
        for server in servers:
            failed = server.process.poll()
            if failed is not None:
                log(f"{server.name} exited early with {failed}; see its log:")
                log(server.log.read_text(encoding="utf-8", errors="replace")[-2000:])
        profile = profile_wsgi(work, bundle, site, body) if args.profile else ""
    text = report(loads, checks, upload, cold, levels, args)
    print(text)
    if profile:
        print(profile)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + (("\n" + profile) if profile else ""), encoding="utf-8")
    return 0


def log(message: str) -> None:
    print(f"== {message}", file=sys.stderr, flush=True)


# --- the bundle ------------------------------------------------------------------------------


def bench_bundle(python: str, given: Path | None, work: Path) -> tuple[Path, tuple[str, str]]:
    """The catalogue bundle to serve, and a (procedure, slot) whose slot takes a 100 MB file.

    When no slot of the real bundle takes 100 MB, one slot's max_bytes is raised to 110 MB in a
    bench-only copy (written under the temporary directory); nothing else changes."""
    source = given or Path(
        os.environ.get("MOTCUA_BUNDLE") or FUNCTIONS / "chalicelib" / "data" / "bundle.json"
    )
    if not source.is_file():
        source = work / "real-bundle.json"
        log(f"no bundle: build.py bundle --out {source}")
        subprocess.run(
            [python, str(ROOT / "build.py"), "bundle", "--out", str(source)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    data = json.loads(source.read_text(encoding="utf-8"))
    candidates = list(upload_slots(data))
    if not candidates:
        raise SystemExit("no form of the bundle has an unconditional upload slot")
    big = [(code, slot) for code, slot in candidates if slot["max_bytes"] >= 100 * MB]
    if big:
        code, slot = big[0]
        log(f"upload slot {code}/{slot['id']} takes {slot['max_bytes']} bytes")
        return source, (code, slot["id"])
    data = copy.deepcopy(data)
    code, slot = next(upload_slots(data))
    log(f"bench-only bundle: {code}/{slot['id']} max_bytes {slot['max_bytes']} -> {UPLOAD_LIMIT}")
    slot["max_bytes"] = UPLOAD_LIMIT
    path = work / "bench-bundle.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path, (code, slot["id"])


def upload_slots(data: dict) -> Iterator[tuple[str, dict]]:
    """(procedure, slot) for every slot shown whatever the answers, of a version in force today
    (the newest version of each procedure that has an online form)."""
    today = time.strftime("%Y-%m-%d")
    for code, versions in sorted(data["procedures"].items()):
        version = version_in_force(versions, today) or {}
        form_id = (version.get("online_service") or {}).get("form")
        form = data["forms"].get(form_id) if form_id else None
        for page in (form or {}).get("pages", []):
            if "when" in page:
                continue
            for slot in page.get("uploads", []):
                if "when" not in slot and "pdf" in slot["accept"]:
                    yield code, slot


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def ours(python: str, work: Path, site: Path, env: dict) -> Iterator[Server]:
    port = free_port()
    data = work / "var-ours"
    command = [python, str(FUNCTIONS / "serve.py"), "--port", str(port)]
    command += ["--data-dir", str(data), "--site-dir", str(site)]
    with started(
        "ours (waitress)", command, port, work, {**env, "MOTCUA_DATA_DIR": str(data)}
    ) as s:
        yield s


@contextlib.contextmanager
def chalice_local(chalice: Path, work: Path, bundle: Path, env: dict) -> Iterator[Server]:
    """`chalice local` on the same app.py and chalicelib/ (symlinked into a bench project).

    functions/.chalice/config.json sets MOTCUA_STORAGE=aws, and chalice local copies the config's
    environment variables over the process's own, so with cwd=functions/ every submission would
    go to DynamoDB (503 here). The bench project has a copy of that config whose variables point
    at embedded storage; the code served is the same files. --no-autoreload: one process, no
    file watcher."""
    port = free_port()
    data = work / "var-chalice"
    project = work / "chalice-project"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").symlink_to(FUNCTIONS / "app.py")
    (project / "chalicelib").symlink_to(FUNCTIONS / "chalicelib", target_is_directory=True)
    config = json.loads((FUNCTIONS / ".chalice" / "config.json").read_text(encoding="utf-8"))
    variables = {
        "MOTCUA_STORAGE": "embedded",
        **BENCH_LIMITS,
        "MOTCUA_BUNDLE": str(bundle),
        "MOTCUA_DATA_DIR": str(data),
        "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    config["environment_variables"] = {**config.get("environment_variables", {}), **variables}
    for stage in config.get("stages", {}).values():
        stage.get("environment_variables", {}).update(variables)
    (project / ".chalice" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    command = [str(chalice), "local", "--port", str(port), "--no-autoreload"]
    with started("chalice local", command, port, work, {**env, **variables}, cwd=project) as s:
        yield s


@contextlib.contextmanager
def started(
    name: str, command: list[str], port: int, work: Path, env: dict, cwd: Path | None = None
) -> Iterator[Server]:
    log_path = work / f"{name.split()[0]}-{port}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, process, port, log_path)
    try:
        wait_ready(server)
        yield server
    finally:
        stop(process)


def wait_ready(server: Server, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited: {server.log.read_text(errors='replace')}")
        try:
            conn = server.connection(timeout=2)
            conn.request("GET", "/api/openapi.json")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{server.name} did not answer within {seconds:.0f} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wsgi_call(
    application: Callable, method: str, path: str, body: bytes = b"", headers: dict | None = None
) -> tuple[str, bytes]:
    """One request to a WSGI application in this process, no socket: (status line, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()},
    }
    status: list[str] = []
    chunks = application(environ, lambda s, h, exc=None: status.append(s))
    return status[0], b"".join(chunks)


def cpu_seconds(pid: int) -> float:
    """utime + stime of the server and its worker processes (serve.py forks one per core)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # itself, or its child
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- requests --------------------------------------------------------------------------------


def call(
    conn: http.client.HTTPConnection, method: str, path: str, body=None, headers=None
) -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def measure(server, levels: list[int], args, body: bytes, loads: list, checks: list) -> None:
    """Lookups, then submissions, at each concurrency level; then every submission answered is
    checked (distinct codes, a sample found again). Shared with bench/deploy_bench.py."""
    seeds = warm_up(server, body)
    for c in levels:
        log(f"{server.name}: lookups, c={c}")
        loads.append(run_load(server, "lookup", c, args, seeds=seeds))
    created: list[tuple[str, str]] = []
    for c in levels:
        log(f"{server.name}: submissions, c={c}")
        load = run_load(server, "submit", c, args, body=body)
        loads.append(load)
        created += load.created
    checks.append(verify(server, created))


def form_answers(server: Server) -> dict:
    from tests.api.filling import answers_for

    conn = server.connection(timeout=10)
    status, data = call(conn, "GET", f"/api/procedures/{PROCEDURE}/form")
    conn.close()
    if status != 200:
        raise SystemExit(f"form of {PROCEDURE}: {status} {data[:200]!r}")
    return answers_for(json.loads(data)["form"])


def submit_headers() -> dict:
    return {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}


def warm_up(server: Server, body: bytes, count: int = 100) -> list[tuple[str, str]]:
    """Files `count` dossiers (the lookups' targets) over fresh connections, 8 at a time."""

    def one(_):
        conn = server.connection(timeout=30)
        try:
            status, data = call(conn, "POST", "/api/submissions", body, submit_headers())
        finally:
            conn.close()
        if status != 201:
            raise SystemExit(f"{server.name}: warm-up submission {status} {data[:300]!r}")
        reply = json.loads(data)
        return reply["code"], reply["secret"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def run_load(
    server: Server,
    kind: str,
    concurrency: int,
    args: argparse.Namespace,
    *,
    seeds: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> Load:
    """`concurrency` threads, each with one keep-alive connection, for `args.duration` seconds or
    `args.max_requests` requests in all, whichever comes first. A request that takes longer than
    the duration counts as an error (and its connection is replaced)."""
    load = Load(server.name, kind, concurrency)
    tickets = itertools.count()  # next() is atomic under the GIL
    samples = load.samples
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)
    stop_at = [0.0]
    timeout = max(2.0, args.duration)
    expected = 201 if kind == "submit" else 200

    def worker(index: int) -> None:
        latencies: list[float] = []
        failures: dict[str, int] = {}
        created: list[tuple[str, str]] = []
        ok = 0
        conn = server.connection(timeout)
        targets = itertools.cycle((seeds or [("", "")])[index:] + (seeds or [("", "")])[:index])
        start.wait()
        while time.perf_counter() < stop_at[0] and next(tickets) < args.max_requests:
            if kind == "lookup":
                code, secret = next(targets)
                request = ("GET", f"/api/dossiers/{code}", None, {"X-Lookup-Secret": secret})
            else:
                request = ("POST", "/api/submissions", body, submit_headers())
            began = time.perf_counter()
            try:
                status, data = call(conn, *request)
            except (OSError, http.client.HTTPException) as error:
                failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
                conn.close()
                conn = server.connection(timeout)
                continue
            latencies.append(time.perf_counter() - began)
            if status != expected:
                failures[str(status)] = failures.get(str(status), 0) + 1
                samples.setdefault(str(status), f"{request[0]} {request[1]}: {data[:160]!r}")
                continue
            ok += 1
            if kind == "submit":
                reply = json.loads(data)
                created.append((reply["code"], reply["secret"]))
        conn.close()
        with lock:
            load.latencies += latencies
            load.ok += ok
            load.created += created
            for key, count in failures.items():
                load.failures[key] = load.failures.get(key, 0) + count

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
    began = time.perf_counter()
    stop_at[0] = began + args.duration
    start.wait()
    for thread in threads:
        thread.join()
    load.wall = time.perf_counter() - began
    load.server_cpu = cpu_seconds(server.pid) - server_cpu
    load.client_cpu = time.process_time() - client_cpu
    load.errors = sum(load.failures.values())
    if load.ok + load.errors >= args.max_requests:
        load.capped = f"stopped at {args.max_requests} requests"
    elif load.wall > args.duration * 1.5:
        load.capped = f"a request took up to {timeout:.0f} s"
    return load


def verify(server: Server, created: list[tuple[str, str]], sample: int = 500) -> Check:
    """Every answered submission must be stored once: distinct codes = 201s, and a random sample
    (up to 500) is found by a lookup with its secret (fresh connections, 8 at a time)."""
    chosen = random.Random(0).sample(created, min(sample, len(created)))

    def found(item: tuple[str, str]) -> bool:
        code, secret = item
        conn = server.connection(timeout=30)
        try:
            status, data = call(
                conn, "GET", f"/api/dossiers/{code}", None, {"X-Lookup-Secret": secret}
            )
        finally:
            conn.close()
        return status == 200 and json.loads(data)["code"] == code

    with ThreadPoolExecutor(8) as pool:
        hits = sum(pool.map(found, chosen))
    distinct = len({code for code, _ in created})
    return Check(server.name, len(created), distinct, len(chosen), hits)


# --- the 100 MB upload -----------------------------------------------------------------------


def measure_upload(server: Server, slot: tuple[str, str], size: int) -> Upload:
    """One multipart upload of `size` bytes of a PDF-looking file, streamed from a generator in
    1 MiB pieces, while the server's VmRSS is sampled every 20 ms."""
    procedure, slot_id = slot
    conn = server.connection(timeout=120)
    request = {
        "procedure": procedure,
        "slot": slot_id,
        "draft": uuid.uuid4().hex,
        "filename": "ban-scan.pdf",
        "content_type": "application/pdf",
        "size": size,
    }
    status, data = call(
        conn, "POST", "/api/uploads", json.dumps(request), {"Content-Type": "application/json"}
    )
    if status != 200:
        raise SystemExit(f"upload target: {status} {data[:300]!r}")
    target = json.loads(data)
    boundary = uuid.uuid4().hex
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in target["fields"].items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ban-scan.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def pieces() -> Iterator[bytes]:
        yield head
        first = b"%PDF-1.7\n% bench\n"
        yield first
        filler = b"0" * MB
        left = size - len(first)
        while left > 0:
            yield filler if left >= MB else filler[:left]
            left -= MB
        yield tail

    length = len(head) + size + len(tail)
    path = "/" + target["url"].split("://", 1)[1].split("/", 1)[1]
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_kb(server.pid))
            time.sleep(SAMPLE_EVERY)

    before = rss_kb(server.pid)
    sampler = threading.Thread(target=sample)
    sampler.start()
    began = time.perf_counter()
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        for piece in pieces():
            conn.send(piece)
        response = conn.getresponse()
        upload_status, reply = response.status, response.read()
    finally:
        seconds = time.perf_counter() - began
        time.sleep(0.1)  # one more sample once the server has answered
        done.set()
        sampler.join()
    verified = ""
    if upload_status in (200, 201, 204):
        status, data = call(
            conn,
            "POST",
            "/api/uploads/verify",
            json.dumps({"key": target["key"]}),
            {"Content-Type": "application/json"},
        )
        verified = f"verify {status}" + (
            f" size {json.loads(data).get('size')}" if status == 200 else ""
        )
    else:
        verified = f"refused: {reply[:200]!r}"
    conn.close()
    return Upload(
        size, upload_status, seconds, before, max(samples or [before]), len(samples), verified
    )


# --- cold start ------------------------------------------------------------------------------

IMPORT_SNIPPET = """
import time
began = time.perf_counter()
import app
imported = time.perf_counter()
if {serve}:
    from chalicelib.wiring import default_service
    default_service()
print(imported - began, time.perf_counter() - began)
"""


def cold_import(python: str, work: Path, bundle: Path, repeat: int = 5) -> dict[str, float]:
    """Best of `repeat` fresh interpreters: `import app` alone, and `import app` plus building
    the service (what the first request adds: bundle, SQLite, secret key)."""
    env = {
        **os.environ,
        "MOTCUA_BUNDLE": str(bundle),
        "MOTCUA_STORAGE": "embedded",
        **BENCH_LIMITS,
        "MOTCUA_DATA_DIR": str(work / "var-import"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    best = {"import": float("inf"), "first": float("inf"), "interpreter": float("inf")}
    for serve in (False, True):
        code = IMPORT_SNIPPET.format(serve=serve)
        for _ in range(repeat):
            began = time.perf_counter()
            # In functions/, which `python -c` puts first on sys.path: `import app` as on Lambda.
            out = subprocess.run(
                [python, "-c", code],
                cwd=FUNCTIONS,  # `import app` from the app's folder, as Lambda and chalice do
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            total = time.perf_counter() - began
            if serve:
                best["first"] = min(best["first"], float(out[1]) * 1000)
            else:
                best["import"] = min(best["import"], float(out[0]) * 1000)
                best["interpreter"] = min(best["interpreter"], total * 1000)
    return best


# --- profile ---------------------------------------------------------------------------------


def profile_wsgi(work: Path, bundle: Path, site: Path, body: bytes, count: int = 2000) -> str:
    """cProfile of our WSGI application called directly in this process (no sockets, no
    waitress): `count` submissions then `count` lookups."""
    data = work / "var-profile"
    os.environ.update(
        {
            "MOTCUA_BUNDLE": str(bundle),
            "MOTCUA_STORAGE": "embedded",
            **BENCH_LIMITS,
            "MOTCUA_DATA_DIR": str(data),
            "MOTCUA_PUBLIC_URL": "http://127.0.0.1:9",
        }
    )
    from serve import make_application

    application = make_application(site)

    def request(method: str, path: str, payload: bytes, headers: dict) -> tuple[str, bytes]:
        return wsgi_call(application, method, path, payload, headers)

    def submissions() -> list[tuple[str, str]]:
        made = []
        for _ in range(count):
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            status, reply = request("POST", "/api/submissions", body, headers)
            assert status.startswith("201"), (status, reply[:200])
            parsed = json.loads(reply)
            made.append((parsed["code"], parsed["secret"]))
        return made

    def lookups(made: list[tuple[str, str]]) -> None:
        for code, secret in made:
            status, reply = request(
                "GET", f"/api/dossiers/{code}", b"", {"X-Lookup-Secret": secret}
            )
            assert status.startswith("200"), (status, reply[:200])

    out = ["## cProfile of the WSGI application, called directly", ""]
    made = submissions()[:10]  # warm: bundle loaded, SQLite opened
    for name, run in (
        ("submissions", submissions),
        ("lookups", lambda: lookups(made * (count // 10))),
    ):
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.runcall(run)
        wall = time.perf_counter() - began
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("cumulative")
        stats.print_stats(25)
        text_lines = text.getvalue().splitlines()
        first = next(i for i, line in enumerate(text_lines) if "ncalls" in line)
        out += [
            f"### {count} {name}: {wall:.2f} s under cProfile ({count / wall:,.0f}/s)",
            "",
            "```",
            *text_lines[first : first + 26],
            "```",
            "",
        ]
    return "\n".join(out)


# --- report ----------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def report(
    loads: list[Load],
    checks: list[Check],
    upload: Upload | None,
    cold: dict[str, float],
    levels: list[int],
    args: argparse.Namespace,
) -> str:
    lines = [
        "# API benchmark",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}; {args.duration:g} s per test (at most {args.max_requests:,}"
        " requests), keep-alive connections, one client thread per connection.",
        "",
        "The client is Python too and runs on the same cores: its CPU time (client CPU, in cores"
        " busy over the test) is CPU the server did not get. Server CPU is the server process's"
        " utime+stime over the test.",
        "",
        "| server | test | c | answered | errors | req/s | p50 ms | p99 ms | server CPU"
        " | client CPU | goal | |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    lost = {check.server: check.lost for check in checks}
    for load in loads:
        goal, met = "", ""
        if load.server.startswith("ours") and load.concurrency == GOAL_CONCURRENCY:
            rate, p99 = GOALS[load.kind]
            goal = f"≥ {rate:,.0f}/s, p99 < {p99:.0f} ms"
            ok = load.rate >= rate and load.percentile(0.99) < p99 and not load.errors
            if load.kind == "submit":
                goal += ", none lost"
                ok = ok and not lost.get(load.server, True)
            met = verdict(ok)
        errors = str(load.errors)
        if load.failures:
            errors += " (" + ", ".join(f"{k}×{v}" for k, v in sorted(load.failures.items())) + ")"
        if load.capped:
            errors += f"; {load.capped}"
        lines.append(
            f"| {load.server} | {'lookups' if load.kind == 'lookup' else 'submissions'} "
            f"| {load.concurrency} | {load.ok + sum(load.failures.values()):,} | {errors} "
            f"| {load.rate:,.0f} | {load.percentile(0.5):.1f} | {load.percentile(0.99):.1f} "
            f"| {load.server_cpu / load.wall:.2f} | {load.client_cpu / load.wall:.2f} "
            f"| {goal} | {met} |"
        )
    lines += ["", "| check | figure | goal | |", "|---|---|---|---|"]
    for check in checks:
        lines.append(
            f"| {check.server}: submissions stored | {check.created:,} answered 201,"
            f" {check.distinct:,} distinct codes, {check.found}/{check.sampled} sampled found by"
            f" lookup | none lost | {verdict(not check.lost)} |"
        )
    if upload:
        ok = upload.status in (200, 201, 204) and upload.growth_mb <= GOALS["upload_mb"]
        lines.append(
            f"| ours: RSS during one {upload.size / MB:.0f} MiB upload | +{upload.growth_mb:.1f}"
            f" MB ({upload.rss_before_kb / 1024:.0f} → {upload.rss_peak_kb / 1024:.0f} MB,"
            f" {upload.samples} samples), HTTP {upload.status} in {upload.seconds:.1f} s"
            f" ({upload.size / MB / upload.seconds:.0f} MiB/s), {upload.verified}"
            f" | ≤ {GOALS['upload_mb']:.0f} MB | {verdict(ok)} |"
        )
    lines.append(
        f"| `import app` in a fresh interpreter, best of 5 | {cold['import']:.0f} ms"
        f" (+ building the service on first request: {cold['first']:.0f} ms in all;"
        f" whole `python -c` run {cold['interpreter']:.0f} ms)"
        f" | ≤ {GOALS['import_ms']:.0f} ms | {verdict(cold['import'] <= GOALS['import_ms'])} |"
    )
    failed = [load for load in loads if load.samples]
    if failed:
        lines += ["", "First failure of each kind (request: reply):", ""]
        for load in failed:
            for status, sample in sorted(load.samples.items()):
                lines.append(
                    f"- {load.server}, {load.kind}, c={load.concurrency}, {status}: {sample}"
                )
    chalice = [load for load in loads if load.server == "chalice local"]
    if chalice:
        lines += [
            "",
            "chalice local: its stock dev server (http.server, one thread per connection,"
            " --no-autoreload), same app.py and chalicelib/ (symlinked into a bench project whose"
            " copy of .chalice/config.json says MOTCUA_STORAGE=embedded: the real one says aws and"
            " chalice local copies it over the process's environment); each test is capped by the"
            " same duration. About 44 ms per request on a keep-alive connection, whatever the"
            " route: it is not the app.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
