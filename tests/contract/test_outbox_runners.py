"""Where the outbox worker runs, on each target's real store: `motcua outbox-worker` on
PostgreSQL (a province; deploy/systemd/motcua-outbox.service), serve.py's thread on SQLite
(embedded), the scheduled function's worker through SES on DynamoDB (moto over HTTP)."""

import time
import uuid

import pytest

from chalicelib import sealing
from chalicelib.admin import cli
from chalicelib.config import Settings
from chalicelib.storage.dynamo import DynamoDossiers, create_table
from chalicelib.storage.postgres import PostgresDossiers
from chalicelib.storage.sqlite import SqliteDossiers
from chalicelib.wiring import build_outbox_worker, data_sealer
from serve import start_sending
from tests.notify_servers import smtp_server

from .conftest import aws_client
from .test_dossiers_contract import make_dossier
from .test_outbox_contract import OFFICE, delivery

pytestmark = pytest.mark.slow


def receipt_now(code: str):
    now = time.time()
    return [delivery(code, channel=c, next_at=now, created_at=now) for c in ("email", "sms")]


def file(dossiers, key: str = "k1"):
    dossier = make_dossier(office=OFFICE)
    return dossiers.create(dossier, idempotency_key=key, request_hash="h", deliveries=receipt_now)


def test_the_province_worker_command_sends_what_postgres_holds(
    postgres_cluster, monkeypatch, capsys
):
    dsn = postgres_cluster.new_database()
    dossiers = PostgresDossiers(dsn)
    stored = file(dossiers)
    monkeypatch.setenv("MOTCUA_STORAGE", "province")
    monkeypatch.setenv("MOTCUA_DATABASE_URL", dsn)
    monkeypatch.setenv("MOTCUA_S3_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("MOTCUA_SECRET_KEY", "k" * 32)

    assert cli.main(["outbox-worker", "--once"]) == 2  # no channel: nothing is claimed
    assert "thông báo được giữ lại" in capsys.readouterr().err
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("MOTCUA_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("MOTCUA_SMTP_PORT", str(port))
        monkeypatch.setenv("MOTCUA_SMTP_FROM", "motcua@haiphong.gov.vn")
        assert cli.main(["outbox-worker", "--once"]) == 0
        assert cli.main(["outbox-worker", "--once"]) == 0
    assert "Đã gửi 1," in capsys.readouterr().out
    assert inbox.message_ids() == [f"<{stored.code}.0.email@haiphong.gov.vn>"]
    dossiers.close()
    postgres_cluster.drop(dsn)


def test_the_embedded_server_sends_from_its_own_thread(tmp_path, monkeypatch):
    key_file = tmp_path / "data.key"
    key_file.write_text(sealing.new_key_line() + "\n")
    key_file.chmod(0o600)
    monkeypatch.setenv("MOTCUA_STORAGE", "embedded")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MOTCUA_DATA_KEY_FILE", str(key_file))
    settings = Settings.from_env()
    dossiers = SqliteDossiers(tmp_path / "var" / "motcua.sqlite3", sealer=data_sealer(settings))
    stored = file(dossiers)
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("MOTCUA_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("MOTCUA_SMTP_PORT", str(port))
        stop = start_sending(0.05)
        try:
            deadline = time.monotonic() + 10
            while not inbox.messages and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
    assert [m["X-MotCua-Delivery"] for m in inbox.messages] == [f"{stored.code}:0:email"]
    dossiers.close()


def test_the_aws_worker_sends_by_ses_what_the_table_holds(moto_url, monkeypatch):
    client = aws_client("dynamodb", moto_url)
    table = f"dossiers-{uuid.uuid4().hex}"
    create_table(client, table)
    stored = file(DynamoDossiers(client, table))
    ses = aws_client("ses", moto_url)
    ses.verify_email_identity(EmailAddress="thongbao@haiphong.gov.vn")
    sent_before = ses.get_send_quota()["SentLast24Hours"]
    settings = Settings(
        storage="aws",
        table=table,
        aws_endpoint=moto_url,
        secret_key=b"k" * 32,
        ses_from="thongbao@haiphong.gov.vn",
    )

    worker = build_outbox_worker(settings)
    assert [sender.channel for sender in worker.senders.values()] == ["email"]
    assert worker.run_once().sent == 1
    assert worker.run_once().sent == 0

    assert ses.get_send_quota()["SentLast24Hours"] > sent_before  # moto counts per message part
    assert worker.outbox.get(f"{stored.code}:0:email").state == "sent"
    assert worker.outbox.get(f"{stored.code}:0:sms").state == "pending"  # no SMS gateway
    client.delete_table(TableName=table)
