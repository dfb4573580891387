"""Issue 15 on AWS: the scan step between quarantine and acceptance (chalicelib/scanstep.py).

Against moto in server mode and the session's real clamd (tests/clamd.py, the EICAR signature):
the browser's presigned POST puts a file in quarantine/, S3 announces it, the scanner function's
handler scans it and records a verdict by SHA-256, and verify accepts only content with a clean
verdict. moto delivers the bucket's ObjectCreated events (with the prefix filter) to an SQS queue,
so the events scanned here are S3's own, as the function receives them; that S3 invokes the
function, and the function's role, are the deployment's (functions/resources.json), checked by
tests/test_deploy.py (cfn-lint, checkov) and by the IAM recorder (iam.py) on every call here.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib import scanstep
from chalicelib.bundle import Bundle
from chalicelib.dossiers import FailureLimiter, Service
from chalicelib.errors import ValidationFailedError
from chalicelib.scanner import (
    ClamdScanner,
    RecordedScanner,
    ScannerUnavailableError,
    ScanPendingError,
)
from chalicelib.scanstep import ScanStep
from chalicelib.storage.dynamo import DynamoDossiers, create_table
from chalicelib.storage.lookups_dynamo import DynamoLookupFailures
from chalicelib.storage.ports import UploadTarget
from chalicelib.storage.s3 import S3Uploads
from chalicelib.storage.scans_dynamo import DynamoScanVerdicts

from .. import files
from .conftest import aws_client, post_form, s3_bucket
from .installations import bundle_fixture  # noqa: F401 (the fixture bundle_path)

pytestmark = pytest.mark.slow

PROCEDURE = "1.001193"  # đăng ký khai sinh
SLOT = "giay-chung-sinh"  # takes PDF, JPEG and PNG up to 5 MB
DRAFT = "scan-step-draft-1"  # the Idempotency-Key a submission would carry (uploads bind to it)
EICAR_NAME = "MotCua.Test.EICAR.UNOFFICIAL"  # scripts/clamav/motcua-test.ndb
TEST_EVENT = "s3:TestEvent"  # what S3 sends once when a notification is configured


@dataclass
class Aws:
    """One table, one bucket announcing quarantine/ to a queue, the API's service over them and
    the scanner function's step."""

    service: Service
    step: ScanStep
    uploads: S3Uploads
    sqs: Any
    queue: str
    bucket: str
    table: str

    def upload(self, content: bytes, target: dict[str, Any] | None = None) -> dict[str, Any]:
        """Asks for a target (unless given one) and posts `content` to it as a browser does."""
        target = target or self.service.upload_target(
            {
                "procedure": PROCEDURE,
                "slot": SLOT,
                "content_type": "application/pdf",
                "size": len(content),
                "draft": DRAFT,
            }
        )
        fields = {k: target[k] for k in ("url", "fields", "key", "expires_at")}
        assert post_form(UploadTarget(**fields), content, "application/pdf") in {200, 201, 204}
        return target

    def events(self) -> list[dict[str, Any]]:
        """The S3 events announced since the last call, as the scanner function gets them."""
        received = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return received
            for message in messages:
                event = json.loads(message["Body"])
                if event.get("Event") != TEST_EVENT:
                    received.append(event)
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])

    def verify(self, key: str) -> dict[str, Any]:
        return self.service.verify_upload({"key": key})


