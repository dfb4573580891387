"""Failed status lookups in the dossiers' DynamoDB table, shared by every Lambda container: the
AWS target's LookupFailures (ports.py).

The table has a single key `pk` (storage/dynamo.py says why), so a client's failures are one item
rather than one item each:
    LOOKUPFAIL#<client>   `times` (a list of Unix times, those of the last window only),
                          `version` (bumped by every write) and `expires_at` (Unix seconds:
                          when the newest failure stops counting)
`count` is one strongly consistent GetItem. `add` reads the item, keeps the failures still in
their window, appends the new one and writes it back on condition that nobody wrote in between
(else it reads again), so the item stays small and exact. `expires_at` is the table's TTL
attribute (turned on in the deployment): DynamoDB deletes items of clients that stopped failing,
some time after they expire, and `count` ignores expired failures in the meantime.
"""

import math
import random
import time
from typing import TYPE_CHECKING, Any

from chalicelib.errors import StorageError
from chalicelib.storage.dynamo_errors import ConditionFailedError, storage_errors

if TYPE_CHECKING:  # boto3-stubs, for mypy only
    from mypy_boto3_dynamodb import DynamoDBClient

MAX_ATTEMPTS = 20  # writers of one client's item at once, each retrying after a lost race


class DynamoLookupFailures:
    """`LookupFailures` in a DynamoDB table keyed by `pk`."""

    def __init__(self, client: "DynamoDBClient", table: str):
        self._client = client
        self._table = table

    def count(self, client: str, since: float) -> int:
        times, _version = self._read(client)
        return sum(1 for at in times if at > since)

    def add(self, client: str, at: float, window: float) -> None:
        for _ in range(MAX_ATTEMPTS):
            times, version = self._read(client)
            kept = [seen for seen in times if seen > at - window] + [at]
            condition = "attribute_not_exists(pk)" if version is None else "#version = :read"
            values: dict[str, Any] = {
                ":times": {"L": [{"N": repr(seen)} for seen in kept]},
                ":next": {"N": str((version or 0) + 1)},
                ":expires": {"N": str(math.ceil(max(kept) + window))},
            }
            if version is not None:
                values[":read"] = {"N": str(version)}
            try:
                with storage_errors():
                    self._client.update_item(
                        TableName=self._table,
                        Key={"pk": {"S": f"LOOKUPFAIL#{client}"}},
                        UpdateExpression="SET times = :times, #version = :next,"
                        " expires_at = :expires",
                        ConditionExpression=condition,
                        ExpressionAttributeNames={"#version": "version"},
                        ExpressionAttributeValues=values,
                    )
                return
            except ConditionFailedError:
                time.sleep(random.uniform(0, 0.02))
        raise StorageError()

    def prune(self, before: float, *, dry_run: bool = False) -> int:
        """Nothing to do: the table's TTL on `expires_at` deletes the items of clients that
        stopped failing (a scan of the whole table to find them would cost more)."""
        return 0

    def close(self) -> None:
        """Nothing to release: boto3 clients pool their own connections."""

    def _read(self, client: str) -> tuple[list[float], int | None]:
        with storage_errors():
            item = self._client.get_item(
                TableName=self._table,
                Key={"pk": {"S": f"LOOKUPFAIL#{client}"}},
                ConsistentRead=True,
                ProjectionExpression="times, #version",
                ExpressionAttributeNames={"#version": "version"},
            ).get("Item")
        if item is None:
            return [], None
        return [float(seen["N"]) for seen in item["times"]["L"]], int(item["version"]["N"])
