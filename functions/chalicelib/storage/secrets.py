"""The secret key on AWS, from Secrets Manager: config.py reads it here once per Lambda cold
start when MOTCUA_SECRET_KEY_SECRET_ID names the secret.

Secrets Manager rather than SSM Parameter Store: CloudFormation creates the secret with a random
value of its own (functions/resources.json, GenerateSecretString), so the key exists from the
stack's first deployment and no person reads, types or pastes it; CloudFormation cannot create an
SSM SecureString parameter, which would need a manual `put-parameter` before the first deployment.
It costs USD 0.40 a month per stage. Rotation stays off: every pending upload target, the tags of
the files a dossier owns and the lookup secrets handed out before secrets were random are derived
from this key, so a new key would lock applicants out of their dossiers.
"""

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:  # boto3-stubs, for mypy only
    from mypy_boto3_secretsmanager import SecretsManagerClient

MIN_KEY_BYTES = 32


class SecretKeyError(Exception):
    """The secret could not be read, or holds no usable key; the message says which."""


def read_secret_key(client: "SecretsManagerClient", secret_id: str) -> bytes:
    """The key stored as the secret's string value, at least MIN_KEY_BYTES long."""
    try:
        answer = client.get_secret_value(SecretId=secret_id)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "?")
        raise SecretKeyError(f"cannot read the secret {secret_id!r}: {code}") from error
    except BotoCoreError as error:
        raise SecretKeyError(f"cannot read the secret {secret_id!r}: {error}") from error
    key = answer.get("SecretString", "").strip().encode()
    if len(key) < MIN_KEY_BYTES:
        raise SecretKeyError(
            f"the secret {secret_id!r} must hold a key of at least {MIN_KEY_BYTES} bytes"
            " as its string value"
        )
    return key


def secrets_manager_client(endpoint_url: str | None = None) -> "SecretsManagerClient":
    """A Secrets Manager client in the function's region (moto's server in tests)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5)
    return boto3.session.Session().client(
        "secretsmanager", endpoint_url=endpoint_url, config=config
    )
