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

The scanner function (chalicelib/scanstep.py, functions/resources.json `UploadScanner`) has a role
of its own, written in resources.json: calls made under `chalicelib.scanstep` are recorded apart
(`OperationLog.scanner_made`) and checked against that role's policy. It names the bucket by its
ARN's text (the bucket's notification depends on the function, so the function's role cannot
depend on the bucket), which reads here as `${UploadsBucket.Arn}`.

The nightly purge function (functions/app.py `nightly_purge`, chalicelib/admin/purge.py) has a
role of its own too, functions/.chalice/purge-policy.json: calls made under `chalicelib.admin.purge`
are recorded apart (`OperationLog.purge_made`), whatever adapter method makes them (the methods
NOT_IN_THE_LAMBDA leaves out of the API's function are the purge function's work).
"""

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "functions" / ".chalice" / "policy.json"
PURGE_POLICY = ROOT / "functions" / ".chalice" / "purge-policy.json"
RESOURCES = ROOT / "functions" / "resources.json"
SCAN_STEP = "chalicelib.scanstep"  # the scanner function's code: its calls are its role's
PURGE = "chalicelib.admin.purge"  # the nightly purge function's code: its calls are its role's
BUCKET_ARN_TEXT = "arn:${AWS::Partition}:s3:::motcua-${StageName}-uploads"
# The runtime writes the function's logs, not our code: granted, never recorded.
RUNTIME_STATEMENTS = frozenset({"Logs"})
# Adapter functions the API's function never runs (by qualified name), with the reason; their calls
# are not recorded, unless the purge function's code makes them (PURGE).
NOT_IN_THE_LAMBDA = {
    "create_table": "creates the table for tests and local runs; on AWS the template does",
    "DynamoDossiers.codes": "every dossier: `python -m chalicelib.chain`, the purge function",
    "DynamoDossiers.queue": "officers' queue: officers cannot sign in on AWS yet (wiring)",
    "DynamoDossiers.counts": "officers' queue: officers cannot sign in on AWS yet (wiring)",
    "DynamoDossiers.delete": "retention: `motcua purge` and the purge function",
    "DynamoDossiers._delete_batch": "retention: `motcua purge` and the purge function",
    "DynamoDossiers.hash_idempotency_keys": "`motcua migrate`, once, by an operator",
    "DynamoRatings.all": "the anonymised export: `motcua export-events`, by an operator",
    "DynamoRatings.delete": "retention: `motcua purge` and the purge function",
    "DynamoOutbox.of_offices": "the back office's failed deliveries: officers cannot sign in on"
    " AWS yet (wiring)",
    # UploadStore (the admin command's port): `motcua backup`, `restore` and `purge` are run by an
    # operator with their own credentials, and the purge by the purge function; never by the API's.
    "S3Uploads.objects": "the admin command's UploadStore",
    "S3Uploads.read_object": "the admin command's UploadStore",
    "S3Uploads.write_object": "the admin command's UploadStore",
}
TABLE, BUCKET, SECRET = "${DossiersTable.Arn}", "${UploadsBucket.Arn}", "${SecretKey}"
SES_IDENTITIES = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
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


def scanner_policy() -> dict[str, Any]:
    """The scanner function's policy, from its role in resources.json."""
    role = json.loads(RESOURCES.read_text())["Resources"]["ScannerRole"]
    (policy,) = role["Properties"]["Policies"]
    return policy["PolicyDocument"]


def purge_policy() -> dict[str, Any]:
    """The nightly purge function's policy (functions/.chalice/purge-policy.json)."""
    return json.loads(PURGE_POLICY.read_text())


def resource_text(resource: Any) -> str:
    """A policy resource as text: GetAtt and Ref written the way Fn::Sub writes them."""
    if isinstance(resource, str):
        return resource
    if "Fn::Sub" in resource:
        return resource["Fn::Sub"].replace(BUCKET_ARN_TEXT, BUCKET)
    if "Fn::GetAtt" in resource:
        name, attribute = resource["Fn::GetAtt"]
        return f"${{{name}.{attribute}}}"
    if "Ref" in resource:
        return f"${{{resource['Ref']}}}"
    raise AssertionError(f"unexpected resource {resource!r}")


class OperationLog:
    """Records, as IAM grants, the calls adapters make through the clients it watches."""

    def __init__(self) -> None:
        self.made: set[Grant] = set()  # by the API's function
        self.scanner_made: set[Grant] = set()  # by the scanner function
        self.purge_made: set[Grant] = set()  # by the nightly purge function

    def clear(self) -> None:
        self.made.clear()
        self.scanner_made.clear()
        self.purge_made.clear()

    def watch(self, client: Any) -> Any:
        client.meta.events.register("provide-client-params.*.*", self._record)
        return client

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        caller = _called_by_a_function()
        if caller is None:
            return
        made = {SCAN_STEP: self.scanner_made, PURGE: self.purge_made}.get(caller, self.made)
        service = model.service_model.endpoint_prefix
        if service == "s3" and model.name == "CreateBucket":
            # generate_presigned_post borrows CreateBucket's model to build the URL; what the
            # browser then does with the form is a PutObject of the key it was signed for.
            key = _presigned_post_key()
            if key is not None:
                made |= {("s3:PutObject", _object(key))}
                return
        made |= _grants_for(service, model.name, params)


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
        if operation in ("ListObjects", "ListObjectsV2"):
            return {("s3:ListBucket", BUCKET)}  # the IAM action that allows listing
        if "Key" in params:
            return {(f"s3:{operation}", _object(params["Key"]))}
        return {(f"s3:{operation}", BUCKET)}
    if service == "secretsmanager":
        return {(f"secretsmanager:{operation}", SECRET)}
    if service == "email":  # SES (notify/ses.py): any identity verified in the account
        return {(f"ses:{operation}", SES_IDENTITIES)}
    return {(f"{service}:{operation}", "?")}


def _object(key: str) -> str:
    """Objects are granted per top-level prefix (quarantine/, accepted/)."""
    return f"{BUCKET}/{key.split('/', 1)[0]}/*"


def _called_by_a_function() -> str | None:
    """PURGE when the purge function's code made this call, SCAN_STEP when the scanner
    function's, "api" when another adapter (a `chalicelib` function) did, None for the tests'
    own calls and those NOT_IN_THE_LAMBDA."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == PURGE:
            return PURGE
        frame = frame.f_back
    frame = sys._getframe(2)
    caller = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("chalicelib."):
            if frame.f_code.co_qualname in NOT_IN_THE_LAMBDA:
                return None
            if module == SCAN_STEP or caller is None:
                caller = SCAN_STEP if module == SCAN_STEP else "api"
        frame = frame.f_back
    return caller


def _presigned_post_key() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "generate_presigned_post" and "Key" in frame.f_locals:
            return frame.f_locals["Key"]
        frame = frame.f_back
    return None