@pytest.fixture
def aws(dynamodb, s3, moto_url, clamd, bundle_path: Path) -> Iterator[Aws]:
    table = f"dossiers-{uuid.uuid4().hex}"
    create_table(dynamodb, table)
    sqs = aws_client("sqs", moto_url)
    queue = sqs.create_queue(QueueName=f"scan-{uuid.uuid4().hex}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    with s3_bucket(s3) as bucket:
        # As resources.json's UploadsBucket announces to the scanner function.
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": queue_arn["Attributes"]["QueueArn"],
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {
                            "Key": {"FilterRules": [{"Name": "prefix", "Value": "quarantine/"}]}
                        },
                    }
                ]
            },
        )
        uploads = S3Uploads(s3, bucket)
        verdicts = DynamoScanVerdicts(dynamodb, table)
        service = Service(
            Bundle.load(bundle_path),
            DynamoDossiers(dynamodb, table),
            uploads,
            secret_key=b"k" * 32,
            public_url="https://dichvucong.example.vn",
            limiter=FailureLimiter(DynamoLookupFailures(dynamodb, table), secret_key=b"k" * 32),
            scanner=RecordedScanner(verdicts),
        )
        step = ScanStep(bucket, S3Uploads(s3, bucket), ClamdScanner(clamd.socket), verdicts)
        yield Aws(service, step, uploads, sqs, queue, bucket, table)
    sqs.delete_queue(QueueUrl=queue)
    dynamodb.delete_table(TableName=table)


def scan_all(aws: Aws, step: ScanStep | None = None) -> list[dict[str, str]]:
    events = aws.events()
    assert events, "S3 announced the upload"
    return [result for event in events for result in (step or aws.step).run(event)]


def test_verify_before_the_scan_answers_wait_and_accepts_nothing(aws):
    key = aws.upload(files.pdf())["key"]

    with pytest.raises(ScanPendingError) as pending:
        aws.verify(key)

    assert pending.value.status == 202
    assert pending.value.body()["accepted"] is False
    assert pending.value.body()["retry_after"] > 0
    assert "quét mã độc" in pending.value.message
    assert not aws.uploads.is_accepted(key)
    assert aws.uploads.size(key) is not None  # still in quarantine, waiting for its scan


def test_a_clean_file_is_accepted_only_after_the_scan_step_has_seen_it(aws):
    content = files.pdf()
    key = aws.upload(content)["key"]
    with pytest.raises(ScanPendingError):
        aws.verify(key)

    (result,) = scan_all(aws)

    assert result["key"] == key and result["verdict"] == "clean"
    assert aws.verify(key) == {"key": key, "accepted": True, "size": len(content)}
    assert aws.uploads.is_accepted(key)


def test_the_eicar_file_is_found_by_the_scan_step_and_verify_refuses_and_deletes_it(aws):
    key = aws.upload(files.pdf() + files.EICAR)["key"]

    (result,) = scan_all(aws)
    with pytest.raises(ValidationFailedError) as refused:
        aws.verify(key)

    assert result["verdict"] == f"infected:{EICAR_NAME}"
    assert refused.value.status == 422
    assert EICAR_NAME in refused.value.fields["/key"] and "mã độc" in refused.value.message
    assert aws.uploads.size(key) is None  # deleted from quarantine
    assert not aws.uploads.is_accepted(key)


def test_when_clamd_cannot_scan_the_step_fails_and_the_file_stays_unaccepted(aws, tmp_path):
    key = aws.upload(files.pdf())["key"]
    down = ScanStep(
        aws.bucket,
        aws.step.uploads,
        ClamdScanner(str(tmp_path / "no-clamd.sock")),
        aws.step.verdicts,
    )

    with pytest.raises(ScannerUnavailableError):  # Lambda retries the event, then drops it
        scan_all(aws, down)

    with pytest.raises(ScanPendingError):
        aws.verify(key)
    assert not aws.uploads.is_accepted(key)
    assert aws.uploads.size(key) is not None


def test_a_file_uploaded_again_after_its_scan_waits_for_a_scan_of_its_own(aws):
    """A verdict speaks for the bytes scanned: the same signed target used again (within its
    five minutes) for the EICAR file after the clean one was scanned gets no verdict from it."""
    target = aws.upload(files.pdf())
    assert [r["verdict"] for r in scan_all(aws)] == ["clean"]

    aws.upload(files.pdf() + files.EICAR, target)
    with pytest.raises(ScanPendingError):
        aws.verify(target["key"])
    assert [r["verdict"] for r in scan_all(aws)] == [f"infected:{EICAR_NAME}"]
    with pytest.raises(ValidationFailedError):
        aws.verify(target["key"])
    assert not aws.uploads.is_accepted(target["key"])


