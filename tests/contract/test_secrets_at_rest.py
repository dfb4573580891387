"""Lookup secrets and idempotency keys at rest, on every Dossiers adapter (SQLite, PostgreSQL,
DynamoDB in moto): what the store holds is an argon2id hash of the secret and SHA-256 of the key,
never either in clear, and yet a retry of the same submission gets the same secret back; keys
stored in clear before are converted (SQLite at open, PostgreSQL by migration 0005, DynamoDB by
`motcua migrate`)."""

import contextlib
import datetime as dt
import io
import json

import pytest

from buildlib.bundle import bundle_command
from chalicelib import lookup_secret
from chalicelib.bundle import Bundle
from chalicelib.calendar import VIETNAM
from chalicelib.dossiers import Service
from chalicelib.storage import postgres
from chalicelib.storage.dynamo import DynamoDossiers
from chalicelib.storage.ports import Dossiers
from chalicelib.storage.postgres import PostgresDossiers
from chalicelib.storage.sqlite import SqliteDossiers
from tests.factories import make_service

from ..api.filling import answers_for
from ..conftest import CATALOGUE
from .test_dossiers_contract import make_dossier

PROCEDURE = "1.001612"  # the fixture catalogue's đăng ký hộ kinh doanh: no upload required
IDEMPOTENCY_KEY = "b6c1f0d2-9a8e-4f1b-8c3d-2e5a7b9c0d14"
WEDNESDAY = dt.datetime(2026, 12, 9, 9, 0, tzinfo=VIETNAM)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Bundle:
    path = tmp_path_factory.mktemp("bundle") / "bundle.json"
    with contextlib.redirect_stdout(io.StringIO()):
        assert bundle_command(CATALOGUE, path, out=io.StringIO()) == 0
    return Bundle.load(path)


def service_over(dossiers: Dossiers, bundle: Bundle, tmp_path) -> Service:
    return make_service(tmp_path, bundle, dossiers=dossiers, clock=lambda: WEDNESDAY)


def submission(bundle: Bundle) -> dict:
    version = bundle.version(PROCEDURE, WEDNESDAY.date())
    return {
        "procedure": PROCEDURE,
        "answers": answers_for(bundle.form(version)),
        "office": bundle.offices_for(version)[0]["id"],
    }


def everything_stored(dossiers: Dossiers) -> str:
    """Every row or item the adapter wrote, as text: what someone who copies the store reads."""
    if isinstance(dossiers, SqliteDossiers):
        db = dossiers._connections.get()
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [db.execute(f"SELECT * FROM {table}").fetchall() for table in tables]
        # Sealed columns are bytes: their bytes as text, so a secret in clear would still show.
        return json.dumps(rows, ensure_ascii=False, default=lambda v: v.decode("latin-1"))
    if isinstance(dossiers, PostgresDossiers):
        with dossiers._pool.connection() as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
            rows = [
                conn.execute(f"SELECT t::text FROM {name} AS t").fetchall() for (name,) in tables
            ]
        return json.dumps(rows, ensure_ascii=False)
    assert isinstance(dossiers, DynamoDossiers)
    items = dossiers._client.scan(TableName=dossiers._table, ConsistentRead=True)["Items"]
    return json.dumps(items, ensure_ascii=False)


def test_the_store_holds_neither_the_secret_nor_the_idempotency_key(dossiers, bundle, tmp_path):
    service = service_over(dossiers, bundle, tmp_path)
    body = submission(bundle)

    filed = service.submit(body, IDEMPOTENCY_KEY)
    again = service.submit(body, IDEMPOTENCY_KEY)  # the response was lost: the same secret

    assert again["code"] == filed["code"] and again["secret"] == filed["secret"]
    secret = lookup_secret.parse(filed["secret"])
    stored = everything_stored(dossiers)
    assert filed["code"] in stored  # the dump does hold the dossier
    for clear in (secret, secret.lower(), filed["secret"], IDEMPOTENCY_KEY):
        assert clear not in stored, clear
    assert lookup_secret.idempotency_hash(IDEMPOTENCY_KEY) in stored
    kept = dossiers.get(filed["code"]).dossier
    assert kept.secret_hash.startswith("$argon2id$")
    assert lookup_secret.verify(kept.secret_hash, secret)
    assert service.lookup(filed["code"], filed["secret"].lower(), "127.0.0.1")["code"]


def test_a_key_stored_in_clear_before_is_hashed_and_still_finds_its_dossier(make_dossiers):
    dossiers = make_dossiers()
    first = dossiers.create(make_dossier(), idempotency_key="clear-key-1", request_hash="h")

    if isinstance(dossiers, SqliteDossiers):  # a file from before: converted when opened
        with dossiers._connections.transaction() as db:
            db.execute("PRAGMA user_version = 0")
        dossiers = make_dossiers()
    elif isinstance(dossiers, PostgresDossiers):
        migration = dict(postgres.migrations())[5].read_text()
        with dossiers._pool.connection() as conn, conn.transaction():
            conn.execute(migration)
    else:
        assert dossiers.hash_idempotency_keys() == 1
        assert dossiers.hash_idempotency_keys() == 0

    assert "clear-key-1" not in everything_stored(dossiers)
    hashed = lookup_secret.idempotency_hash("clear-key-1")
    again = dossiers.create(make_dossier(), idempotency_key=hashed, request_hash="h")
    assert again.code == first.code
