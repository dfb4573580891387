"""Request counts per key and window in the dossiers' DynamoDB table, shared by every Lambda
container: the AWS target's RateCounts (ports.py).

    RATE#<key>#<window start>   `n` (the count) and `expires_at` (Unix seconds: the window's end)

`hit` is one UpdateItem that ADDs 1 and returns the new count (atomic in DynamoDB). The table's
TTL on `expires_at` (the deployment turns it on, as for failed lookups) deletes ended windows.
On AWS, API Gateway throttling and a WAF rate rule sit in front of this as well.
"""

import math
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import StorageError

if TYPE_CHECKING:  # boto3-stubs, for mypy only
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoRateCounts:
    """`RateCounts` in a DynamoDB table keyed by `pk`."""

    def __init__(self, client: "DynamoDBClient", table: str):
        self._client = client
        self._table = table

    def hit(self, key: str, window_start: float, window: float) -> int:
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"RATE#{key}#{window_start:.0f}"}},
                UpdateExpression="ADD n :one SET expires_at = :expires",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":expires": {"N": str(math.ceil(window_start + window))},
                },
                ReturnValues="UPDATED_NEW",
            )
        except (BotoCoreError, ClientError) as error:
            raise StorageError() from error
        return int(answer["Attributes"]["n"]["N"])

    def close(self) -> None:
        """Nothing to release: boto3 clients pool their own connections."""
