"""Builds the service from settings (`Settings.storage`): embedded adapters by default (SQLite
and files), PostgreSQL and an S3-compatible store on `province`, DynamoDB and S3 on `aws`.
Only this module chooses adapters; boto3 and psycopg are imported only when used.

Each adapter is returned as its port (storage/ports.py), so mypy --strict checks here that
SqliteDossiers, PostgresDossiers and DynamoDossiers are Dossiers, FilesystemUploads and S3Uploads
are Uploads, and the failed-lookup counters (one store per target, shared by all its processes)
are LookupFailures."""

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .backoffice import Backoffice
from .bundle import Bundle
from .config import ConfigurationError, Settings
from .dossiers import FailureLimiter, Service
from .errors import NotConfiguredError
from .handover import Registrations, load_registrations
from .officers import OfficerAuth
from .ratelimit import RESEND, RESEND_CODE, SUBMIT, UPLOAD, Limit, RateLimiter
from .scanner import ClamdScanner, RecordedScanner, Scanner
from .storage.accounts import Accounts
from .storage.ports import (
    Dossiers,
    LookupFailures,
    Outbox,
    RateCounts,
    Ratings,
    Uploads,
    UploadStore,
)

if TYPE_CHECKING:  # the scanner function's and the embedded target's only
    from .handover_events import HandoverEvents
    from .outbox import Sender, Worker
    from .ratings import RatingDesk
    from .scanstep import ScanStep
    from .sealing import Sealer

# A target's stores, and the scanner verify uses when no clamd is configured (AWS: the scan step's
# recorded verdicts; elsewhere None, and nothing is accepted without MOTCUA_CLAMD).
Adapters = tuple[Dossiers, Uploads, LookupFailures, Scanner | None]


def build_service(settings: Settings) -> Service:
    bundle = Bundle.load(settings.bundle)
    adapters = {"embedded": _embedded, "province": _province, "aws": _aws}[settings.storage]
    dossiers, uploads, failures, recorded = adapters(settings)
    limiter = FailureLimiter(
        failures,
        secret_key=settings.secret_key,
        per_client=settings.lookup_failures_allowed,
        window=settings.lookup_window_seconds,
    )
    rates = RateLimiter(
        _rate_counts(settings),
        secret_key=settings.secret_key,
        limits={
            UPLOAD: Limit(settings.uploads_per_client, settings.uploads_per_minute),
            SUBMIT: Limit(settings.submissions_per_client, settings.submissions_per_minute),
            # A re-sent lookup secret: a few per client and minute, and three per dossier code
            # an hour (each one replaces the applicant's secret).
            RESEND: Limit(5, 300),
            RESEND_CODE: Limit(3, 0, window=3600),
        },
    )
    registrations = build_registrations(settings)
    registrations.check_offices({office["id"] for office in bundle.offices})
    return Service(
        bundle,
        dossiers,
        uploads,
        secret_key=settings.secret_key,
        public_url=settings.public_url,
        upload_ttl=settings.upload_ttl,
        limiter=limiter,
        rates=rates,
        scanner=ClamdScanner(settings.clamd) if settings.clamd else recorded,
        registrations=registrations,
    )


def build_registrations(settings: Settings) -> Registrations:
    """The province's systems dossiers are handed over to (handover.py); none configured, none."""
    return load_registrations(settings.handover_file, settings.handover_secrets_dir)


def _embedded(settings: Settings) -> Adapters:
    from .storage.files import FilesystemUploads
    from .storage.lookups_sqlite import SqliteLookupFailures
    from .storage.sqlite import SqliteDossiers

    sealer = data_sealer(settings)
    dossiers = SqliteDossiers(
        settings.data_dir / "motcua.sqlite3", wait=settings.storage_wait_seconds, sealer=sealer
    )
    uploads = FilesystemUploads(
        settings.data_dir / "uploads",
        secret=settings.secret_key,
        base_url=settings.public_url,
        sealer=sealer,
    )
    failures = SqliteLookupFailures(settings.data_dir / "lookup-failures.sqlite3")
    return dossiers, uploads, failures, None


def data_sealer(settings: Settings) -> "Sealer":
    """The embedded target's data key ring: the file MOTCUA_DATA_KEY_FILE names (it must
    exist), or the user's own default file, made on first use (`make run` needs no setup)."""
    from .sealing import default_key_file, load

    if settings.data_key_file is not None:
        return load(settings.data_key_file, create=False)
    return load(default_key_file(), create=True)


def check_data_key(settings: Settings) -> None:
    """Embedded: DataKeyError (a ConfigurationError) now, if the data key is missing or is not
    the one that sealed the database, rather than in every server process at its first request."""
    if settings.storage != "embedded":
        return
    from .storage.sqlite import check_data_key as check

    check(settings.data_dir / "motcua.sqlite3", data_sealer(settings))


