"""Settings: the local secret key is created once, even by concurrent first requests."""

import concurrent.futures
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest

from chalicelib.config import ConfigurationError, Settings, _secret_key
from chalicelib.storage.s3 import s3_client


def test_concurrent_first_requests_agree_on_one_secret_key(tmp_path: Path):
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(lambda _: _secret_key({}, tmp_path), range(64)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


def test_the_environment_key_wins_and_an_explicit_argument_beats_the_environment(
    tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("MOTCUA_SECRET_KEY", "from-env")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    assert Settings.from_env().secret_key == b"from-env"
    assert Settings.from_env(secret_key=b"explicit").secret_key == b"explicit"
    assert not (tmp_path / "secret.key").exists()


def test_outside_the_embedded_default_a_missing_key_stops_startup_with_a_clear_message(
    tmp_path: Path, monkeypatch
):
    monkeypatch.delenv("MOTCUA_SECRET_KEY", raising=False)
    monkeypatch.delenv("MOTCUA_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOTCUA_STORAGE", "aws")
    with pytest.raises(ConfigurationError, match="MOTCUA_SECRET_KEY"):
        Settings.from_env()
    assert list(tmp_path.iterdir()) == []  # no per-instance key was made


def test_the_key_can_come_from_a_file_and_a_short_or_unreadable_one_is_refused(
    tmp_path: Path, monkeypatch
):
    monkeypatch.delenv("MOTCUA_SECRET_KEY", raising=False)
    monkeypatch.setenv("MOTCUA_STORAGE", "aws")
    key = tmp_path / "motcua.key"
    key.write_text("k" * 64 + "\n")
    monkeypatch.setenv("MOTCUA_SECRET_KEY_FILE", str(key))
    assert Settings.from_env().secret_key == b"k" * 64
    key.write_text("short")
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        Settings.from_env()
    monkeypatch.setenv("MOTCUA_SECRET_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(ConfigurationError, match="cannot read"):
        Settings.from_env()


# An S3-compatible store: endpoint, region and path-style addressing from the environment.


def test_s3_settings_default_to_aws_own_endpoint_region_and_addressing(monkeypatch, tmp_path):
    for name in ("MOTCUA_S3_ENDPOINT", "MOTCUA_S3_REGION", "MOTCUA_S3_PATH_STYLE"):
        monkeypatch.delenv(name, raising=False)

    settings = Settings.from_env(secret_key=b"k", data_dir=tmp_path)

    assert (settings.s3_endpoint, settings.s3_region, settings.s3_path_style) == (None, None, None)


def test_s3_settings_name_an_s3_compatible_store(monkeypatch, tmp_path):
    monkeypatch.setenv("MOTCUA_S3_ENDPOINT", "https://hcm01.vstorage.vngcloud.vn")
    monkeypatch.setenv("MOTCUA_S3_REGION", "HCM01")
    monkeypatch.setenv("MOTCUA_S3_PATH_STYLE", "true")

    settings = Settings.from_env(secret_key=b"k", data_dir=tmp_path)

    assert settings.s3_endpoint == "https://hcm01.vstorage.vngcloud.vn"
    assert settings.s3_region == "HCM01"
    assert settings.s3_path_style is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("1", True), ("true", True), ("Yes", True), (" on ", True)],
        *[("0", False), ("false", False), ("NO", False), ("off", False), ("", None)],
    ],
)
def test_path_style_reads_the_usual_yes_and_no_words(monkeypatch, tmp_path, value, expected):
    monkeypatch.setenv("MOTCUA_S3_PATH_STYLE", value)

    assert Settings.from_env(secret_key=b"k", data_dir=tmp_path).s3_path_style is expected


@pytest.mark.parametrize("value", ["2", "path", "có"])
def test_an_unreadable_path_style_fails_at_startup_instead_of_meaning_no(
    monkeypatch, tmp_path, value
):
    monkeypatch.setenv("MOTCUA_S3_PATH_STYLE", value)

    with pytest.raises(ValueError, match="MOTCUA_S3_PATH_STYLE"):
        Settings.from_env(secret_key=b"k", data_dir=tmp_path)


def offline_session() -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id="khoa", aws_secret_access_key="bi-mat")


