"""Ratings in the dossiers' DynamoDB table, shared by every Lambda container: the AWS target's
Ratings (ports.py). One item per dossier,
    RATING#<code>   office, procedure, at, answers (a map), comment
written with the condition `attribute_not_exists(pk)`, so a second rating of a dossier fails
(AlreadyRatedError) whichever container writes it. `all` scans the table for these items: the
anonymised export (`motcua export-events`) is run by an operator, never by the API."""

import random
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from chalicelib.errors import AlreadyRatedError, StorageError
from chalicelib.storage.dynamo_errors import ConditionFailedError, storage_errors
from chalicelib.storage.ports import Rating

if TYPE_CHECKING:  # boto3-stubs, for mypy only
    from mypy_boto3_dynamodb import DynamoDBClient

PREFIX = "RATING#"
MAX_ATTEMPTS = 8  # a batch's unprocessed items, sent again with a growing random wait


class DynamoRatings:
    """`Ratings` in a DynamoDB table keyed by `pk`."""

    def __init__(self, client: "DynamoDBClient", table: str):
        self._client = client
        self._table = table

    def add(self, rating: Rating) -> None:
        item: dict[str, Any] = {
            "pk": {"S": PREFIX + rating.code},
            "code": {"S": rating.code},
            "office": {"S": rating.office},
            "procedure": {"S": rating.procedure},
            "at": {"S": rating.at},
            "answers": {"M": {k: {"S": v} for k, v in rating.answers.items()}},
            "comment": {"S": rating.comment},
        }
        try:
            with storage_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ConditionFailedError:
            raise AlreadyRatedError() from None

    def get(self, code: str) -> Rating | None:
        with storage_errors():
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": PREFIX + code}}, ConsistentRead=True
            ).get("Item")
        return None if item is None else _rating(item)

    def all(self) -> Iterator[Rating]:
        start: dict[str, Any] | None = None
        while True:
            with storage_errors():
                page = self._client.scan(
                    TableName=self._table,
                    FilterExpression="begins_with(pk, :prefix)",
                    ExpressionAttributeValues={":prefix": {"S": PREFIX}},
                    ConsistentRead=True,
                    **({"ExclusiveStartKey": start} if start else {}),  # type: ignore[arg-type]
                )
            for item in page.get("Items", []):
                yield _rating(item)
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def delete(self, codes: list[str]) -> int:
        """Reads which of `codes` have a rating, then deletes those, 25 to a batch."""
        found = [code for code in codes if self.get(code) is not None]
        for start in range(0, len(found), 25):
            requests: list[Any] = [
                {"DeleteRequest": {"Key": {"pk": {"S": PREFIX + code}}}}
                for code in found[start : start + 25]
            ]
            for _attempt in range(MAX_ATTEMPTS):
                with storage_errors():
                    answer = self._client.batch_write_item(RequestItems={self._table: requests})
                requests = list(answer.get("UnprocessedItems", {}).get(self._table, []))
                if not requests:
                    break
                time.sleep(random.uniform(0, 0.05 * 2**_attempt))
            else:
                raise StorageError()
        return len(found)

    def close(self) -> None:
        """Nothing to release: boto3 clients pool their own connections."""


def _rating(item: dict[str, Any]) -> Rating:
    return Rating(
        code=item["code"]["S"],
        office=item["office"]["S"],
        procedure=item["procedure"]["S"],
        at=item["at"]["S"],
        answers={k: v["S"] for k, v in item["answers"]["M"].items()},
        comment=item["comment"]["S"],
    )
