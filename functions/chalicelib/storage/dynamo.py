"""Dossiers in one DynamoDB table: the adapter for the AWS deployment.

DynamoDB has no multi-statement transaction with reads, so the contract in ports.py is kept by
optimistic concurrency: read the idempotency record and the (agency, day) counter with strongly
consistent reads, then write the counter, the dossier and the idempotency record in one
`TransactWriteItems` whose conditions fail if anyone else moved the counter or used the key in
between. A cancelled transaction wrote nothing, so we read again and retry.

Items, all under the string key `pk`:
    DOSSIER#<code>           the dossier: JSON `body`, its `State` as JSON `state` (from create on:
                             workflow.initial_state) and top-level attributes for the queue
                             index (office, status, due_at, queue_pk, queue_key, ...)
    EVENT#<code>#<seq>       one event (`body`, JSON), seq zero-padded to six digits
    COUNTER#<agency>#<day>   `seq`, the last sequence number handed out that day
    IDEM#<key hash>          `request_hash` and `code` of the dossier stored under that key
                             (lookup_secret.idempotency_hash: the key is never stored;
                             `hash_idempotency_keys` converts items written before)

A transition is one `TransactWriteItems`: an update of the dossier conditioned on its `version`
and a put of the next event conditioned on its absence. Either both are written or neither; a
failed condition means another transition won (VersionConflictError) or the code is unknown
(NotFoundError, told apart by reading the dossier). Events are items of their own rather than a
list in the dossier, so a long history never nears the 400 KB item limit and nothing is rewritten;
the table keeps its single key `pk` (adding a GSI is an in-place update of a deployed table, a
sort key is not), and `get` fetches events 1..version with one BatchGetItem, exact because the
dossier's version is read first and events are never changed.

Queues: the GSI `queue` has partition `queue_pk` = `<office>#<status>` and sort `queue_key`
(ports.queue_key: due date, none last, then code), projecting what a queue row shows. An office's
page for one status is one Query read in order from the cursor; several statuses (or all ten) are
one Query each, merged by queue_key. A partition per office and status, rather than per office,
makes the common query (one status) need no filter, and `counts` is ten Select=COUNT queries on
small partitions. Procedure and channel are filters; the due-date filters are the key condition's
lower bound and a stop when the keys pass the upper bound. A dossier handed over to a province's
system (`handed_to`) has no queue keys: the sparse index leaves it out of every office's queue.
"""

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import lookup_secret, workflow
from chalicelib.errors import (
    IdempotencyConflictError,
    NotFoundError,
    StorageError,
    VersionConflictError,
)
from chalicelib.storage import outbox_dynamo
from chalicelib.storage.ports import (
    NO_DUE,
    Delivery,
    NewDossier,
    QueueItem,
    QueueQuery,
    State,
    StoredDossier,
    dossier_json,
    format_code,
    queue_key,
)

if TYPE_CHECKING:  # boto3-stubs, for mypy only
    from mypy_boto3_dynamodb import DynamoDBClient

