"""The Lambda's policy (functions/.chalice/policy.json) grants exactly what its code calls.

conftest.py checks after every AWS contract test that each call the adapters made is granted. This
test checks the other way: one pass through every port method the Lambda runs, against moto, makes
every grant of the policy needed; a grant no call needs is too broad and fails here. The same for
the scanner function's role (functions/resources.json `ScannerRole`) and the scan step."""

import uuid

import pytest

from chalicelib import workflow
from chalicelib.config import Settings
from chalicelib.errors import NotConfiguredError
from chalicelib.notify.ses import SesSender
from chalicelib.outbox import render as outbox_render
from chalicelib.scanner import ClamdScanner
from chalicelib.scanstep import ScanStep
from chalicelib.storage.dynamo import DynamoDossiers, create_table
from chalicelib.storage.outbox_dynamo import DynamoOutbox
from chalicelib.storage.ports import Dossiers, Outbox, Uploads
from chalicelib.storage.s3 import S3Uploads
from chalicelib.storage.scans_dynamo import DynamoScanVerdicts
from chalicelib.storage.secrets import read_secret_key
from chalicelib.wiring import build_officer_auth

from .conftest import AWS_OPERATIONS, aws_client, post_form, s3_bucket
from .iam import NOT_IN_THE_LAMBDA, granted, scanner_policy
from .test_dossiers_contract import make_dossier
from .test_dossiers_lifecycle import CALENDAR, DESK, MONDAY, RULES
from .test_outbox_contract import LEASE, NOW, receipts

PDF = b"%PDF-1.7\n" + b"x" * 100


class Calls:
    """Forwards to an adapter and notes which of its methods were called."""

    def __init__(self, adapter: object, called: set[str]):
        self._adapter = adapter
        self._called = called

    def __getattr__(self, name: str):
        self._called.add(name)
        return getattr(self._adapter, name)


def lambda_methods(port: type) -> set[str]:
    methods = {name for name in vars(port) if not name.startswith("_")}
    return methods - {name.rsplit(".", 1)[-1] for name in NOT_IN_THE_LAMBDA}


@pytest.mark.slow
def test_every_grant_of_the_lambda_policy_is_needed_by_a_call_its_code_makes(
    dynamodb, s3, moto_url
):
    called: set[str] = set()
    table = f"dossiers-{uuid.uuid4().hex}"
    create_table(dynamodb, table)
    secrets = aws_client("secretsmanager", moto_url)
    secret = f"secret-key-{uuid.uuid4().hex}"
    secrets.create_secret(Name=secret, SecretString="k" * 64)
    with s3_bucket(s3) as bucket:
        AWS_OPERATIONS.made.clear()
        dossiers = Calls(DynamoDossiers(dynamodb, table), called)
        uploads = Calls(S3Uploads(s3, bucket), called)
        outbox = Calls(DynamoOutbox(dynamodb, table), called)

        assert read_secret_key(secrets, secret) == b"k" * 64
        stored = dossiers.create(
            make_dossier(), idempotency_key="k1", request_hash="h1", deliveries=receipts
        )
        assert dossiers.filed_under("k1") == stored.code  # the applicant's "Xóa" asks first
        state, event = workflow.apply(
            stored.state, "receive", {}, actor=DESK, at=MONDAY, rules=RULES, calendar=CALENDAR
        )
        dossiers.transition(stored.code, expected_version=0, event=event, state=state)
        assert dossiers.get(stored.code).state.version == 1
        dossiers.replace_secret(  # POST /api/dossiers/resend
            stored.code, expected_version=1, secret_hash="argon2id:moi", deliveries=[]
        )
        # The scheduled outbox function: claim, send, mark (and an officer's retry).
        email, sms = outbox.claim(NOW, channels=["email", "sms"], limit=10, lease=LEASE)
        outbox.sent(email.id, NOW)
        outbox.failed(sms.id, error="503", retry_at=None)
        assert outbox.retry(sms.id, NOW) and outbox.get(sms.id).state == "pending"
        outbox.close()
        ses = aws_client("ses", moto_url)
        ses.verify_email_identity(EmailAddress="thongbao@haiphong.gov.vn")
        SesSender(ses, sender="thongbao@haiphong.gov.vn").send(email, outbox_render(email))
        files = (
            ("2026/12/07/kept.pdf", True),
            ("2026/12/07/refused.pdf", False),
            ("2026/12/07/deleted.pdf", True),
        )
        for key, keep in files:
            target = uploads.target(
                key, content_type="application/pdf", max_bytes=1000, expires_in=300
            )
            assert post_form(target, PDF, "application/pdf") in {200, 201, 204}
            assert uploads.size(key) == len(PDF)
            assert uploads.head_bytes(key, 5) == b"%PDF-"
            with uploads.read(key) as stream:  # verify scans and parses the whole file
                assert stream.read() == PDF
            if keep:
                uploads.replace(key, PDF)  # verify's re-encoded image takes the upload's place
                uploads.accept(key)
            else:
                uploads.reject(key)
        assert uploads.is_accepted("2026/12/07/kept.pdf")
        assert uploads.describe("2026/12/07/kept.pdf")[0] == len(PDF)
        assert uploads.download_url("2026/12/07/kept.pdf", filename="a.pdf", expires_in=60)
        uploads.remove("2026/12/07/deleted.pdf")  # the applicant's "Xóa", verified or not
        assert not uploads.is_accepted("2026/12/07/deleted.pdf")
        made = set(AWS_OPERATIONS.made)
    dynamodb.delete_table(TableName=table)

    assert called >= lambda_methods(Dossiers) | lambda_methods(Uploads) | lambda_methods(Outbox)
    assert made == granted()


@pytest.mark.slow
def test_every_grant_of_the_scanner_role_is_needed_by_a_call_the_scan_step_makes(
    dynamodb, s3, clamd
):
    table = f"dossiers-{uuid.uuid4().hex}"
    create_table(dynamodb, table)
    with s3_bucket(s3) as bucket:
        kept, gone = (f"1.001193/giay-chung-sinh/{name * 20}.pdf" for name in "ab")
        s3.put_object(Bucket=bucket, Key=f"quarantine/{kept}", Body=PDF)
        event = {
            "Records": [
                {"s3": {"bucket": {"name": bucket}, "object": {"key": f"quarantine/{key}"}}}
                for key in (kept, gone)
            ]
        }
        verdicts = DynamoScanVerdicts(dynamodb, table)
        step = ScanStep(bucket, S3Uploads(s3, bucket), ClamdScanner(clamd.socket), verdicts)
        AWS_OPERATIONS.clear()

        verdicts_given = [result["verdict"] for result in step.run(event)]

        made = set(AWS_OPERATIONS.scanner_made)
    dynamodb.delete_table(TableName=table)

    assert verdicts_given == ["clean", "gone"]
    assert not AWS_OPERATIONS.made  # none of it is the API's
    assert made == granted(scanner_policy())


def test_the_scanner_role_writes_only_scan_verdicts_into_the_table():
    (statement,) = [s for s in scanner_policy()["Statement"] if s["Action"] == ["dynamodb:PutItem"]]
    condition = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert condition == ["SCAN#*"]  # storage/scans_dynamo.py's keys: never a dossier's


def test_officers_cannot_sign_in_on_aws_so_the_policy_leaves_out_the_queue_index():
    """NOT_IN_THE_LAMBDA leaves the queue's calls out of the policy because of this refusal; when
    officers sign in on AWS, the queue index (dynamodb:Query) must be granted."""
    with pytest.raises(NotConfiguredError):
        build_officer_auth(Settings(storage="aws", secret_key=b"k" * 32))
