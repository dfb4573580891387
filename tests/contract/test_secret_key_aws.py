"""On AWS the secret key comes from the Secrets Manager secret the template creates, read once per
cold start; a missing, unreadable or short one stops startup with a clear message."""

import io
import uuid

import pytest

from buildlib.bundle import bundle_command
from chalicelib.config import ConfigurationError, Settings
from chalicelib.wiring import build_service

from ..conftest import CATALOGUE
from .conftest import aws_client

KEY = "a" * 64


@pytest.fixture
def secrets(moto_url):
    return aws_client("secretsmanager", moto_url)


@pytest.fixture
def on_aws(monkeypatch, moto_url, tmp_path):
    """The environment config.json and resources.json give the function, pointed at moto."""
    for name in ("MOTCUA_SECRET_KEY", "MOTCUA_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_STORAGE", "aws")
    monkeypatch.setenv("MOTCUA_AWS_ENDPOINT", moto_url)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    return monkeypatch


def new_secret(secrets, value: str) -> str:
    name = f"secret-key-{uuid.uuid4().hex}"
    return secrets.create_secret(Name=name, SecretString=value)["ARN"]


@pytest.mark.slow
def test_the_key_is_read_from_the_secret_once_per_cold_start(on_aws, secrets, tmp_path):
    secret = new_secret(secrets, KEY + "\n")
    on_aws.setenv("MOTCUA_SECRET_KEY_SECRET_ID", secret)

    assert Settings.from_env().secret_key == KEY.encode()
    # A second read in the same process (the officers' wiring builds settings again) asks
    # Secrets Manager nothing: the secret is gone and the key is still there.
    secrets.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    assert Settings.from_env().secret_key == KEY.encode()
    assert list(tmp_path.iterdir()) == []  # nothing written: a Lambda's filesystem is read-only


@pytest.mark.slow
def test_the_service_on_aws_signs_with_the_key_from_the_secret(on_aws, secrets, tmp_path):
    bundle = tmp_path / "bundle.json"
    assert bundle_command(CATALOGUE, bundle, out=io.StringIO()) == 0
    on_aws.setenv("MOTCUA_BUNDLE", str(bundle))
    on_aws.setenv("MOTCUA_SECRET_KEY_SECRET_ID", new_secret(secrets, KEY))

    service = build_service(Settings.from_env())

    assert service.secret_key == KEY.encode()


@pytest.mark.slow
def test_a_missing_secret_stops_startup_naming_it(on_aws):
    on_aws.setenv("MOTCUA_SECRET_KEY_SECRET_ID", f"secret-key-{uuid.uuid4().hex}")

    with pytest.raises(ConfigurationError, match=r"MOTCUA_SECRET_KEY_SECRET_ID.*ResourceNotFound"):
        Settings.from_env()


@pytest.mark.slow
def test_a_short_secret_is_refused(on_aws, secrets):
    on_aws.setenv("MOTCUA_SECRET_KEY_SECRET_ID", new_secret(secrets, "short"))

    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        Settings.from_env()


def test_on_aws_without_any_key_setting_startup_names_the_secret_setting(monkeypatch, tmp_path):
    for name in ("MOTCUA_SECRET_KEY", "MOTCUA_SECRET_KEY_FILE", "MOTCUA_SECRET_KEY_SECRET_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_STORAGE", "aws")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))

    with pytest.raises(ConfigurationError, match="MOTCUA_SECRET_KEY_SECRET_ID"):
        Settings.from_env()
