"""One settings object from the environment, with working local defaults (embedded storage under
var/). An explicit argument beats the environment."""

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_BUNDLE = Path(__file__).resolve().parent / "data" / "bundle.json"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
# The largest JSON request body the API reads (a submission's answers are a few KiB; files go
# to storage directly). app.py enforces it on Lambda and locally; the local WSGI adapter
# refuses a larger Content-Length before reading the body.
MAX_BODY_BYTES = 256 * 1024


def public_url(env: Mapping[str, str] | None = None) -> str:
    """The site's public address without a trailing '/': MOTCUA_PUBLIC_URL, else the local server.
    The one home of this value: the API (receipts, upload targets) and the build (QR codes,
    JSON-LD, mkdocs' site_url) both read it here."""
    values = os.environ if env is None else env
    return (values.get("MOTCUA_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")


@dataclass(frozen=True)
class Settings:
    # embedded: SQLite + files under data_dir (one machine); province: PostgreSQL + an
    # S3-compatible store (a province's data centre or a Vietnamese cloud); aws: DynamoDB + S3.
    storage: str = "embedded"
    data_dir: Path = ROOT / "var"
    bundle: Path = DEFAULT_BUNDLE
    public_url: str = DEFAULT_PUBLIC_URL
    secret_key: bytes = b""  # signs upload targets and derives lookup secrets
    table: str = "motcua-dossiers"
    bucket: str = "motcua-uploads"
    aws_endpoint: str | None = None  # moto server in tests; None on AWS
    # Any S3-compatible store (VNG vStorage, FPT Object Storage, a province's SeaweedFS): its
    # endpoint URL, the region it signs for, and path-style addressing (True: the bucket in the
    # path; False: in the host name). None: AWS's own endpoint, boto3's region, and botocore's
    # choice of addressing (the host name on AWS, the path for other endpoints).
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_path_style: bool | None = None
    # The address browsers use for the object store when the site proxies it under its own
    # origin (https://host/luu-tru -> SeaweedFS on 127.0.0.1:8333): presigned upload and download
    # URLs are rewritten to it (storage/s3.py). None: the endpoint's own address.
    s3_public_url: str | None = None
    database_url: str | None = None  # province: a libpq connection string or URI
    upload_ttl: int = 300
    # clamd that scans every upload before it is accepted: its unix socket's path or
    # tcp://host:port. None: no upload is accepted (verify answers 503), never one unscanned.
    clamd: str | None = None
    # Wrong code/secret per client per window, counted in the store all processes share (the
    # per-code and overall limits are dossiers.FailureLimiter's).
    lookup_failures_allowed: int = 20
    lookup_window_seconds: int = 600
    # Embedded: the key ring that seals dossiers and files at rest (chalicelib/sealing.py), kept
    # apart from data_dir. None: sealing.default_key_file(), created on first use (`make run`).
    data_key_file: Path | None = None
    # Dossiers and their files are deleted this many days after they end (the result returned,
    # or the dossier closed): `motcua purge`. A choice, not a figure from a source
    # (docs/deploy.md, "Personal data"); the application page states it.
    retention_days: int = 1825
    # Requests per minute that fill storage (ratelimit.py), per client (an address; an IPv6 /64)
    # and for everyone; 0 turns one off. A citizen's form asks for one upload target per file
    # (a few to twenty) and submits once; a one-stop desk or a mobile carrier's shared address
    # (CGNAT) puts many applicants behind one client. A province's busiest hour is a few hundred
    # online dossiers: the overall limits are ten times that per minute.
    uploads_per_client: int = 60
    uploads_per_minute: int = 3000
    submissions_per_client: int = 20
    submissions_per_minute: int = 600
    # Seconds a request waits for a storage lock another writer holds (SQLite's busy timeout,
    # PostgreSQL's lock_timeout) before it fails with 503 storage_unavailable and Retry-After.
    storage_wait_seconds: float = 5.0
    # Notifications to applicants (outbox.py, notify/; docs/notifications.md). A channel left
    # unset sends nothing: its deliveries stay pending in the outbox, visible to officers.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password_file: Path | None = None
    smtp_from: str | None = None
    smtp_starttls: bool = False
    ses_from: str | None = None  # AWS: email through SES from this verified address
    sms_url: str | None = None  # the HTTP SMS gateway's endpoint
    sms_key_file: Path | None = None  # a file holding its API key
    sms_sender: str = ""  # the brandname, if the gateway wants one
    # Hand-over to a province's own one-stop system (handover.py, docs/ban-giao.md): the JSON
    # file of its clients (None: every dossier is processed in our back office), and the
    # directory of the secret files it names (or MOTCUA_SECRET_<NAME> in the environment).
    handover_file: Path | None = None
    handover_secrets_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_storage(vars(self))

    @classmethod
    def from_env(cls, **overrides: Any) -> "Settings":
        env = os.environ
        values: dict[str, Any] = {
            "storage": env.get("MOTCUA_STORAGE", "embedded"),
            "data_dir": Path(env.get("MOTCUA_DATA_DIR", str(ROOT / "var"))),
            "bundle": Path(env.get("MOTCUA_BUNDLE", str(DEFAULT_BUNDLE))),
            "public_url": public_url(env),
            "table": env.get("MOTCUA_TABLE", "motcua-dossiers"),
            "bucket": env.get("MOTCUA_BUCKET", "motcua-uploads"),
            "aws_endpoint": env.get("MOTCUA_AWS_ENDPOINT") or None,
            "s3_endpoint": env.get("MOTCUA_S3_ENDPOINT") or None,
            "s3_region": env.get("MOTCUA_S3_REGION") or None,
            "s3_path_style": flag(env, "MOTCUA_S3_PATH_STYLE"),
            "s3_public_url": (env.get("MOTCUA_S3_PUBLIC_URL") or "").rstrip("/") or None,
            "database_url": env.get("MOTCUA_DATABASE_URL") or None,
            "clamd": env.get("MOTCUA_CLAMD") or None,
            "data_key_file": Path(env["MOTCUA_DATA_KEY_FILE"])
            if env.get("MOTCUA_DATA_KEY_FILE")
            else None,
            "retention_days": retention_days(env),
        }
        for name, key in RATE_SETTINGS.items():
            if env.get(name):
                values[key] = number(env, name, int)
        if env.get("MOTCUA_STORAGE_WAIT"):
            values["storage_wait_seconds"] = number(env, "MOTCUA_STORAGE_WAIT", float)
        values.update(notify_settings(env))
        values.update(overrides)
        if "secret_key" not in values:
            values["secret_key"] = _secret_key(env, values["data_dir"], values["storage"])
        return cls(**values)


def notify_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The notification channels' settings that are set (MOTCUA_SMTP_*, MOTCUA_SES_FROM,
    MOTCUA_SMS_*), and the hand-over's webhook clients (MOTCUA_HANDOVER_*)."""
    values: dict[str, Any] = {}
    texts = {
        "MOTCUA_SMTP_HOST": "smtp_host",
        "MOTCUA_SMTP_USER": "smtp_user",
        "MOTCUA_SMTP_FROM": "smtp_from",
        "MOTCUA_SES_FROM": "ses_from",
        "MOTCUA_SMS_URL": "sms_url",
        "MOTCUA_SMS_SENDER": "sms_sender",
    }
    for name, key in texts.items():
        if env.get(name):
            values[key] = env[name]
    for name, key in {
        "MOTCUA_SMTP_PASSWORD_FILE": "smtp_password_file",
        "MOTCUA_SMS_KEY_FILE": "sms_key_file",
        "MOTCUA_HANDOVER_FILE": "handover_file",
        "MOTCUA_HANDOVER_SECRETS_DIR": "handover_secrets_dir",
    }.items():
        if env.get(name):
            values[key] = Path(env[name])
    if env.get("MOTCUA_SMTP_PORT"):
        values["smtp_port"] = number(env, "MOTCUA_SMTP_PORT", int)
    if flag(env, "MOTCUA_SMTP_STARTTLS"):
        values["smtp_starttls"] = True
    return values


