"""The scan step's verdicts in the dossiers' DynamoDB table: the AWS target's ScanVerdicts
(scanner.py).

One item per content scanned, keyed by its SHA-256, so a verdict speaks for exactly those bytes
whichever key, version or upload they came in:
    SCAN#<sha256>   `found` (the malware's name; absent when clean), `scanned_at` (Unix seconds)
                    and `expires_at` (the table's TTL attribute: VERDICT_SECONDS after the scan)
The scanner function writes (PutItem: a later scan of the same bytes, with newer signatures,
replaces the verdict); the API reads with a strongly consistent GetItem, so a verdict written a
moment ago is seen. A quarantined upload lives at most two days (the bucket's lifecycle rule), so
a week covers every verify that can still ask.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import StorageError
from chalicelib.scanner import Verdict

if TYPE_CHECKING:  # boto3-stubs, for mypy only
    from mypy_boto3_dynamodb import DynamoDBClient

VERDICT_SECONDS = 7 * 24 * 3600


class DynamoScanVerdicts:
    """`ScanVerdicts` in a DynamoDB table keyed by `pk`."""

    def __init__(self, client: "DynamoDBClient", table: str):
        self._client = client
        self._table = table

    def record(self, sha256: str, found: str | None) -> None:
        now = time.time()
        item: dict[str, Any] = {
            "pk": {"S": _pk(sha256)},
            "scanned_at": {"N": repr(now)},
            "expires_at": {"N": str(int(now) + VERDICT_SECONDS)},
        }
        if found is not None:
            item["found"] = {"S": found}
        with _wrapped():
            self._client.put_item(TableName=self._table, Item=item)

    def get(self, sha256: str) -> Verdict | None:
        with _wrapped():
            answer = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": _pk(sha256)}}, ConsistentRead=True
            )
        item = answer.get("Item")
        if item is None:
            return None
        found = item.get("found", {}).get("S")
        return Verdict(found=found, scanned_at=float(item["scanned_at"]["N"]))


def _pk(sha256: str) -> str:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 in lowercase hex: {sha256!r}")
    return f"SCAN#{sha256}"


@contextmanager
def _wrapped() -> Iterator[None]:
    """Every botocore error becomes StorageError (503: the client verifies again)."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise StorageError() from error
