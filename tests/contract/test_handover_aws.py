"""The hand-over's webhook on AWS: the filing writes its delivery in the DynamoDB table's outbox
(moto over HTTP), and the worker the scheduled function runs (wiring.build_outbox_worker, with
the clients of MOTCUA_HANDOVER_FILE) posts it, signed, to a province's system that fails five
times before it takes it: received once, each failure visible with its last error meanwhile."""

import json
import time
import uuid

import pytest

from chalicelib import handover
from chalicelib.config import Settings
from chalicelib.storage.dynamo import DynamoDossiers, create_table
from chalicelib.wiring import build_outbox_worker
from examples import handover_client

from .conftest import aws_client
from .test_dossiers_contract import make_dossier
from .test_dossiers_lifecycle import OFFICE

pytestmark = pytest.mark.slow

SECRET = "whsec_" + "YXdzLWhhbmRvdmVyLXNpZ25pbmctc2VjcmV0"  # base64 of 27 bytes
CLIENT_ID = "he-thong-tinh"


@pytest.fixture
def inbox():
    """The province's system: the example client's receiving side on a loopback port."""
    with handover_client.receiving(SECRET, "/webhook") as box:
        yield box


def settings_for(tmp_path, moto_url: str, table: str, url: str) -> Settings:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "tinh-ky").write_text(SECRET + "\n")
    (secrets / "tinh-khoa").write_text("khoa-api-aws-0001\n")
    config = tmp_path / "handover.json"
    client = {
        "id": CLIENT_ID,
        "name": "Hệ thống thông tin giải quyết TTHC thành phố",
        "url": url,
        "offices": [OFFICE],
        "secret": "tinh-ky",
        "api_key": "tinh-khoa",
    }
    config.write_text(json.dumps({"clients": [client]}))
    return Settings(
        storage="aws",
        table=table,
        aws_endpoint=moto_url,
        secret_key=b"k" * 32,
        handover_file=config,
        handover_secrets_dir=secrets,
    )


def test_the_webhook_leaves_the_dynamodb_outbox_once_after_five_failures(tmp_path, moto_url, inbox):
    dynamodb = aws_client("dynamodb", moto_url)
    table = f"dossiers-{uuid.uuid4().hex}"
    create_table(dynamodb, table)
    settings = settings_for(tmp_path, moto_url, table, inbox.url)
    worker = build_outbox_worker(settings)
    client = worker.senders["webhook"].registrations.clients[CLIENT_ID]
    dossier = make_dossier(office=OFFICE, uploads={}, handed_to=CLIENT_ID)
    office = {"id": OFFICE, "identifier": dossier.agency, "name": "Phường Lê Chân"}
    filed = DynamoDossiers(dynamodb, table).create(
        dossier,
        idempotency_key="k1",
        request_hash="h",
        deliveries=handover.filing(
            client, dossier, office=office, procedure_name="Thủ tục", now=time.time()
        ),
    )
    delivery_id = f"{filed.code}:0:webhook"
    moments = [time.time()]
    worker.clock = lambda: moments[-1]  # the backoff's hours pass at once; signing is real time
    inbox.fail_next = 5

    for failures in range(1, 6):
        assert worker.run_once().retried == 1
        failed = worker.outbox.get(delivery_id)
        assert (failed.state, failed.attempts) == ("pending", failures)
        assert failed.last_error == f"{CLIENT_ID}: HTTP 500"
        listed = worker.outbox.of_offices([OFFICE], states=["pending", "failed"], limit=10)
        assert [(d.id, d.last_error) for d in listed] == [(delivery_id, failed.last_error)]
        assert worker.run_once().sent == 0  # not due again before its backoff
        moments.append(moments[-1] + 3600)
    assert worker.run_once().sent == 1
    assert worker.run_once().sent == 0
    moments.append(moments[-1] + 3600)
    assert worker.run_once().sent == 0

    sent = worker.outbox.get(delivery_id)
    assert (sent.state, sent.attempts, inbox.calls) == ("sent", 6, 6)
    assert list(inbox.dossiers) == [delivery_id]
    assert inbox.dossiers[delivery_id]["code"] == filed.code
    dynamodb.delete_table(TableName=table)