def _province(settings: Settings) -> Adapters:
    """PostgreSQL for dossiers and failed lookups, an S3-compatible store (SeaweedFS, VNG
    vStorage, FPT Object Storage) for files; boto3 reads the store's credentials as usual
    (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE)."""
    import boto3

    from .storage.lookups_postgres import PostgresLookupFailures
    from .storage.postgres import PostgresDossiers
    from .storage.s3 import S3Uploads, s3_client

    assert settings.database_url is not None  # Settings checked it
    dossiers = PostgresDossiers(settings.database_url, wait=settings.storage_wait_seconds)
    s3 = s3_client(
        boto3.session.Session(),
        endpoint_url=settings.s3_endpoint,
        region=settings.s3_region,
        path_style=settings.s3_path_style,
    )
    uploads = S3Uploads(s3, settings.bucket, public_url=settings.s3_public_url)
    return dossiers, uploads, PostgresLookupFailures(settings.database_url), None


def _aws(settings: Settings) -> Adapters:
    """The scan is a step of its own on AWS (scanstep.py): verify takes its recorded verdicts."""
    import boto3

    from .storage.dynamo import DynamoDossiers
    from .storage.lookups_dynamo import DynamoLookupFailures
    from .storage.s3 import S3Uploads, s3_client
    from .storage.scans_dynamo import DynamoScanVerdicts

    session = boto3.session.Session()
    endpoint = settings.aws_endpoint  # the moto server in tests; None on AWS
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    dossiers = DynamoDossiers(dynamodb, settings.table)
    s3 = s3_client(
        session,
        endpoint_url=settings.s3_endpoint or endpoint,
        region=settings.s3_region,
        path_style=settings.s3_path_style,
    )
    uploads = S3Uploads(s3, settings.bucket, public_url=settings.s3_public_url)
    failures = DynamoLookupFailures(dynamodb, settings.table)
    return (
        dossiers,
        uploads,
        failures,
        RecordedScanner(DynamoScanVerdicts(dynamodb, settings.table)),
    )


def build_scan_step(settings: Settings) -> "ScanStep":
    """The AWS scanner function's step (scanstep.py): the bucket's uploads, clamd at
    MOTCUA_CLAMD (the image's own, deploy/aws/scanner/), the verdicts in the table."""
    if settings.storage != "aws" or not settings.clamd:
        raise ConfigurationError("the scan step runs on MOTCUA_STORAGE=aws with MOTCUA_CLAMD set")
    _dossiers, uploads, _failures, recorded = _aws(settings)
    from .scanstep import ScanStep

    assert isinstance(recorded, RecordedScanner)  # _aws's: the step records what verify reads
    return ScanStep(settings.bucket, uploads, ClamdScanner(settings.clamd), recorded.verdicts)


def _rate_counts(settings: Settings) -> RateCounts:
    """The rate limits' counts, in the store of each target's failed lookups."""
    if settings.storage == "embedded":
        from .storage.rates_mapped import MappedRateCounts

        return MappedRateCounts(settings.data_dir / "rate-counts.bin")
    if settings.storage == "province":
        from .storage.rates_postgres import PostgresRateCounts

        assert settings.database_url is not None  # Settings checked it
        return PostgresRateCounts(settings.database_url, wait=settings.storage_wait_seconds)
    import boto3

    from .storage.rates_dynamo import DynamoRateCounts

    client = boto3.session.Session().client("dynamodb", endpoint_url=settings.aws_endpoint)
    return DynamoRateCounts(client, settings.table)


@lru_cache(maxsize=1)
def default_service() -> Service:
    return build_service(Settings.from_env())


def build_officer_auth(settings: Settings) -> OfficerAuth:
    """Officers' sign-in on accounts in var/officers.sqlite3 (embedded) or in the PostgreSQL
    database (province); `motcua create-officer` creates them.

    On AWS an identity provider takes the place of these accounts (docs/lifecycle.md, "Officers
    and identity"); there is no DynamoDB accounts table, so this refuses to guess."""
    if settings.storage == "aws":
        raise NotConfiguredError(
            "Trên AWS, cán bộ đăng nhập qua nhà cung cấp định danh (OIDC), chưa được cấu hình"
            " (docs/lifecycle.md, Officers and identity)."
        )
    accounts: Accounts
    if settings.storage == "province":
        from .storage.accounts_postgres import PostgresAccounts

        assert settings.database_url is not None  # Settings.from_env checked it
        accounts = PostgresAccounts(settings.database_url)
    else:
        from .storage.accounts_sqlite import SqliteAccounts

        accounts = SqliteAccounts(settings.data_dir / "officers.sqlite3")
    return OfficerAuth(accounts, secret_key=settings.secret_key)


@lru_cache(maxsize=1)
def default_officer_auth() -> OfficerAuth:
    return build_officer_auth(Settings.from_env())


@lru_cache(maxsize=1)
def default_handover_events() -> "HandoverEvents":
    from .handover_events import HandoverEvents

    service = default_service()
    return HandoverEvents(service, service.registrations)


@lru_cache(maxsize=1)
def default_backoffice() -> Backoffice:
    return Backoffice(default_service(), default_officer_auth(), build_outbox(Settings.from_env()))


# --- the admin command (chalicelib/admin): the stores without the service ---------------------


