"""Builds the service from settings (`Settings.storage`): embedded adapters by default (SQLite
and files), PostgreSQL and an S3-compatible store on `province`, DynamoDB and S3 on `aws`.
Only this module chooses adapters; boto3 and psycopg are imported only when used.

Each adapter is returned as its port (storage/ports.py), so mypy --strict checks here that
SqliteDossiers, PostgresDossiers and DynamoDossiers are Dossiers, FilesystemUploads and S3Uploads
are Uploads, and the failed-lookup counters (one store per target, shared by all its processes)
are LookupFailures."""

from functools import lru_cache

from .backoffice import Backoffice
from .bundle import Bundle
from .config import Settings
from .dossiers import FailureLimiter, Service
from .errors import NotConfiguredError
from .officers import OfficerAuth
from .scanner import ClamdScanner
from .storage.accounts import Accounts
from .storage.ports import Dossiers, LookupFailures, Uploads, UploadStore


def build_service(settings: Settings) -> Service:
    bundle = Bundle.load(settings.bundle)
    adapters = {"embedded": _embedded, "province": _province, "aws": _aws}[settings.storage]
    dossiers, uploads, failures = adapters(settings)
    limiter = FailureLimiter(
        failures,
        secret_key=settings.secret_key,
        per_client=settings.lookup_failures_allowed,
        window=settings.lookup_window_seconds,
    )
    return Service(
        bundle,
        dossiers,
        uploads,
        secret_key=settings.secret_key,
        public_url=settings.public_url,
        upload_ttl=settings.upload_ttl,
        limiter=limiter,
        scanner=ClamdScanner(settings.clamd) if settings.clamd else None,
    )


def _embedded(settings: Settings) -> tuple[Dossiers, Uploads, LookupFailures]:
    from .storage.files import FilesystemUploads
    from .storage.lookups_sqlite import SqliteLookupFailures
    from .storage.sqlite import SqliteDossiers

    dossiers = SqliteDossiers(settings.data_dir / "motcua.sqlite3")
    uploads = FilesystemUploads(
        settings.data_dir / "uploads", secret=settings.secret_key, base_url=settings.public_url
    )
    failures = SqliteLookupFailures(settings.data_dir / "lookup-failures.sqlite3")
    return dossiers, uploads, failures


def _province(settings: Settings) -> tuple[Dossiers, Uploads, LookupFailures]:
    """PostgreSQL for dossiers and failed lookups, an S3-compatible store (SeaweedFS, VNG
    vStorage, FPT Object Storage) for files; boto3 reads the store's credentials as usual
    (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE)."""
    import boto3

    from .storage.lookups_postgres import PostgresLookupFailures
    from .storage.postgres import PostgresDossiers
    from .storage.s3 import S3Uploads, s3_client

    assert settings.database_url is not None  # Settings checked it
    dossiers = PostgresDossiers(settings.database_url)
    s3 = s3_client(
        boto3.session.Session(),
        endpoint_url=settings.s3_endpoint,
        region=settings.s3_region,
        path_style=settings.s3_path_style,
    )
    uploads = S3Uploads(s3, settings.bucket, public_url=settings.s3_public_url)
    return dossiers, uploads, PostgresLookupFailures(settings.database_url)


def _aws(settings: Settings) -> tuple[Dossiers, Uploads, LookupFailures]:
    import boto3

    from .storage.dynamo import DynamoDossiers
    from .storage.lookups_dynamo import DynamoLookupFailures
    from .storage.s3 import S3Uploads, s3_client

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
    return dossiers, uploads, DynamoLookupFailures(dynamodb, settings.table)


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
def default_backoffice() -> Backoffice:
    return Backoffice(default_service(), default_officer_auth())


# --- the admin command (chalicelib/admin): the stores without the service ---------------------


def build_stores(settings: Settings) -> tuple[Dossiers, Uploads, LookupFailures]:
    """The stores without the service (`motcua purge` reads which uploads dossiers reference,
    and prunes failed lookups)."""
    adapters = {"embedded": _embedded, "province": _province, "aws": _aws}[settings.storage]
    return adapters(settings)


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
