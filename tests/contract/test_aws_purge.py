"""Issue 15 on AWS: the nightly purge function (functions/app.py `nightly_purge`) removes what
`motcua purge` removes on the other targets, so an upload that was verified (moved to accepted/)
but never filed does not stay for ever: S3's lifecycle rule only expires quarantine/.

Against moto in server mode, through Chalice's own test client (the scheduled event as AWS sends
it), with the clients the function's wiring makes watched by the IAM recorder (iam.py): every call
must be granted by the function's own role, functions/.chalice/purge-policy.json, and that role
grants nothing these calls do not need. moto has no clock to move: the age limit is moved instead
(a negative age makes every object old enough), as test_admin_purge.py moves `now`.
"""

import datetime as dt
import uuid
from collections.abc import Iterator

import boto3
import pytest
from chalice.test import Client

import app
from chalicelib import workflow
from chalicelib.admin import purge
from chalicelib.storage.dynamo import DynamoDossiers, create_table

from .conftest import AWS_OPERATIONS, aws_client, s3_bucket
from .iam import granted, purge_policy
from .test_dossiers_contract import make_dossier
from .test_dossiers_lifecycle import CALENDAR, DESK, MONDAY, RULES

pytestmark = pytest.mark.slow

PDF = b"%PDF-1.7\n" + b"x" * 100
FILED = "2026/12/01/filed-in-a-dossier.pdf"
VERIFIED_NEVER_FILED = "2026/12/01/verified-never-filed.pdf"
NEVER_VERIFIED = "2026/12/01/never-verified.pdf"
OF_AN_ENDED_DOSSIER = "2026/11/25/of-a-refused-dossier.pdf"


@pytest.fixture
def on_aws(monkeypatch, moto_url, dynamodb, s3) -> Iterator[tuple[str, str]]:
    """The function's environment (config.json, resources.json) pointed at moto: a new table,
    bucket and secret; every client the wiring makes is watched by the IAM recorder."""
    table = f"dossiers-{uuid.uuid4().hex}"
    create_table(dynamodb, table)
    secrets = aws_client("secretsmanager", moto_url)
    secret = secrets.create_secret(Name=f"key-{uuid.uuid4().hex}", SecretString="k" * 64)["ARN"]
    for name in ("MOTCUA_SECRET_KEY", "MOTCUA_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_STORAGE", "aws")
    monkeypatch.setenv("MOTCUA_AWS_ENDPOINT", moto_url)
    monkeypatch.setenv("MOTCUA_TABLE", table)
    monkeypatch.setenv("MOTCUA_SECRET_KEY_SECRET_ID", secret)
    monkeypatch.setenv("MOTCUA_RETENTION_DAYS", "1")
    make_client = boto3.session.Session.client

    def watched(self, *args, **kwargs):
        return AWS_OPERATIONS.watch(make_client(self, *args, **kwargs))

    monkeypatch.setattr(boto3.session.Session, "client", watched)
    with s3_bucket(s3) as bucket:
        monkeypatch.setenv("MOTCUA_BUCKET", bucket)
        yield table, bucket


def stored_keys(s3, bucket: str) -> set[str]:
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"] for item in listed}


def run_the_scheduled_function() -> dict[str, int]:
    with Client(app.app) as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        return client.lambda_.invoke("nightly_purge", event).payload


def test_the_nightly_function_removes_unfiled_uploads_and_ended_dossiers_only(
    on_aws, dynamodb, s3, monkeypatch
):
    table, bucket = on_aws
    dossiers = DynamoDossiers(dynamodb, table)
    kept = dossiers.create(
        make_dossier(uploads={"to-khai": [FILED]}), idempotency_key="k1", request_hash="h1"
    )
    ended = dossiers.create(
        make_dossier(uploads={"to-khai": [OF_AN_ENDED_DOSSIER]}),
        idempotency_key="k2",
        request_hash="h2",
    )
    state, event = workflow.apply(
        ended.state,
        "refuse",
        {"reason": "Hồ sơ không thuộc thẩm quyền"},
        actor=DESK,
        at=MONDAY,
        rules=RULES,
        calendar=CALENDAR,
    )
    dossiers.transition(ended.code, expected_version=0, event=event, state=state)
    for key in (FILED, VERIFIED_NEVER_FILED, OF_AN_ENDED_DOSSIER):
        s3.put_object(Bucket=bucket, Key=f"accepted/{key}", Body=PDF)
    s3.put_object(Bucket=bucket, Key=f"quarantine/{NEVER_VERIFIED}", Body=PDF)
    everything = stored_keys(s3, bucket)
    AWS_OPERATIONS.clear()

    # Today every upload is younger than two days: nothing goes but the dossier that ended
    # (refused on 2026-11-30) more than the one day of retention this test sets.
    assert run_the_scheduled_function() == {
        "uploads": 0,
        "dossiers": 1,
        "dossier_files": 1,
        "sessions": 0,
        "attempts": 0,
        "lookup_failures": 0,
    }
    assert not AWS_OPERATIONS.made  # nothing was done under the API's role
    assert stored_keys(s3, bucket) == everything - {f"accepted/{OF_AN_ENDED_DOSSIER}"}
    assert dossiers.get(ended.code) is None

    # Two days later (the age limit moved back instead of the clock forward): the upload that
    # was verified but never filed, and the one never verified, go; the filed one stays.
    monkeypatch.setattr(purge, "DRAFT_FILES_LIVE", dt.timedelta(minutes=-5))
    assert run_the_scheduled_function()["uploads"] == 2
    assert stored_keys(s3, bucket) == {f"accepted/{FILED}"}
    assert dossiers.get(kept.code).dossier.uploads == {"to-khai": [FILED]}

    # The function's own role grants every call it made, and nothing more (conftest.py checks
    # the first after each test too).
    assert AWS_OPERATIONS.purge_made == granted(purge_policy())