def build_stores(settings: Settings) -> tuple[Dossiers, Uploads, LookupFailures]:
    """The stores without the service (`motcua purge` reads which uploads dossiers reference,
    and prunes failed lookups)."""
    adapters = {"embedded": _embedded, "province": _province, "aws": _aws}[settings.storage]
    dossiers, uploads, failures, _scanner = adapters(settings)
    return dossiers, uploads, failures


def build_upload_store(settings: Settings) -> UploadStore:
    """The upload store as `motcua backup`, `restore` and `purge` see it: every object. Makes
    no database (a restore opens it before the database exists)."""
    if settings.storage == "embedded":
        from .storage.files import FilesystemUploads

        return FilesystemUploads(
            settings.data_dir / "uploads", secret=settings.secret_key, base_url=settings.public_url
        )
    import boto3

    from .storage.s3 import S3Uploads, s3_client

    s3 = s3_client(
        boto3.session.Session(),
        endpoint_url=settings.s3_endpoint or settings.aws_endpoint,
        region=settings.s3_region,
        path_style=settings.s3_path_style,
    )
    return S3Uploads(s3, settings.bucket, public_url=settings.s3_public_url)


# --- the outbox (outbox.py): the store beside the dossiers, and the channels configured --------


def build_outbox(settings: Settings) -> Outbox:
    """The outbox in the dossiers' own store (their changes write it in their transactions)."""
    if settings.storage == "embedded":
        from .storage.outbox_sqlite import SqliteOutbox

        return SqliteOutbox(
            settings.data_dir / "motcua.sqlite3",
            sealer=data_sealer(settings),
            wait=settings.storage_wait_seconds,
        )
    if settings.storage == "province":
        from .storage.outbox_postgres import PostgresOutbox

        assert settings.database_url is not None  # Settings checked it
        return PostgresOutbox(settings.database_url, wait=settings.storage_wait_seconds)
    import boto3

    from .storage.outbox_dynamo import DynamoOutbox

    client = boto3.session.Session().client("dynamodb", endpoint_url=settings.aws_endpoint)
    return DynamoOutbox(client, settings.table)


def build_senders(settings: Settings) -> "list[Sender]":
    """One sender per channel configured (docs/notifications.md); none configured, none."""
    senders: list[Sender] = []
    if settings.smtp_host:
        from .notify.smtp import SmtpSender

        password = None
        if settings.smtp_password_file is not None:
            password = _read_secret(settings.smtp_password_file, "MOTCUA_SMTP_PASSWORD_FILE")
        senders.append(
            SmtpSender(
                settings.smtp_host,
                settings.smtp_port,
                sender=settings.smtp_from or f"motcua@{settings.smtp_host}",
                user=settings.smtp_user,
                password=password,
                starttls=settings.smtp_starttls,
            )
        )
    elif settings.ses_from:
        import boto3

        from .notify.ses import SesSender

        ses = boto3.session.Session().client("ses", endpoint_url=settings.aws_endpoint)
        senders.append(SesSender(ses, sender=settings.ses_from))
    if settings.sms_url:
        from .notify.sms import HttpSmsSender

        if settings.sms_key_file is None:
            raise ConfigurationError("MOTCUA_SMS_URL needs MOTCUA_SMS_KEY_FILE (the API key)")
        key = _read_secret(settings.sms_key_file, "MOTCUA_SMS_KEY_FILE")
        senders.append(HttpSmsSender(settings.sms_url, api_key=key, sender=settings.sms_sender))
    registrations = build_registrations(settings)
    if registrations.clients:
        from .handover import WebhookSender

        dossiers, uploads, _failures = build_stores(settings)
        senders.append(WebhookSender(registrations, dossiers, uploads))
    return senders


def build_outbox_worker(settings: Settings) -> "Worker":
    from .outbox import Worker

    return Worker(build_outbox(settings), build_senders(settings))


@lru_cache(maxsize=1)
def default_outbox_worker() -> "Worker":
    return build_outbox_worker(Settings.from_env())


def _read_secret(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigurationError(f"{name}: cannot read it: {error}") from error


# --- ratings (ratings.py): one per dossier, in the store every app process shares -------------


def build_ratings(settings: Settings) -> Ratings:
    if settings.storage == "embedded":
        from .storage.ratings_sqlite import SqliteRatings

        return SqliteRatings(settings.data_dir / "ratings.sqlite3", sealer=data_sealer(settings))
    if settings.storage == "province":
        from .storage.ratings_postgres import PostgresRatings

        assert settings.database_url is not None  # Settings checked it
        return PostgresRatings(settings.database_url, wait=settings.storage_wait_seconds)
    import boto3

    from .storage.ratings_dynamo import DynamoRatings

    client = boto3.session.Session().client("dynamodb", endpoint_url=settings.aws_endpoint)
    return DynamoRatings(client, settings.table)


@lru_cache(maxsize=1)
def default_rating_desk() -> "RatingDesk":
    from .ratings import RatingDesk

    return RatingDesk(default_service(), build_ratings(Settings.from_env()))
