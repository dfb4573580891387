"""`motcua migrate`: brings the database's schema up to date, on each target as it works there.

- province: applies the versioned SQL of storage/migrations/postgres/ not applied yet (each with
  its schema_migrations row, in one transaction; several at once wait for each other), the only
  way the schema changes: the app never migrates at import or at startup.
- embedded: SQLite's schema is created, and a file made before the lifecycle upgraded, when the
  app opens it; the command opens both files, so that happens now rather than at the first
  request.
- aws: the DynamoDB table comes from the CloudFormation template; the command converts the
  idempotency items stored before keys were stored hashed (DynamoDossiers.hash_idempotency_keys).
"""

from chalicelib.admin.errors import AdminError
from chalicelib.config import Settings
from chalicelib.errors import StorageError


def migrate(settings: Settings) -> list[str]:
    """What was done, one line each."""
    if settings.storage == "province":
        from chalicelib.storage import postgres

        assert settings.database_url is not None  # Settings checked it
        try:
            applied = postgres.migrate(settings.database_url)
        except StorageError as error:
            raise AdminError(f"migrate: {error.__cause__ or error}") from error
        done = [f"Đã áp dụng {name}" for name in applied]
        return done or [f"Lược đồ PostgreSQL đã ở phiên bản {postgres.latest_version()}."]
    if settings.storage == "embedded":
        from chalicelib.storage.accounts_sqlite import SqliteAccounts
        from chalicelib.storage.sqlite import SqliteDossiers

        lines = []
        for name, opener in (
            ("motcua.sqlite3", SqliteDossiers),
            ("officers.sqlite3", SqliteAccounts),
        ):
            path = settings.data_dir / name
            opener(path).close()
            lines.append(f"{path}: lược đồ SQLite đã cập nhật (tạo khi mở, không cần migration).")
        return lines
    import boto3

    from chalicelib.storage.dynamo import DynamoDossiers

    client = boto3.session.Session().client("dynamodb", endpoint_url=settings.aws_endpoint)
    try:
        converted = DynamoDossiers(client, settings.table).hash_idempotency_keys()
    except StorageError as error:
        raise AdminError(f"migrate: {error.__cause__ or error}") from error
    return [f"AWS: bảng DynamoDB do CloudFormation tạo; đã băm {converted} khóa Idempotency-Key."]
