"""The outbox in the dossiers' DynamoDB table: storage/dynamo.py puts a change's deliveries
(`item`) in the change's own TransactWriteItems, under the same conditions (the dossier's
version, a new code); `DynamoOutbox` is the scheduled worker's and the back office's side.

Items `OUTBOX#<delivery id>`: code, office, kind, channel, `body` (JSON: the recipient and the
template's data), created_at, next_at, state, attempts, last_error, sent_at. While a delivery is
pending it also has `outbox_pk` = "pending", the partition of the sparse GSI `outbox` sorted by
`next_at`: a claim is one Query of what is due, then one conditional UpdateItem per delivery
(`state = pending AND next_at = <as read>`), which leases it (next_at moves past the lease,
attempts + 1); a worker that loses the race to another skips it. The index is eventually
consistent, the condition is not. One partition holds every pending delivery: a province's
notifications are a few thousand a day, far under a partition's 1,000 writes a second.
"""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import StorageError
from chalicelib.storage.ports import Delivery, delivery_body

if TYPE_CHECKING:  # boto3-stubs, for mypy only
    from mypy_boto3_dynamodb import DynamoDBClient

INDEX = "outbox"
PENDING = "pending"
# Every attribute name through a placeholder: `state` is a DynamoDB reserved word, and so may
# others be.
_NAMES = {
    f"#{name}": name
    for name in ("state", "next_at", "attempts", "last_error", "sent_at", "outbox_pk", "channel")
}


def item(delivery: Delivery) -> dict[str, Any]:
    """A new delivery's item, for a Put in the dossier change's transaction."""
    values: dict[str, Any] = {
        "pk": {"S": f"OUTBOX#{delivery.id}"},
        "id": {"S": delivery.id},
        "code": {"S": delivery.code},
        "office": {"S": delivery.office},
        "kind": {"S": delivery.kind},
        "channel": {"S": delivery.channel},
        "body": {"S": delivery_body(delivery)},
        "created_at": {"N": repr(delivery.created_at)},
        "next_at": {"N": repr(delivery.next_at)},
        "state": {"S": delivery.state},
        "attempts": {"N": str(delivery.attempts)},
        "last_error": {"S": delivery.last_error},
    }
    if delivery.state == PENDING:
        values["outbox_pk"] = {"S": PENDING}
    return values