def test_a_late_event_for_an_accepted_file_and_foreign_events_are_skipped(aws):
    key = aws.upload(files.pdf())["key"]
    (event,) = aws.events()
    aws.step.run(event)
    aws.verify(key)
    foreign = json.loads(json.dumps(event))
    foreign["Records"][0]["s3"]["bucket"]["name"] = "another-bucket"
    outside = json.loads(json.dumps(event))
    outside["Records"][0]["s3"]["object"]["key"] = f"accepted/{key}"
    strange = json.loads(json.dumps(event))
    strange["Records"][0]["s3"]["object"]["key"] = "quarantine/../accepted/x.pdf"

    assert [r["verdict"] for r in aws.step.run(event)] == ["gone"]
    assert [r["verdict"] for r in aws.step.run(foreign)] == ["ignored"]
    assert [r["verdict"] for r in aws.step.run(outside)] == ["ignored"]
    assert [r["verdict"] for r in aws.step.run(strange)] == ["ignored"]
    assert aws.step.run({"Service": "Amazon S3", "Event": TEST_EVENT}) == []


def test_the_function_handler_is_wired_from_the_environment_and_waits_for_clamd(
    aws, moto_url, clamd, monkeypatch
):
    """What the image runs: `chalicelib.scanstep.handler` with the function's environment
    (resources.json) and MOTCUA_CLAMD set by its entrypoint."""
    key = aws.upload(files.pdf() + files.EICAR)["key"]
    environment = {
        "MOTCUA_STORAGE": "aws",
        "MOTCUA_AWS_ENDPOINT": moto_url,
        "MOTCUA_TABLE": aws.table,
        "MOTCUA_BUCKET": aws.bucket,
        "MOTCUA_CLAMD": clamd.socket,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    scanstep._default_step.cache_clear()
    try:
        results = [r for event in aws.events() for r in scanstep.handler(event, None)]
    finally:
        scanstep._default_step.cache_clear()

    assert results == [
        {"key": key, "sha256": results[0]["sha256"], "verdict": f"infected:{EICAR_NAME}"}
    ]
    with pytest.raises(ValidationFailedError):
        aws.verify(key)


def test_the_scan_step_refuses_to_start_without_clamd(monkeypatch):
    monkeypatch.setenv("MOTCUA_STORAGE", "aws")
    monkeypatch.delenv("MOTCUA_CLAMD", raising=False)
    scanstep._default_step.cache_clear()
    from chalicelib.config import ConfigurationError

    with pytest.raises(ConfigurationError):
        scanstep.handler({"Records": []}, None)


def test_the_api_answers_202_with_retry_after_while_the_scan_is_pending_then_200(
    aws, moto_url, bundle_path, monkeypatch
):
    """app.py's verify route, wired from the API function's environment (no MOTCUA_CLAMD)."""
    from chalice.test import Client

    import app
    from chalicelib.wiring import default_service

    key = aws.upload(files.pdf())["key"]
    environment = {
        "MOTCUA_STORAGE": "aws",
        "MOTCUA_AWS_ENDPOINT": moto_url,
        "MOTCUA_TABLE": aws.table,
        "MOTCUA_BUCKET": aws.bucket,
        "MOTCUA_BUNDLE": str(bundle_path),
        "MOTCUA_SECRET_KEY": "k" * 32,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MOTCUA_CLAMD", raising=False)
    default_service.cache_clear()
    try:
        with Client(app.app) as client:

            def verify():
                body = json.dumps({"key": key})
                headers = {"Content-Type": "application/json"}
                return client.http.post("/api/uploads/verify", headers=headers, body=body)

            pending = verify()
            scan_all(aws)
            verified = verify()
    finally:
        default_service.cache_clear()

    assert pending.status_code == 202
    assert pending.headers["Retry-After"] == str(json.loads(pending.body)["retry_after"])
    assert json.loads(pending.body)["code"] == "scan_pending"
    assert verified.status_code == 200, verified.body
    assert json.loads(verified.body)["accepted"] is True
    assert "Retry-After" not in verified.headers
