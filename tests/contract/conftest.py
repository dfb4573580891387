"""Every storage adapter, on a real backend: SQLite and a directory, PostgreSQL, or moto spoken to
over HTTP.

The fixtures are parametrized over "embedded", "postgres" (dossiers only) and "aws", so each
contract test runs against every adapter. The AWS side is moto in server mode on a free loopback
port: boto3 signs real HTTP requests and presigned POSTs are sent by a real HTTP client, as in
production. PostgreSQL is Debian's, a throw-away cluster on a unix socket per test process.
Uploads also run against SeaweedFS's S3 gateway ("seaweedfs"), which, unlike moto, checks
presigned POST signatures and policies: the S3-compatible store a province runs itself. Both
services are started by tests/services.py (also used by the benchmarks); the fixtures here
only give them a test session's lifetime.
"""

import errno
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
import waitress
from botocore.config import Config
from moto.server import ThreadedMotoServer

from chalicelib.local.upload import LocalUploadEndpoint
from chalicelib.sealing import Sealer
from chalicelib.storage.dynamo import DynamoDossiers, create_table
from chalicelib.storage.files import FilesystemUploads
from chalicelib.storage.ports import Dossiers, Uploads, UploadTarget
from chalicelib.storage.postgres import PostgresDossiers
from chalicelib.storage.s3 import S3Uploads
from chalicelib.storage.sqlite import SqliteDossiers
from tests.services import (
    REGION,
    MissingServiceError,
    PostgresCluster,
    seaweed_client,
    seaweedfs,
)

# Re-exported for the tests here that import them from this conftest.
from tests.services import SEAWEED_ACCESS_KEY as SEAWEED_ACCESS_KEY
from tests.services import SEAWEED_SECRET_KEY as SEAWEED_SECRET_KEY
from tests.services import free_ports as free_ports

from .iam import OperationLog, granted, purge_policy, scanner_policy

SECRET = b"contract-tests-signing-secret"
# The embedded adapters run sealed, as wiring builds them (chalicelib/sealing.py).
SEALER = Sealer([(b"\x00\x00\x00\x01", b"contract-tests-data-key-32-bytes")])
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
    AWS_OPERATIONS.clear()
    yield
    missing = AWS_OPERATIONS.made - granted() if AWS_OPERATIONS.made else set()
    assert not missing, f"functions/.chalice/policy.json does not grant {sorted(missing)}"
    made = AWS_OPERATIONS.scanner_made
    missing = made - granted(scanner_policy()) if made else set()
    assert not missing, f"resources.json's ScannerRole does not grant {sorted(missing)}"
    made = AWS_OPERATIONS.purge_made
    missing = made - granted(purge_policy()) if made else set()
    assert not missing, f"functions/.chalice/purge-policy.json does not grant {sorted(missing)}"


@pytest.fixture(scope="session")
def dynamodb(moto_url: str):
    return aws_client("dynamodb", moto_url)


@pytest.fixture(scope="session")
def s3(moto_url: str):
    return aws_client("s3", moto_url)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throw-away cluster per test process (tests/services.py)."""
    with failing_when_missing():
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
                    SqliteDossiers(
                        tmp_path / "dossiers.sqlite3", after_write=after_write, sealer=SEALER
                    )
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
            uploads = FilesystemUploads(
                tmp_path / "uploads", secret=SECRET, base_url=serve.url, sealer=SEALER
            )
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


@pytest.fixture(scope="session")
def seaweed_url(tmp_path_factory) -> Iterator[str]:
    """One SeaweedFS per test process (tests/services.py); fails (never skips) without `weed`."""
    with failing_when_missing(), seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as url:
        yield url


@contextmanager
def failing_when_missing() -> Iterator[None]:
    """A service that cannot start fails the test with the service's own message."""
    try:
        yield
    except MissingServiceError as error:
        pytest.fail(str(error), pytrace=False)


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


def shared_store(
    request, tmp_path: Path, sqlite: Callable, postgres: Callable, dynamo: Callable
) -> Iterator[Callable[[], object]]:
    """A fixture body for the small stores every app process shares (lookup failures, rate
    counts): `request.param` picks SQLite (a file in tmp_path), a new PostgreSQL database or a
    DynamoDB table on moto; each call of what it yields opens another adapter on the same store,
    as another process would (on AWS with a client of its own, as each Lambda container has)."""
    opened: list = []
    if request.param == "embedded":
        path = tmp_path / "lookup-failures.sqlite3"
        yield lambda: opened.append(sqlite(path)) or opened[-1]
    elif request.param == "postgres":  # the value; POSTGRES is its pytest.param
        cluster = request.getfixturevalue("postgres_cluster")
        dsn = cluster.new_database()
        yield lambda: opened.append(postgres(dsn)) or opened[-1]
        for adapter in opened:
            adapter.close()
        cluster.drop(dsn)
        return
    else:
        url = request.getfixturevalue("moto_url")
        client = aws_client("dynamodb", url)
        table = f"dossiers-{uuid.uuid4().hex}"
        create_table(client, table)
        yield lambda: dynamo(aws_client("dynamodb", url), table)
        client.delete_table(TableName=table)
    for adapter in opened:
        adapter.close()
