"""Dossiers in one DynamoDB table: the adapter for the AWS deployment.

DynamoDB has no multi-statement transaction with reads, so the contract in ports.py is kept by
optimistic concurrency: read the idempotency record and the (agency, day) counter with strongly
consistent reads, then write the counter, the dossier and the idempotency record in one
`TransactWriteItems` whose conditions fail if anyone else moved the counter or used the key in
between. A cancelled transaction wrote nothing, so we read again and retry.

Items, all under the string key `pk`:
    DOSSIER#<code>           the dossier: JSON `body` plus top-level attributes for future indexes
    COUNTER#<agency>#<day>   `seq`, the last sequence number handed out that day
    IDEM#<key>               `request_hash` and `code` of the dossier stored under that key
"""

import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import IdempotencyConflictError, StorageError
from chalicelib.storage.ports import NewDossier, StoredDossier, dossier_json, format_code

if TYPE_CHECKING:  # boto3-stubs, for mypy only
    from mypy_boto3_dynamodb import DynamoDBClient

MAX_ATTEMPTS = 60
BACKOFF_BASE_S = 0.005
BACKOFF_CAP_S = 0.2
# Reasons a transaction was cancelled that mean "someone else won the race": read again and retry.
RETRYABLE_REASONS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


class DynamoDossiers:
    """`Dossiers` on a DynamoDB table whose only key is the string attribute `pk`.

    `after_write(label)` is a test hook called after the transaction committed; a hook that raises
    simulates a crash between the write and the answer to the client.
    """

    def __init__(
        self,
        client: "DynamoDBClient",
        table: str,
        *,
        after_write: Callable[[str], None] | None = None,
    ):
        self._client = client
        self._table = table
        self._after_write = after_write or (lambda _label: None)

    def create(
        self, dossier: NewDossier, *, idempotency_key: str, request_hash: str
    ) -> StoredDossier:
        for attempt in range(MAX_ATTEMPTS):
            stored = self._stored_under(idempotency_key, request_hash)
            if stored is not None:
                return stored
            current = self._sequence(dossier.agency, dossier.day)
            code = format_code(dossier.agency, dossier.day, current + 1)
            if self._write(dossier, code, current, idempotency_key, request_hash):
                self._after_write("transaction")
                return StoredDossier(code=code, dossier=dossier)
            time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
        raise StorageError()

    def get(self, code: str) -> StoredDossier | None:
        item = self._item(f"DOSSIER#{code}")
        if item is None:
            return None
        return StoredDossier(
            code=code,
            dossier=NewDossier(**json.loads(item["body"]["S"])),
            events=tuple(json.loads(item["events"]["S"])),
        )

    def _stored_under(self, idempotency_key: str, request_hash: str) -> StoredDossier | None:
        item = self._item(f"IDEM#{idempotency_key}")
        if item is None:
            return None
        if item["request_hash"]["S"] != request_hash:
            raise IdempotencyConflictError()
        return self.get(item["code"]["S"])

    def _sequence(self, agency: str, day: str) -> int:
        """The last number handed out for this agency and day, 0 before the first."""
        item = self._item(f"COUNTER#{agency}#{day}")
        return 0 if item is None else int(item["seq"]["N"])

    def _item(self, pk: str) -> dict[str, Any] | None:
        with _wrapped():
            answer = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": pk}}, ConsistentRead=True
            )
        return answer.get("Item")

    def _write(
        self,
        dossier: NewDossier,
        code: str,
        current: int,
        idempotency_key: str,
        request_hash: str,
    ) -> bool:
        """One all-or-nothing write; False if another writer got there first."""
        items: list[Any] = [  # TransactWriteItemTypeDef, built from plain dicts
            {"Update": self._counter_update(dossier, current)},
            {"Put": self._put_new(_dossier_item(code, current + 1, dossier))},
            {
                "Put": self._put_new(
                    {
                        "pk": {"S": f"IDEM#{idempotency_key}"},
                        "request_hash": {"S": request_hash},
                        "code": {"S": code},
                    }
                )
            },
        ]
        try:
            with _wrapped(passing=_lost_race):
                self._client.transact_write_items(TransactItems=items)
        except ClientError:
            return False
        return True

    def _counter_update(self, dossier: NewDossier, current: int) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"pk": {"S": f"COUNTER#{dossier.agency}#{dossier.day}"}},
            "UpdateExpression": "SET seq = :next",
            "ExpressionAttributeValues": {":next": {"N": str(current + 1)}},
        }
        if current == 0:
            update["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            update["ConditionExpression"] = "seq = :current"
            update["ExpressionAttributeValues"][":current"] = {"N": str(current)}
        return update

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
        }


def create_table(client: "DynamoDBClient", name: str) -> None:
    """Creates the dossier table (on-demand capacity) and waits until it can be used."""
    with _wrapped():
        client.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )


def _dossier_item(code: str, seq: int, dossier: NewDossier) -> dict[str, Any]:
    return {
        "pk": {"S": f"DOSSIER#{code}"},
        "code": {"S": code},
        "agency": {"S": dossier.agency},
        "day": {"S": dossier.day},
        "seq": {"N": str(seq)},
        "procedure": {"S": dossier.procedure},
        "status": {"N": str(dossier.status)},
        "received_at": {"S": dossier.received_at},
        "body": {"S": dossier_json(dossier)},
        "events": {"S": "[]"},
    }


def _lost_race(error: ClientError) -> bool:
    """A transaction cancelled only because a condition failed or another transaction ran."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = {reason.get("Code") for reason in error.response.get("CancellationReasons", [])}
    reasons.discard("None")
    return bool(reasons) and reasons <= RETRYABLE_REASONS


@contextmanager
def _wrapped(passing: Callable[[ClientError], bool] = lambda _error: False) -> Iterator[None]:
    """botocore errors leave this module as StorageError, except those `passing` lets through."""
    try:
        yield
    except ClientError as error:
        if passing(error):
            raise
        raise StorageError() from error
    except BotoCoreError as error:
        raise StorageError() from error
