"""Builds the service from settings: embedded adapters by default, AWS ones on Lambda.
Only this module chooses adapters; boto3 is imported only when the AWS ones are used."""

from functools import lru_cache

from .bundle import Bundle
from .config import Settings
from .dossiers import FailureLimiter, Service


def build_service(settings: Settings) -> Service:
    bundle = Bundle.load(settings.bundle)
    if settings.storage == "aws":
        import boto3

        from .storage.dynamo import DynamoDossiers
        from .storage.s3 import S3Uploads

        session = boto3.session.Session()
        endpoint = {"endpoint_url": settings.aws_endpoint} if settings.aws_endpoint else {}
        dossiers = DynamoDossiers(session.client("dynamodb", **endpoint), settings.table)
        uploads = S3Uploads(session.client("s3", **endpoint), settings.bucket)
    else:
        from .storage.files import FilesystemUploads
        from .storage.sqlite import SqliteDossiers

        dossiers = SqliteDossiers(settings.data_dir / "motcua.sqlite3")
        uploads = FilesystemUploads(
            settings.data_dir / "uploads", secret=settings.secret_key, base_url=settings.public_url
        )
    limiter = FailureLimiter(settings.lookup_failures_allowed, settings.lookup_window_seconds)
    return Service(
        bundle,
        dossiers,
        uploads,
        secret_key=settings.secret_key,
        public_url=settings.public_url,
        upload_ttl=settings.upload_ttl,
        limiter=limiter,
    )


@lru_cache(maxsize=1)
def default_service() -> Service:
    return build_service(Settings.from_env())
