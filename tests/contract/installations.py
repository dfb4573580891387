"""Installations of the embedded and the province target, made empty and filled through the
Service and the admin command, for the admin command's tests (backup drill, purge).

`target` makes new installations of one target as environments (what the app and `motcua`
read): a new data dir, or a new PostgreSQL database and SeaweedFS bucket."""

import contextlib
import hashlib
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from buildlib.bundle import bundle_command
from chalicelib import forms, sealing
from chalicelib.admin.cli import main
from chalicelib.backoffice import Backoffice
from chalicelib.config import Settings
from chalicelib.dossiers import Service
from chalicelib.local.upload import LocalUploadEndpoint
from chalicelib.storage.files import FilesystemUploads
from chalicelib.storage.ports import UploadTarget
from chalicelib.wiring import build_officer_auth, build_service, build_upload_store

from ..api.filling import FILES, answers_for
from ..conftest import CATALOGUE
from .conftest import (
    DUMMY_AWS_ENVIRONMENT,
    REGION,
    SEAWEED_ACCESS_KEY,
    SEAWEED_SECRET_KEY,
    local_upload_server,
    post_form,
)

WITH_FILES = "1.004873"  # two upload slots when the certificate was issued before
WITH_DEADLINE = "1.001612"  # an office that asks for a supplement
PASSWORD = "mật khẩu đủ dài 2026"
CLIENT = "127.0.0.1"