def retention_days(env: Mapping[str, str] | None = None) -> int:
    """MOTCUA_RETENTION_DAYS, a whole number of days of at least 1 (default 1825, five years).
    The build reads it too, so the application page states the period purge applies."""
    values = os.environ if env is None else env
    text = values.get("MOTCUA_RETENTION_DAYS", "").strip()
    if not text:
        return Settings.retention_days
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(f"MOTCUA_RETENTION_DAYS must be a number of days, not {text!r}")
    return int(text)


RATE_SETTINGS = {
    "MOTCUA_UPLOADS_PER_CLIENT": "uploads_per_client",
    "MOTCUA_UPLOADS_PER_MINUTE": "uploads_per_minute",
    "MOTCUA_SUBMISSIONS_PER_CLIENT": "submissions_per_client",
    "MOTCUA_SUBMISSIONS_PER_MINUTE": "submissions_per_minute",
}


def number(env: Mapping[str, str], name: str, kind: type[int] | type[float]) -> Any:
    """A non-negative number setting; anything else fails at startup with the setting's name."""
    try:
        value = kind(env[name])
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigurationError(f"{name} must be a number of at least 0, not {env[name]!r}")
    return value


TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def flag(env: Mapping[str, str], name: str) -> bool | None:
    """A yes/no setting, None when unset or empty; a value that is neither fails at startup
    rather than meaning "no"."""
    value = env.get(name, "").strip().lower()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"{name} must be 1/true/yes/on or 0/false/no/off, not {env[name]!r}")