def test_the_s3_client_posts_to_the_configured_store_with_the_bucket_in_the_path():
    client = s3_client(
        offline_session(),
        endpoint_url="https://s3.tinh.gov.vn:8333",
        region="vn-hcm",
        path_style=True,
    )

    post = client.generate_presigned_post(Bucket="ho-so", Key="quarantine/a.pdf", ExpiresIn=60)

    assert post["url"] == "https://s3.tinh.gov.vn:8333/ho-so"
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert "/vn-hcm/s3/aws4_request" in post["fields"]["x-amz-credential"]


def test_with_path_style_off_the_bucket_is_in_the_host_name():
    client = s3_client(
        offline_session(), endpoint_url="https://s3.tinh.gov.vn", region="vn-hcm", path_style=False
    )

    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": "ho-so", "Key": "accepted/a.pdf"}, ExpiresIn=60
    )

    assert url.startswith("https://ho-so.s3.tinh.gov.vn/accepted/a.pdf?")
    assert "X-Amz-Signature=" in url  # SigV4, not SigV2's Signature=


def test_an_endpoint_without_a_path_style_setting_gets_the_bucket_in_the_path():
    """botocore's choice for endpoints other than AWS's, as moto and SeaweedFS on loopback need."""
    client = s3_client(offline_session(), endpoint_url="http://127.0.0.1:8333", region="vn-hcm")

    post = client.generate_presigned_post(Bucket="ho-so", Key="quarantine/a.pdf", ExpiresIn=60)

    assert post["url"] == "http://127.0.0.1:8333/ho-so"


def test_on_aws_the_client_signs_for_the_region_asked():
    client = s3_client(offline_session(), region="ap-southeast-1")

    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": "ho-so", "Key": "accepted/a.pdf"}, ExpiresIn=60
    )

    assert urlsplit(url).hostname.startswith("ho-so.s3.")
    assert urlsplit(url).hostname.endswith(".amazonaws.com")
    assert "ap-southeast-1%2Fs3%2Faws4_request" in url


# The province target: PostgreSQL and an S3-compatible store, both named at startup.


def test_the_province_target_reads_its_database_and_store(monkeypatch, tmp_path):
    monkeypatch.setenv("MOTCUA_STORAGE", "province")
    monkeypatch.setenv("MOTCUA_DATABASE_URL", "postgresql://motcua@/motcua?host=/run/postgresql")
    monkeypatch.setenv("MOTCUA_S3_ENDPOINT", "http://127.0.0.1:8333")
    monkeypatch.setenv("MOTCUA_S3_PUBLIC_URL", "https://dichvucong.tinh.gov.vn/luu-tru/")

    settings = Settings.from_env(secret_key=b"k", data_dir=tmp_path)

    assert settings.storage == "province"
    assert settings.database_url == "postgresql://motcua@/motcua?host=/run/postgresql"
    assert settings.s3_public_url == "https://dichvucong.tinh.gov.vn/luu-tru"


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "MOTCUA_DATABASE_URL and MOTCUA_S3_ENDPOINT"),
        ({"MOTCUA_S3_ENDPOINT": "http://127.0.0.1:8333"}, "needs MOTCUA_DATABASE_URL:"),
        ({"MOTCUA_DATABASE_URL": "dbname=motcua"}, "needs MOTCUA_S3_ENDPOINT:"),
    ],
)
def test_the_province_target_without_its_database_or_store_stops_startup(
    monkeypatch, tmp_path, given, missing
):
    for name in ("MOTCUA_DATABASE_URL", "MOTCUA_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_STORAGE", "province")
    for name, value in given.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env(secret_key=b"k", data_dir=tmp_path)


def test_an_unknown_storage_target_stops_startup(tmp_path):
    with pytest.raises(ConfigurationError, match="embedded, province, aws"):
        Settings(storage="postgres", data_dir=tmp_path, secret_key=b"k")


def test_a_public_store_url_with_the_bucket_in_the_host_name_stops_startup(tmp_path):
    with pytest.raises(ConfigurationError, match="path-style"):
        Settings(s3_public_url="https://host/luu-tru", s3_path_style=False, secret_key=b"k")
