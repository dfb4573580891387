"""MOTCUA_STORAGE=province: wiring.py builds the service on PostgreSQL and SeaweedFS, and the
officers' sign-in on the same PostgreSQL database."""

import contextlib
import io

import pytest

from buildlib.bundle import bundle_command
from chalicelib.config import Settings
from chalicelib.storage.accounts_postgres import PostgresAccounts
from chalicelib.storage.lookups_postgres import PostgresLookupFailures
from chalicelib.storage.postgres import PostgresDossiers
from chalicelib.storage.s3 import S3Uploads
from chalicelib.wiring import build_officer_auth, build_service
from tests.conftest import CATALOGUE

from .conftest import REGION, SEAWEED_ACCESS_KEY, SEAWEED_SECRET_KEY, s3_bucket

pytestmark = pytest.mark.slow


def test_the_province_target_is_postgres_and_an_s3_compatible_store(
    postgres_cluster, seaweed_url, seaweed_s3, monkeypatch, tmp_path
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SEAWEED_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SEAWEED_SECRET_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)  # moto's fixture may have set one
    bundle = tmp_path / "bundle" / "bundle.json"
    with contextlib.redirect_stdout(io.StringIO()):
        assert bundle_command(CATALOGUE, bundle, out=io.StringIO()) == 0
    data_dir = tmp_path / "var"
    dsn = postgres_cluster.new_database()
    with s3_bucket(seaweed_s3) as bucket:
        settings = Settings(
            storage="province",
            data_dir=data_dir,
            bundle=bundle,
            secret_key=b"k" * 32,
            database_url=dsn,
            s3_endpoint=seaweed_url,
            s3_region=REGION,
            s3_public_url="https://dichvucong.tinh.gov.vn/luu-tru",
            bucket=bucket,
        )
        service = build_service(settings)
        auth = build_officer_auth(settings)
        try:
            assert isinstance(service.dossiers, PostgresDossiers)
            assert isinstance(service.uploads, S3Uploads)
            assert isinstance(auth.accounts, PostgresAccounts)
            assert isinstance(service.limiter.failures, PostgresLookupFailures)
            target = service.uploads.target(
                "a.pdf", content_type="application/pdf", max_bytes=10, expires_in=60
            )
            assert target.url == f"https://dichvucong.tinh.gov.vn/luu-tru/{bucket}"
            assert service.uploads.size("a.pdf") is None  # the store answers with these keys
            auth.create(
                username="lan.nguyen",
                name="Nguyễn Thị Lan",
                password="mat-khau-du-dai-1",
                roles=["mot_cua"],
                offices=["ttphcc-le-chan"],
            )
            assert auth.accounts.by_username("lan.nguyen") is not None
        finally:
            service.dossiers.close()
            service.limiter.failures.close()
            if service.rates is not None:
                service.rates.counts.close()
            auth.accounts.close()
    assert not data_dir.exists()  # nothing on the local disk
    postgres_cluster.drop(dsn)