class ConfigurationError(Exception):
    """A setting the deployment must give is missing: startup stops with this message."""


STORAGES = ("embedded", "province", "aws")


def _check_storage(values: Mapping[str, Any]) -> None:
    """The target is one of STORAGES, and `province` names its database and object store: a
    missing one stops startup with a clear message instead of a first request failing."""
    storage = values["storage"]
    if storage not in STORAGES:
        choices = ", ".join(STORAGES)
        raise ConfigurationError(f"MOTCUA_STORAGE={storage!r}: must be one of {choices}")
    if values.get("s3_public_url") and values.get("s3_path_style") is False:
        raise ConfigurationError(
            "MOTCUA_S3_PUBLIC_URL needs path-style addressing (the bucket in the path): unset"
            " MOTCUA_S3_PATH_STYLE or set it to true"
        )
    if storage == "province":
        needed = {"MOTCUA_DATABASE_URL": "database_url", "MOTCUA_S3_ENDPOINT": "s3_endpoint"}
        missing = [name for name, key in needed.items() if not values.get(key)]
        if missing:
            raise ConfigurationError(
                f"MOTCUA_STORAGE=province needs {' and '.join(missing)}: the PostgreSQL database"
                " (a libpq connection string or URI) and the S3-compatible store's endpoint URL"
            )


def _secret_key(env: Mapping[str, str], data_dir: Path, storage: str = "embedded") -> bytes:
    """From MOTCUA_SECRET_KEY, or the file MOTCUA_SECRET_KEY_FILE names (a systemd credential, a
    mounted secret). Only the embedded default may make its own: a random key created once under
    the data dir. Anywhere else every process and instance must share one key (upload targets
    and lookup secrets are derived from it, so a retried submission would get another secret),
    and a Lambda's filesystem is read-only: a missing key is a clear error at startup."""
    if env.get("MOTCUA_SECRET_KEY"):
        return env["MOTCUA_SECRET_KEY"].encode()
    if env.get("MOTCUA_SECRET_KEY_FILE"):
        try:
            key = Path(env["MOTCUA_SECRET_KEY_FILE"]).read_bytes().strip()
        except OSError as error:
            raise ConfigurationError(f"MOTCUA_SECRET_KEY_FILE: cannot read it: {error}") from error
        if len(key) < 32:
            raise ConfigurationError("MOTCUA_SECRET_KEY_FILE: the key must be at least 32 bytes")
        return key
    if storage == "aws":
        return aws_secret_key(env)
    if storage != "embedded":
        raise ConfigurationError(
            f"MOTCUA_STORAGE={storage} needs a shared secret key: set MOTCUA_SECRET_KEY or"
            " MOTCUA_SECRET_KEY_FILE (the same for every process and instance)"
        )
    path = Path(data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
        try:
            os.write(handle, os.urandom(32).hex().encode())
            os.close(handle)
            os.link(temporary, path)  # atomic, and fails if another process created it first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_bytes().strip()


def aws_secret_key(env: Mapping[str, str]) -> bytes:
    """On AWS, from the Secrets Manager secret MOTCUA_SECRET_KEY_SECRET_ID names (its name or
    ARN; functions/resources.json creates it), read once per cold start (storage/secrets.py)."""
    secret_id = env.get("MOTCUA_SECRET_KEY_SECRET_ID")
    if not secret_id:
        raise ConfigurationError(
            "MOTCUA_STORAGE=aws needs a shared secret key: set MOTCUA_SECRET_KEY_SECRET_ID (the"
            " Secrets Manager secret functions/resources.json creates), MOTCUA_SECRET_KEY or"
            " MOTCUA_SECRET_KEY_FILE"
        )
    return _secret_from_secrets_manager(secret_id, env.get("MOTCUA_AWS_ENDPOINT") or None)


@lru_cache(maxsize=4)
def _secret_from_secrets_manager(secret_id: str, endpoint_url: str | None) -> bytes:
    from .storage.secrets import SecretKeyError, read_secret_key, secrets_manager_client

    try:
        return read_secret_key(secrets_manager_client(endpoint_url), secret_id)
    except SecretKeyError as error:
        raise ConfigurationError(f"MOTCUA_SECRET_KEY_SECRET_ID: {error}") from error
