"""What the Lambda's IAM policy must grant, found from the calls the AWS adapters really make.

moto does not enforce IAM, so a missing grant would first show on AWS as AccessDenied. Instead a
botocore event hook on the contract tests' clients records every operation an adapter makes (calls
made by the tests themselves to set up or inspect are left out: no `chalicelib` frame on the
stack), as the IAM actions and resources AWS authorises it by. The contract suite checks after
each AWS test that functions/.chalice/policy.json grants all of them (conftest.py), and
test_aws_policy.py that the policy grants nothing these calls do not need.

Resources are written as in the policy: `${DossiersTable.Arn}`, `${UploadsBucket.Arn}/accepted/*`,
`${SecretKey}`. The function has one table, one bucket and one secret, so whatever names the tests
give theirs, a table stands for DossiersTable, a bucket for UploadsBucket, a secret for SecretKey.
"""

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "functions" / ".chalice" / "policy.json"
# The runtime writes the function's logs, not our code: granted, never recorded.
RUNTIME_STATEMENTS = frozenset({"Logs"})
# Adapter functions the Lambda never runs (by qualified name), with the reason; their calls are not
# recorded.
NOT_IN_THE_LAMBDA = {
    "create_table": "creates the table for tests and local runs; on AWS the template does",
    "DynamoDossiers.codes": "only `python -m chalicelib.chain` lists every dossier, by an operator",
    "DynamoDossiers.queue": "officers' queue: officers cannot sign in on AWS yet (wiring)",
    "DynamoDossiers.counts": "officers' queue: officers cannot sign in on AWS yet (wiring)",
    "DynamoDossiers.hash_idempotency_keys": "`motcua migrate`, once, by an operator",
    # UploadStore (the admin command's port): `motcua backup`, `restore` and `purge` are run by an
    # operator with their own credentials, never by the function.
    "S3Uploads.objects": "the admin command's UploadStore",
    "S3Uploads.read_object": "the admin command's UploadStore",
    "S3Uploads.write_object": "the admin command's UploadStore",
    "S3Uploads.remove": "the admin command's UploadStore",
}
TABLE, BUCKET, SECRET = "${DossiersTable.Arn}", "${UploadsBucket.Arn}", "${SecretKey}"
TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}

Grant = tuple[str, str]  # (IAM action, resource as the policy writes it)


def granted(policy: dict[str, Any] | None = None) -> set[Grant]:
    """Every (action, resource) the policy allows, leaving out the runtime's statements."""
    document = policy or json.loads(POLICY.read_text())
    grants: set[Grant] = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow", statement
        if statement["Sid"] in RUNTIME_STATEMENTS:
            continue
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in resources if isinstance(resources, list) else [resources]:
                grants.add((action, resource_text(resource)))
    return grants


def resource_text(resource: Any) -> str:
    """A policy resource as text: GetAtt and Ref written the way Fn::Sub writes them."""
    if isinstance(resource, str):
        return resource
    if "Fn::Sub" in resource:
        return resource["Fn::Sub"]
    if "Fn::GetAtt" in resource:
        name, attribute = resource["Fn::GetAtt"]
        return f"${{{name}.{attribute}}}"
    if "Ref" in resource:
        return f"${{{resource['Ref']}}}"
    raise AssertionError(f"unexpected resource {resource!r}")


class OperationLog:
    """Records, as IAM grants, the calls adapters make through the clients it watches."""

    def __init__(self) -> None:
        self.made: set[Grant] = set()

    def watch(self, client: Any) -> Any:
        client.meta.events.register("provide-client-params.*.*", self._record)
        return client

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if not _called_by_the_lambda():
            return
        service = model.service_model.endpoint_prefix
        if service == "s3" and model.name == "CreateBucket":
            # generate_presigned_post borrows CreateBucket's model to build the URL; what the
            # browser then does with the form is a PutObject of the key it was signed for.
            key = _presigned_post_key()
            if key is not None:
                self.made |= {("s3:PutObject", _object(key))}
                return
        self.made |= _grants_for(service, model.name, params)


def _grants_for(service: str, operation: str, params: dict[str, Any]) -> set[Grant]:
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return {
                (f"dynamodb:{TRANSACT_WRITE[kind]}", TABLE)
                for item in params["TransactItems"]
                for kind in item
            }
        table = TABLE
        if params.get("IndexName"):
            table = f"{table}/index/{params['IndexName']}"
        return {(f"dynamodb:{operation}", table)}
    if service == "s3":
        if operation in ("GetObject", "HeadObject"):
            # Without s3:ListBucket, S3 answers 403 instead of 404 for a missing key, and the
            # adapter reads 404 as "not there" (S3Uploads.size, is_accepted).
            return {
                ("s3:GetObject", _object(params["Key"])),
                ("s3:ListBucket", BUCKET),
            }
        if operation == "CopyObject":
            source = params["CopySource"]
            return {
                ("s3:PutObject", _object(params["Key"])),
                ("s3:GetObject", _object(source["Key"])),
            }
        if "Key" in params:
            return {(f"s3:{operation}", _object(params["Key"]))}
        return {(f"s3:{operation}", BUCKET)}
    if service == "secretsmanager":
        return {(f"secretsmanager:{operation}", SECRET)}
    return {(f"{service}:{operation}", "?")}


def _object(key: str) -> str:
    """Objects are granted per top-level prefix (quarantine/, accepted/)."""
    return f"{BUCKET}/{key.split('/', 1)[0]}/*"


def _called_by_the_lambda() -> bool:
    """True when an adapter (a `chalicelib` function) made this call, and not one of those
    NOT_IN_THE_LAMBDA."""
    frame = sys._getframe(2)
    by_chalicelib = False
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("chalicelib."):
            if frame.f_code.co_qualname in NOT_IN_THE_LAMBDA:
                return False
            by_chalicelib = True
        frame = frame.f_back
    return by_chalicelib


def _presigned_post_key() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "generate_presigned_post" and "Key" in frame.f_locals:
            return frame.f_locals["Key"]
        frame = frame.f_back
    return None