@pytest.fixture(scope="module", name="bundle_path")
def bundle_fixture(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "bundle.json"
    with contextlib.redirect_stdout(io.StringIO()):
        assert bundle_command(CATALOGUE, path, out=io.StringIO()) == 0
    return path


@dataclass
class Target:
    """Makes empty installations of one target, as environments the app and `motcua` read."""

    name: str
    new: Callable[[], dict[str, str]]
    upload_url: str  # MOTCUA_PUBLIC_URL: where the embedded upload endpoint listens
    serving: Any = None


@pytest.fixture(params=["embedded", "province"], name="target")
def target_fixture(request, tmp_path: Path, bundle_path: Path, monkeypatch) -> Iterator[Target]:
    for name in ("MOTCUA_SECRET_KEY", "MOTCUA_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    # Every upload is scanned before it is accepted: the session's clamd (tests/conftest.py).
    clamd = request.getfixturevalue("clamd")
    common = {"MOTCUA_BUNDLE": str(bundle_path), "MOTCUA_CLAMD": clamd.address}
    if request.param == "embedded":
        # One data key for every installation of the test, kept apart from their data folders
        # as an operator keeps it (a backup does not hold it: chalicelib/sealing.py).
        key_file = tmp_path / "keys" / "data.key"
        key_file.parent.mkdir(mode=0o700)
        key_file.write_text(sealing.new_key_line(), encoding="ascii")
        common["MOTCUA_DATA_KEY_FILE"] = str(key_file)
        with local_upload_server() as serving:
            count = iter(range(100))

            def new_embedded() -> dict[str, str]:
                return {
                    **common,
                    "MOTCUA_STORAGE": "embedded",
                    "MOTCUA_DATA_DIR": str(tmp_path / f"var-{next(count)}"),
                    "MOTCUA_PUBLIC_URL": serving.url,
                }

            yield Target("embedded", new_embedded, serving.url, serving)
        return
    cluster = request.getfixturevalue("postgres_cluster")
    seaweed = request.getfixturevalue("seaweed_s3")
    url = request.getfixturevalue("seaweed_url")
    databases: list[str] = []
    buckets: list[str] = []

    def new_province() -> dict[str, str]:
        databases.append(cluster.new_database(migrated=False))
        buckets.append(f"restore-{uuid.uuid4().hex}")
        seaweed.create_bucket(
            Bucket=buckets[-1], CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return {
            **common,
            **DUMMY_AWS_ENVIRONMENT,
            "AWS_ACCESS_KEY_ID": SEAWEED_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SEAWEED_SECRET_KEY,
            "AWS_SESSION_TOKEN": "",
            "MOTCUA_STORAGE": "province",
            "MOTCUA_DATABASE_URL": databases[-1],
            "MOTCUA_S3_ENDPOINT": url,
            "MOTCUA_S3_REGION": REGION,
            "MOTCUA_S3_PATH_STYLE": "1",
            "MOTCUA_BUCKET": buckets[-1],
            "MOTCUA_SECRET_KEY": "province-drill-secret-key-0123456789abcdef",
        }

    yield Target("province", new_province, url)
    for dsn in databases:
        cluster.drop(dsn)
    for bucket in buckets:
        for page in seaweed.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                seaweed.delete_object(Bucket=bucket, Key=item["Key"])
        seaweed.delete_bucket(Bucket=bucket)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in values.items():
            if value:
                env.setenv(name, value)
            else:
                env.delenv(name, raising=False)
        yield


@dataclass
class Filed:
    """What the source installation holds, as the test made it."""

    secrets: dict[str, str] = field(default_factory=dict)  # code -> lookup secret
    files: dict[str, bytes] = field(default_factory=dict)  # upload key -> content
    unattached: list[str] = field(default_factory=list)  # verified, never filed


@contextlib.contextmanager
def opened(target: Target) -> Iterator[Service]:
    """The installation of the current environment through the normal wiring."""
    service = build_service(Settings.from_env())
    if target.serving is not None:
        target.serving.app = LocalUploadEndpoint(cast(FilesystemUploads, service.uploads))
    try:
        yield service
    finally:
        service.limiter.failures.close()
        if service.rates is not None:
            service.rates.counts.close()
        close = getattr(service.dossiers, "close", None)
        if close is not None:
            close()


def upload(service: Service, target: dict[str, Any], kind: str, filed: Filed) -> str:
    content_type, data = FILES[kind]
    data = data + uuid.uuid4().hex.encode()  # every file different
    sent = UploadTarget(target["url"], target["fields"], target["key"], target["expires_at"])
    assert post_form(sent, data, content_type) in (200, 201, 204)
    service.verify_upload({"key": target["key"]})
    filed.files[target["key"]] = data
    return target["key"]


def slot_upload(
    service: Service, procedure: str, slot: dict[str, Any], filed: Filed, draft: str
) -> str:
    kind = slot["accept"][0]
    content_type, data = FILES[kind]
    body = {
        "procedure": procedure,
        "slot": slot["id"],
        "draft": draft,
        "content_type": content_type,
    }
    target = service.upload_target({**body, "size": len(data) + 32, "filename": "giay-to.pdf"})
    return upload(service, target, kind, filed)


def submit(service: Service, procedure: str, filed: Filed, choices: dict | None = None) -> str:
    form = service.form(procedure)
    answers = answers_for(form["form"], choices)
    uploads = {}
    draft = uuid.uuid4().hex  # the submission's Idempotency-Key, which its files are bound to
    for page in form["form"]["pages"]:
        for slot in page.get("uploads", []):
            if slot["min_files"] > 0 and forms.shown(slot, page, answers):
                uploads[slot["id"]] = [slot_upload(service, procedure, slot, filed, draft)]
    body = {"procedure": procedure, "answers": answers, "uploads": uploads}
    body["office"] = form["offices"][0]["id"]
    reply = service.submit(body, draft)
    filed.secrets[reply["code"]] = reply["secret"]
    return reply["code"]


def populate(target: Target) -> Filed:
    """Dossiers with files, one moved along by an officer (received, supplement asked, supplement
    given with a file), an officer's account, and a verified upload never filed."""
    filed = Filed()
    with opened(target) as service:
        submit(service, WITH_FILES, filed, {"cap-lai": True})
        submit(service, WITH_FILES, filed, {"cap-lai": True})
        code = submit(service, WITH_DEADLINE, filed)
        office = service.dossiers.get(code).dossier.office
        slot = service.form(WITH_FILES)["form"]["pages"]
        first_slot = next(s for page in slot for s in page.get("uploads", []))
        filed.unattached.append(
            slot_upload(service, WITH_FILES, first_slot, filed, uuid.uuid4().hex)
        )
        make_officer("mot.cua", office)
        auth = build_officer_auth(Settings.from_env())
        officer = auth.login("mot.cua", PASSWORD, CLIENT)[0]
        backoffice = Backoffice(service, auth)
        backoffice.act(officer, code, "receive", {"version": 0})
        backoffice.act(
            officer, code, "request_supplement", {"version": 1, "data": {"items": ["Ảnh"]}}
        )
        secret = filed.secrets[code]
        content_type, data = FILES["pdf"]
        body = {"content_type": content_type, "size": len(data) + 32}
        supplement = upload(
            service, service.supplement_target(code, secret, CLIENT, body), "pdf", filed
        )
        service.applicant_act(
            code, secret, CLIENT, "supplement", {"version": 2, "data": {"uploads": [supplement]}}
        )
        auth.accounts.close()
    return filed


def make_officer(username: str, office: str) -> None:
    argv = ["create-officer", username, "--name", "Nguyễn Thị Lan", "--password-stdin"]
    argv += ["--role", "mot_cua", "--office", office]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        assert main(argv) == 0


def snapshot(service: Service) -> dict[str, Any]:
    return {code: service.dossiers.get(code) for code in service.dossiers.codes()}


def object_digests(settings: Settings) -> dict[str, str]:
    store = build_upload_store(settings)
    digests = {}
    for stored in store.objects():
        digest = hashlib.sha256()
        for chunk in store.read_object(stored.name):
            digest.update(chunk)
        digests[stored.name] = digest.hexdigest()
    return digests