MAX_ATTEMPTS = 60
BACKOFF_BASE_S = 0.005
BACKOFF_CAP_S = 0.2
# Reasons a transaction was cancelled that mean "someone else won the race": read again and retry.
RETRYABLE_REASONS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
QUEUE_INDEX = "queue"
# What a queue row shows (QueueItem), projected into the queue index beside its keys.
QUEUE_ATTRIBUTES = [
    "code",
    "procedure",
    "applicant",
    "channel",
    "status",
    "unit",
    "received_at",
    "due_at",
    "version",
]


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
        self,
        dossier: NewDossier,
        *,
        idempotency_key: str,
        request_hash: str,
        deliveries: Callable[[str], Sequence[Delivery]] | None = None,
    ) -> StoredDossier:
        for attempt in range(MAX_ATTEMPTS):
            stored = self._stored_under(idempotency_key, request_hash)
            if stored is not None:
                return stored
            current = self._sequence(dossier.agency, dossier.day)
            code = format_code(dossier.agency, dossier.day, current + 1)
            outgoing = deliveries(code) if deliveries is not None else ()
            if self._write(dossier, code, current, idempotency_key, request_hash, outgoing):
                self._after_write("transaction")
                return StoredDossier(code, dossier, (), workflow.initial_state(dossier))
            time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
        raise StorageError()

    def get(self, code: str) -> StoredDossier | None:
        item = self._item(f"DOSSIER#{code}")
        if item is None:
            return None
        dossier = NewDossier(**json.loads(item["body"]["S"]))
        if "state" not in item:  # written before the lifecycle
            return StoredDossier(code, dossier, (), workflow.initial_state(dossier))
        state = State(**json.loads(item["state"]["S"]))
        return StoredDossier(code, dossier, self._events(code, state.version), state)

    def transition(
        self,
        code: str,
        *,
        expected_version: int,
        event: dict[str, Any],
        state: State,
        deliveries: Sequence[Delivery] = (),
    ) -> StoredDossier:
        items: list[Any] = [  # TransactWriteItemTypeDef, built from plain dicts
            {"Update": self._state_update(code, expected_version, state)},
            {
                "Put": self._put_new(
                    {
                        "pk": {"S": _event_pk(code, state.version)},
                        "body": {"S": json.dumps(event, ensure_ascii=False)},
                    }
                )
            },
            *({"Put": self._put_new(outbox_dynamo.item(d))} for d in deliveries),
        ]
        for attempt in range(MAX_ATTEMPTS):
            try:
                with _wrapped(passing=_lost_race):
                    self._client.transact_write_items(TransactItems=items)
            except ClientError as error:
                if _reasons(error) <= {"TransactionConflict"}:  # another write in flight: again
                    time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
                    continue
                if self._item(f"DOSSIER#{code}") is None:
                    raise NotFoundError() from None
                raise VersionConflictError() from None
            self._after_write("transaction")
            stored = self.get(code)
            assert stored is not None
            return stored
        raise StorageError()

    def replace_secret(
        self,
        code: str,
        *,
        expected_version: int,
        secret_hash: str,
        deliveries: Sequence[Delivery],
    ) -> None:
        """The state is read, changed and written back under the version's condition, with the
        deliveries in the same TransactWriteItems."""
        stored = self.get(code)
        if stored is None or stored.state is None:
            raise NotFoundError()
        if stored.state.version != expected_version:
            raise VersionConflictError()
        state = {**stored.state.as_dict(), "secret_hash": secret_hash}
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": {"S": f"DOSSIER#{code}"}},
                    "UpdateExpression": "SET #state = :state",
                    "ConditionExpression": "attribute_exists(pk) AND #version = :expected",
                    "ExpressionAttributeNames": {"#state": "state", "#version": "version"},
                    "ExpressionAttributeValues": {
                        ":state": {"S": json.dumps(state, ensure_ascii=False)},
                        ":expected": {"N": str(expected_version)},
                    },
                }
            },
            *({"Put": self._put_new(outbox_dynamo.item(d))} for d in deliveries),
        ]
        try:
            with _wrapped(passing=_lost_race):
                self._client.transact_write_items(TransactItems=items)
        except ClientError:
            raise VersionConflictError() from None

    def queue(self, query: QueueQuery) -> list[QueueItem]:
        statuses = query.statuses or tuple(workflow.STATUSES)
        found = [item for status in statuses for item in self._queue_of(query, status)]
        found.sort(key=lambda item: item.cursor)
        return found[: query.limit]

    def counts(self, office: str) -> dict[int, int]:
        counts = {}
        for status in workflow.STATUSES:
            count, start = 0, None
            while True:
                request: dict[str, Any] = {
                    "TableName": self._table,
                    "IndexName": QUEUE_INDEX,
                    "KeyConditionExpression": "queue_pk = :pk",
                    "ExpressionAttributeValues": {":pk": {"S": f"{office}#{status}"}},
                    "Select": "COUNT",
                }
                if start:
                    request["ExclusiveStartKey"] = start
                with _wrapped():
                    answer = self._client.query(**request)
                count += answer["Count"]
                start = answer.get("LastEvaluatedKey")
                if not start:
                    break
            if count:
                counts[status] = count
        return counts

    def codes(self) -> Iterator[str]:
        """A scan of the dossier items, in pages; sorted only within a page."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(pk, :dossier)",
            "ExpressionAttributeValues": {":dossier": {"S": "DOSSIER#"}},
            "ProjectionExpression": "code",
            "ConsistentRead": True,
        }
        while True:
            with _wrapped():
                answer = self._client.scan(**request)
            yield from sorted(item["code"]["S"] for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def delete(self, codes: list[str]) -> int:
        """The dossier items, their events (1..version) and the IDEM# items naming them (one
        scan: no index leads from a code to its idempotency key; purge runs at night)."""
        doomed = set(codes)
        keys: list[str] = []
        deleted = 0
        for code in codes:
            item = self._item(f"DOSSIER#{code}")
            if item is None:
                continue
            version = int(item["version"]["N"])
            keys += [f"DOSSIER#{code}", *(_event_pk(code, seq) for seq in range(1, version + 1))]
            deleted += 1
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(pk, :idem) OR begins_with(pk, :outbox)",
            "ExpressionAttributeValues": {":idem": {"S": "IDEM#"}, ":outbox": {"S": "OUTBOX#"}},
            "ProjectionExpression": "pk, code",
            "ConsistentRead": True,
        }
        while doomed:
            with _wrapped():
                answer = self._client.scan(**request)
            keys += [
                item["pk"]["S"] for item in answer.get("Items", []) if item["code"]["S"] in doomed
            ]
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        for start in range(0, len(keys), 25):
            self._delete_batch(keys[start : start + 25])
        return deleted

    def _delete_batch(self, pks: list[str]) -> None:
        requests: list[Any] = [{"DeleteRequest": {"Key": {"pk": {"S": pk}}}} for pk in pks]
        for attempt in range(MAX_ATTEMPTS):
            with _wrapped():
                answer = self._client.batch_write_item(RequestItems={self._table: requests})
            requests = list(answer.get("UnprocessedItems", {}).get(self._table, []))
            if not requests:
                return
            time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
        raise StorageError()

    def hash_idempotency_keys(self) -> int:
        """Replaces every idempotency item stored under a key in clear (written before keys were
        stored hashed) by one under its lookup_secret.idempotency_hash, each in one transaction;
        how many (`motcua migrate`). A scan: run once, after the deployment."""
        prefix = "IDEM#" + lookup_secret.IDEMPOTENCY_PREFIX
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(pk, :idem) AND NOT begins_with(pk, :hashed)",
            "ExpressionAttributeValues": {":idem": {"S": "IDEM#"}, ":hashed": {"S": prefix}},
            "ConsistentRead": True,
        }
        converted = 0
        while True:
            with _wrapped():
                answer = self._client.scan(**request)
            for item in answer.get("Items", []):
                key = item["pk"]["S"].removeprefix("IDEM#")
                hashed = {**item, "pk": {"S": f"IDEM#{lookup_secret.idempotency_hash(key)}"}}
                with _wrapped():
                    self._client.transact_write_items(
                        TransactItems=[
                            {"Put": {"TableName": self._table, "Item": hashed}},
                            {"Delete": {"TableName": self._table, "Key": {"pk": item["pk"]}}},
                        ]
                    )
                converted += 1
            if "LastEvaluatedKey" not in answer:
                return converted
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _queue_of(self, query: QueueQuery, status: int) -> list[QueueItem]:
        """Up to query.limit matching dossiers of one status, in queue_key order."""
        values: dict[str, Any] = {":pk": {"S": f"{query.office}#{status}"}}
        condition = "queue_pk = :pk"
        lower = max(query.after or "", query.due_from or "")
        if lower:
            condition += (
                " AND queue_key > :lower" if lower == query.after else " AND queue_key >= :lower"
            )
            values[":lower"] = {"S": lower}
        upper = query.due_to if query.due_to is not None else (NO_DUE if query.due_from else None)
        filters, names = [], {}
        for name in ("procedure", "channel"):
            wanted = getattr(query, name)
            if wanted is not None:
                filters.append(f"#{name} = :{name}")
                names[f"#{name}"] = name
                values[f":{name}"] = {"S": wanted}
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": QUEUE_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Limit": max(query.limit, 50),
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
            request["ExpressionAttributeNames"] = names
        found: list[QueueItem] = []
        while True:
            with _wrapped():
                answer = self._client.query(**request)
            for item in answer.get("Items", []):
                if upper is not None and item["queue_key"]["S"] >= upper:
                    return found  # read in key order: nothing further is below the bound
                found.append(_queue_item(item))
                if len(found) == query.limit:
                    return found
            if "LastEvaluatedKey" not in answer:
                return found
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _events(self, code: str, count: int) -> tuple[dict[str, Any], ...]:
        """Events 1..count: BatchGetItem by key, 100 keys a request, retrying unprocessed keys."""
        bodies: dict[str, str] = {}
        wanted = [_event_pk(code, seq) for seq in range(1, count + 1)]
        for start in range(0, len(wanted), 100):
            keys: list[Any] = [{"pk": {"S": pk}} for pk in wanted[start : start + 100]]
            for attempt in range(MAX_ATTEMPTS):
                with _wrapped():
                    answer = self._client.batch_get_item(
                        RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}}
                    )
                for item in answer.get("Responses", {}).get(self._table, []):
                    bodies[item["pk"]["S"]] = item["body"]["S"]
                unprocessed = answer.get("UnprocessedKeys", {}).get(self._table)
                keys = list(unprocessed["Keys"]) if unprocessed else []
                if not keys:
                    break
                time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
            else:
                raise StorageError()
        if len(bodies) != count:
            raise StorageError()  # a state without its events: never written so by transition
        return tuple(json.loads(bodies[pk]) for pk in wanted)

    def _state_update(self, code: str, expected_version: int, state: State) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "status": {"N": str(state.status)},
            "office": {"S": state.office},
            "unit": {"S": state.unit},
            **_queue_keys(code, state.office, state.status, state.due_at, state.handed_to),
            "version": {"N": str(state.version)},
            "state": {"S": json.dumps(state.as_dict(), ensure_ascii=False)},
        }
        if state.due_at is not None:
            attributes["due_at"] = {"S": state.due_at}
        # Every name through a placeholder: status, state, unit... are DynamoDB reserved words.
        update = "SET " + ", ".join(f"#{name} = :{name}" for name in attributes)
        names = {f"#{name}": name for name in [*attributes, "due_at"]}
        if state.due_at is None:
            update += " REMOVE #due_at"
        values = {f":{name}": value for name, value in attributes.items()}
        return {
            "TableName": self._table,
            "Key": {"pk": {"S": f"DOSSIER#{code}"}},
            "UpdateExpression": update,
            "ConditionExpression": "attribute_exists(pk) AND #version = :expected",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                **values,
                ":expected": {"N": str(expected_version)},
            },
        }

    def filed_under(self, idempotency_key: str) -> str | None:
        item = self._item(f"IDEM#{idempotency_key}")
        return None if item is None else str(item["code"]["S"])

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
        deliveries: Sequence[Delivery] = (),
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
            *({"Put": self._put_new(outbox_dynamo.item(d))} for d in deliveries),
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
    outbox_attributes, outbox_index = outbox_dynamo.index_definition()
    attributes: list[Any] = [
        {"AttributeName": key, "AttributeType": "S"} for key in ("pk", "queue_pk", "queue_key")
    ]
    with _wrapped():
        client.create_table(
            TableName=name,
            AttributeDefinitions=[*attributes, *outbox_attributes],  # type: ignore[list-item]
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": QUEUE_INDEX,
                    "KeySchema": [
                        {"AttributeName": "queue_pk", "KeyType": "HASH"},
                        {"AttributeName": "queue_key", "KeyType": "RANGE"},
                    ],
                    "Projection": {
                        "ProjectionType": "INCLUDE",
                        "NonKeyAttributes": QUEUE_ATTRIBUTES,
                    },
                },
                outbox_index,  # type: ignore[list-item]
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )


def _dossier_item(code: str, seq: int, dossier: NewDossier) -> dict[str, Any]:
    item = {
        "pk": {"S": f"DOSSIER#{code}"},
        "code": {"S": code},
        "agency": {"S": dossier.agency},
        "day": {"S": dossier.day},
        "seq": {"N": str(seq)},
        "procedure": {"S": dossier.procedure},
        "status": {"N": str(dossier.status)},
        "received_at": {"S": dossier.received_at},
        "body": {"S": dossier_json(dossier)},
        "office": {"S": dossier.office},
        "unit": {"S": ""},
        "channel": {"S": dossier.channel},
        "applicant": {"S": dossier.applicant},
        **_queue_keys(code, dossier.office, dossier.status, dossier.due_at, dossier.handed_to),
        "version": {"N": "0"},
        "state": {"S": json.dumps(workflow.initial_state(dossier).as_dict(), ensure_ascii=False)},
    }
    if dossier.due_at is not None:
        item["due_at"] = {"S": dossier.due_at}
    if dossier.handed_to:
        item["handed_to"] = {"S": dossier.handed_to}
    return item


def _queue_keys(
    code: str, office: str, status: int, due_at: str | None, handed_to: str
) -> dict[str, Any]:
    """The queue index's keys of a dossier; none for one handed over to a province's system,
    which is then in no office's queue (a sparse index: an item without them is not in it).
    Such a dossier never had them, so a transition has nothing to remove."""
    if handed_to:
        return {}
    return {
        "queue_pk": {"S": f"{office}#{status}"},
        "queue_key": {"S": queue_key(due_at, code)},
    }


def _event_pk(code: str, seq: int) -> str:
    return f"EVENT#{code}#{seq:06d}"


def _queue_item(item: dict[str, Any]) -> QueueItem:
    return QueueItem(
        code=item["code"]["S"],
        procedure=item["procedure"]["S"],
        applicant=item["applicant"]["S"],
        channel=item["channel"]["S"],
        status=int(item["status"]["N"]),
        unit=item["unit"]["S"],
        received_at=item["received_at"]["S"],
        due_at=item["due_at"]["S"] if "due_at" in item else None,
        version=int(item["version"]["N"]),
        cursor=item["queue_key"]["S"],
    )


def _reasons(error: ClientError) -> set[str]:
    """Why a transaction was cancelled, one code per item ("None" for the items that were fine)."""
    reasons = {reason.get("Code", "") for reason in error.response.get("CancellationReasons", [])}
    reasons.discard("None")
    return reasons


def _lost_race(error: ClientError) -> bool:
    """A transaction cancelled only because a condition failed or another transaction ran."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = _reasons(error)
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
