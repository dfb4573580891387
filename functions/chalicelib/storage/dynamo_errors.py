"""How the small DynamoDB adapters (failed lookups, ratings) tell a failed write condition from
any other error: one home for what both wrote the same way."""

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import StorageError


class ConditionFailedError(Exception):
    """A write's condition did not hold (another writer got there first, or the item exists)."""


@contextmanager
def storage_errors() -> Iterator[None]:
    """A failed write condition becomes ConditionFailedError, every other botocore error
    StorageError (the API answers 503)."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise ConditionFailedError() from error
        raise StorageError() from error
    except BotoCoreError as error:
        raise StorageError() from error