def index_definition() -> tuple[list[dict[str, str]], dict[str, Any]]:
    """The GSI's attribute definitions and its definition, for create_table (and for an
    UpdateTable that adds it to a deployed table)."""
    attributes = [
        {"AttributeName": "outbox_pk", "AttributeType": "S"},
        {"AttributeName": "next_at", "AttributeType": "N"},
    ]
    index = {
        "IndexName": INDEX,
        "KeySchema": [
            {"AttributeName": "outbox_pk", "KeyType": "HASH"},
            {"AttributeName": "next_at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["channel"]},
    }
    return attributes, index


def _delivery(values: dict[str, Any]) -> Delivery:
    body = json.loads(values["body"]["S"])
    return Delivery(
        id=values["id"]["S"],
        code=values["code"]["S"],
        office=values["office"]["S"],
        kind=values["kind"]["S"],
        channel=values["channel"]["S"],
        to=body["to"],
        data=body["data"],
        created_at=float(values["created_at"]["N"]),
        next_at=float(values["next_at"]["N"]),
        state=values["state"]["S"],
        attempts=int(values["attempts"]["N"]),
        last_error=values["last_error"]["S"],
        sent_at=float(values["sent_at"]["N"]) if "sent_at" in values else None,
    )


class DynamoOutbox:
    """`Outbox` on the dossiers' table."""

    def __init__(self, client: "DynamoDBClient", table: str):
        self._client = client
        self._table = table

    def claim(
        self, now: float, *, channels: Sequence[str], limit: int, lease: float
    ) -> list[Delivery]:
        values: dict[str, Any] = {":pending": {"S": PENDING}, ":now": {"N": repr(now)}}
        values.update({f":c{i}": {"S": channel} for i, channel in enumerate(channels)})
        marks = ", ".join(f":c{i}" for i in range(len(channels)))
        with _wrapped():
            answer = self._client.query(
                TableName=self._table,
                IndexName=INDEX,
                KeyConditionExpression="#outbox_pk = :pending AND #next_at <= :now",
                FilterExpression=f"#channel IN ({marks})",
                ExpressionAttributeNames={
                    name: value
                    for name, value in _NAMES.items()
                    if name in ("#outbox_pk", "#next_at", "#channel")
                },
                ExpressionAttributeValues=values,
                Limit=limit,
            )
        claimed = []
        for found in answer.get("Items", []):
            leased = self._lease(found["pk"]["S"], found["next_at"]["N"], now + lease)
            if leased is not None:
                claimed.append(leased)
        return claimed

    def _lease(self, pk: str, seen: str, until: float) -> Delivery | None:
        try:
            with _wrapped(passing=_condition_failed):
                answer = self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": pk}},
                    UpdateExpression="SET #next_at = :until, #attempts = #attempts + :one",
                    ConditionExpression="#state = :pending AND #next_at = :seen",
                    ExpressionAttributeNames=_only(_NAMES, "#next_at", "#attempts", "#state"),
                    ExpressionAttributeValues={
                        ":until": {"N": repr(until)},
                        ":one": {"N": "1"},
                        ":pending": {"S": PENDING},
                        ":seen": {"N": seen},
                    },
                    ReturnValues="ALL_NEW",
                )
        except ClientError:  # another worker claimed it first
            return None
        return _delivery(answer["Attributes"])

    def sent(self, delivery_id: str, at: float) -> None:
        self._update(
            delivery_id,
            "SET #state = :sent, #sent_at = :at REMOVE #outbox_pk",
            "attribute_exists(pk) AND #state <> :sent",
            {":sent": {"S": "sent"}, ":at": {"N": repr(at)}},
        )

    def failed(self, delivery_id: str, *, error: str, retry_at: float | None) -> None:
        values: dict[str, Any] = {":pending": {"S": PENDING}, ":error": {"S": error}}
        if retry_at is None:
            update = "SET #state = :failed, #last_error = :error REMOVE #outbox_pk"
            values[":failed"] = {"S": "failed"}
        else:
            update = "SET #next_at = :retry, #last_error = :error"
            values[":retry"] = {"N": repr(retry_at)}
        self._update(delivery_id, update, "#state = :pending", values)

    def retry(self, delivery_id: str, now: float) -> bool:
        return self._update(
            delivery_id,
            "SET #state = :pending, #outbox_pk = :pending, #next_at = :now, #attempts = :zero",
            "attribute_exists(pk) AND #state <> :sent",
            {
                ":pending": {"S": PENDING},
                ":now": {"N": repr(now)},
                ":zero": {"N": "0"},
                ":sent": {"S": "sent"},
            },
        )

    def _update(
        self, delivery_id: str, update: str, condition: str, values: dict[str, Any]
    ) -> bool:
        """One conditional UpdateItem; False when the condition failed (nothing changed)."""
        text = update + " " + condition
        try:
            with _wrapped(passing=_condition_failed):
                self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": f"OUTBOX#{delivery_id}"}},
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames={n: v for n, v in _NAMES.items() if n in text},
                    ExpressionAttributeValues=values,
                )
        except ClientError:
            return False
        return True

    def get(self, delivery_id: str) -> Delivery | None:
        with _wrapped():
            answer = self._client.get_item(
                TableName=self._table,
                Key={"pk": {"S": f"OUTBOX#{delivery_id}"}},
                ConsistentRead=True,
            )
        found = answer.get("Item")
        return None if found is None else _delivery(found)

    def of_offices(
        self, offices: Sequence[str], *, states: Sequence[str], limit: int
    ) -> list[Delivery]:
        """A scan (officers cannot sign in on AWS yet; docs/lifecycle.md): an index by office
        comes with the back office there."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(pk, :outbox)",
            "ExpressionAttributeValues": {":outbox": {"S": "OUTBOX#"}},
            "ConsistentRead": True,
        }
        found: list[Delivery] = []
        while True:
            with _wrapped():
                answer = self._client.scan(**request)
            found += [
                delivery
                for delivery in map(_delivery, answer.get("Items", []))
                if delivery.office in offices and delivery.state in states
            ]
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return sorted(found, key=lambda d: (d.created_at, d.id))[:limit]

    def close(self) -> None:
        """Nothing to release: the client is the caller's."""


def _only(names: dict[str, str], *wanted: str) -> dict[str, str]:
    return {name: names[name] for name in wanted}


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


@contextmanager
def _wrapped(passing: Any = lambda _error: False) -> Iterator[None]:
    """botocore errors leave this module as StorageError, except those `passing` lets through."""
    try:
        yield
    except ClientError as error:
        if passing(error):
            raise
        raise StorageError() from error
    except BotoCoreError as error:
        raise StorageError() from error
