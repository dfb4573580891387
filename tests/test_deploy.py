"""`chalice package` produces a deployable SAM/CloudFormation template that passes cfn-lint and
checkov (every skipped check listed with its reason in functions/.checkov.yaml), with the table,
bucket, secret, throttling and firewall the AWS deployment needs and one least-privilege role per
function, and the scanner function S3 invokes for every upload in quarantine/."""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from buildlib.bundle import DEFAULT_OUT, bundle_command

from .conftest import ROOT

BIN = Path(sys.executable).parent
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"  # its own venv: scripts/checkov-venv.sh
FUNCTIONS = ROOT / "functions"
LOOKUP_PATH = "/~1api~1dossiers~1{code}"  # GET /api/dossiers/{code}, as API Gateway escapes it

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    # The bundle goes where `chalice package` takes it from (DEFAULT_OUT), so it is the seed
    # catalogue's: what a deployment ships, never the fixture catalogue.
    assert bundle_command(ROOT / "catalogue", DEFAULT_OUT, out=io.StringIO()) == 0
    env = {**os.environ, "AWS_DEFAULT_REGION": "ap-southeast-1"}
    out = tmp_path_factory.mktemp("package")
    subprocess.run(
        [
            str(BIN / "chalice"),
            "package",
            "--stage",
            "prod",
            "--merge-template",
            "resources.json",
            str(out),
        ],
        cwd=FUNCTIONS,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out / "sam.json"


@pytest.fixture(scope="module")
def resources(package: Path) -> dict[str, Any]:
    return json.loads(package.read_text())["Resources"]


def test_the_packaged_template_passes_cfn_lint(package: Path):
    lint = subprocess.run(
        [str(BIN / "cfn-lint"), str(package)], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_packaged_template_passes_checkov_skipping_only_checks_with_a_reason(package: Path):
    config = FUNCTIONS / ".checkov.yaml"
    skips = re.findall(r"^\s*- (CKV2?_\w+)\s*(?:#\s*(.*))?$", config.read_text(), re.MULTILINE)
    assert skips, "the skip list is read"
    assert all(len(reason.split()) >= 5 for _, reason in skips), "each skip says why"
    assert len({check for check, _ in skips}) == len(skips)
    assert CHECKOV.exists(), "checkov lives in .venv-checkov: run scripts/checkov-venv.sh"
    scan = subprocess.run(
        [str(CHECKOV), "--config-file", str(config), "--file", str(package), "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    report = json.loads(scan.stdout)
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in report["results"]["failed_checks"]
    ]
    assert scan.returncode == 0 and not failed, "\n".join(failed) or scan.stderr
    assert report["summary"]["passed"] >= 20  # it did scan the resources


def test_the_api_function_is_packaged_with_its_own_role_holding_exactly_policy_json(resources):
    functions = {name for name, r in resources.items() if r["Type"].endswith("::Function")}
    assert functions == {"APIHandler", "NightlyPurge", "Outbox", "UploadScanner"}
    function = resources["APIHandler"]["Properties"]
    role = resources[function["Role"]["Fn::GetAtt"][0]]["Properties"]
    policy = json.loads((FUNCTIONS / ".chalice" / "policy.json").read_text())
    assert [p["PolicyDocument"] for p in role["Policies"]] == [policy]
    assert "ManagedPolicyArns" not in role
    variables = function["Environment"]["Variables"]
    assert variables["MOTCUA_STORAGE"] == "aws"
    assert variables["MOTCUA_TABLE"] == "motcua-prod-dossiers"
    assert variables["MOTCUA_SECRET_KEY_SECRET_ID"] == {"Ref": "SecretKey"}
    assert "MOTCUA_SECRET_KEY" not in variables
    secret = resources["SecretKey"]
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert secret["DeletionPolicy"] == "Retain"  # the retained table's lookup secrets need it
    log_group = resources["APIHandlerLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert log_group == f"/aws/lambda/{function['FunctionName']['Fn::Sub']}"


def test_the_nightly_purge_runs_daily_one_at_a_time_with_its_own_role(resources):
    """The purge function (app.py `nightly_purge`) lists every object and deletes ended
    dossiers: rights the API's role must not have, so a role of its own holding exactly
    purge-policy.json (tests/contract/test_aws_purge.py checks each grant is needed)."""
    function = resources["NightlyPurge"]["Properties"]
    assert function["Handler"] == "app.nightly_purge"
    assert function["Events"]["NightlyPurgeEvent"] == {
        "Type": "Schedule",
        "Properties": {"Schedule": "rate(1 day)"},
    }
    assert function["ReservedConcurrentExecutions"] == 1  # two runs never race on one store
    assert function["Timeout"] == 900  # a scan of every dossier: Lambda's longest run
    role = resources[function["Role"]["Fn::GetAtt"][0]]["Properties"]
    policy = json.loads((FUNCTIONS / ".chalice" / "purge-policy.json").read_text())
    assert [p["PolicyDocument"] for p in role["Policies"]] == [policy]
    assert "ManagedPolicyArns" not in role
    assert function["Environment"]["Variables"]["MOTCUA_SECRET_KEY_SECRET_ID"] == {
        "Ref": "SecretKey"
    }
    log_group = resources["NightlyPurgeLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert log_group == f"/aws/lambda/{function['FunctionName']['Fn::Sub']}"
    assert log_group in json.dumps(policy)


def test_the_outbox_function_runs_every_minute_alone_with_the_api_policy(resources):
    """The scheduled outbox worker (app.send_notifications, docs/notifications.md): its role holds
    policy.json too (whose Logs statement names its log group), it reads the same secret key,
    sends from the NotifySender parameter, and one run at a time."""
    function = resources["Outbox"]["Properties"]
    assert function["Handler"] == "app.send_notifications"
    (event,) = function["Events"].values()
    assert (event["Type"], event["Properties"]["Schedule"]) == ("Schedule", "rate(1 minute)")
    assert function["ReservedConcurrentExecutions"] == 1
    role = resources[function["Role"]["Fn::GetAtt"][0]]["Properties"]
    policy = json.loads((FUNCTIONS / ".chalice" / "policy.json").read_text())
    assert [p["PolicyDocument"] for p in role["Policies"]] == [policy]
    variables = function["Environment"]["Variables"]
    assert variables["MOTCUA_SECRET_KEY_SECRET_ID"] == {"Ref": "SecretKey"}
    assert variables["MOTCUA_SES_FROM"] == {"Ref": "NotifySender"}
    log_group = resources["OutboxLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert log_group == f"/aws/lambda/{function['FunctionName']['Fn::Sub']}"
    (logs,) = [s for s in policy["Statement"] if s["Sid"] == "Logs"]
    assert f"log-group:{log_group}:*" in json.dumps(logs["Resource"])


def test_the_api_stage_is_throttled_and_the_status_lookup_more_tightly(resources):
    settings = {
        (s["ResourcePath"], s["HttpMethod"]): s
        for s in resources["RestAPI"]["Properties"]["MethodSettings"]
    }
    stage, lookup = settings[("/*", "*")], settings[(LOOKUP_PATH, "GET")]
    assert 0 < lookup["ThrottlingRateLimit"] < stage["ThrottlingRateLimit"]
    assert 0 < lookup["ThrottlingBurstLimit"] < stage["ThrottlingBurstLimit"]


def test_a_firewall_rate_rule_on_the_lookup_path_guards_the_api_stage(resources):
    acl = resources["LookupFirewall"]["Properties"]
    assert acl["Scope"] == "REGIONAL"
    (rule,) = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rule["Action"] == {"Block": {}}
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP"
    match = rate["ScopeDownStatement"]["ByteMatchStatement"]
    assert (match["FieldToMatch"], match["PositionalConstraint"], match["SearchString"]) == (
        {"UriPath": {}},
        "STARTS_WITH",
        "/api/dossiers/",
    )
    association = resources["LookupFirewallAssociation"]["Properties"]
    assert association["WebACLArn"] == {"Fn::GetAtt": ["LookupFirewall", "Arn"]}
    assert association["ResourceArn"]["Fn::Sub"].endswith(
        "/restapis/${RestAPI}/stages/${RestAPI.Stage}"
    )


def test_the_bucket_is_encrypted_versioned_private_tls_only_and_expires_leftovers(resources):
    bucket = resources["UploadsBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireQuarantine"]["Prefix"] == "quarantine/"
    assert rules["ExpireQuarantine"]["ExpirationInDays"] <= 2
    assert rules["ExpireNoncurrentVersions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert all(rule["Status"] == "Enabled" for rule in rules.values())
    (deny,) = resources["UploadsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Action"], deny["Principal"]) == ("Deny", "s3:*", "*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_table_has_point_in_time_recovery_and_expires_items_by_expires_at(resources):
    table = resources["DossiersTable"]["Properties"]
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert resources["DossiersTable"]["DeletionPolicy"] == "Retain"


def test_s3_invokes_the_scanner_function_for_every_object_created_in_quarantine(resources):
    bucket = resources["UploadsBucket"]
    (notification,) = bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Filter"] == {
        "S3Key": {"Rules": [{"Name": "prefix", "Value": "quarantine/"}]}
    }
    assert notification["Function"] == {"Fn::GetAtt": ["UploadScanner", "Arn"]}
    # S3 checks it may invoke the function when the notification is set: the permission first.
    assert "UploadScannerPermission" in bucket["DependsOn"]
    permission = resources["UploadScannerPermission"]["Properties"]
    assert (permission["Principal"], permission["Action"]) == (
        "s3.amazonaws.com",
        "lambda:InvokeFunction",
    )
    assert permission["FunctionName"] == {"Fn::GetAtt": ["UploadScanner", "Arn"]}
    bucket_name = bucket["Properties"]["BucketName"]["Fn::Sub"]
    assert permission["SourceArn"] == {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket_name}"}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_the_scanner_function_is_an_image_with_its_own_role_and_the_api_s_table_and_bucket(
    resources,
):
    scanner = resources["UploadScanner"]["Properties"]
    assert scanner["PackageType"] == "Image"
    assert scanner["Code"] == {"ImageUri": {"Ref": "ScannerImageUri"}}
    assert scanner["Role"] == {"Fn::GetAtt": ["ScannerRole", "Arn"]}
    role = resources["ScannerRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    assert set(statements) == {"Logs", "ReadQuarantine", "UploadsMissingIs404", "RecordVerdicts"}
    api = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    variables = scanner["Environment"]["Variables"]
    assert variables["MOTCUA_STORAGE"] == "aws"
    assert variables["MOTCUA_TABLE"] == {"Ref": "DossiersTable"}
    assert api["MOTCUA_TABLE"] == "motcua-prod-dossiers"  # the same table, by name
    bucket_name = resources["UploadsBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    assert variables["MOTCUA_BUCKET"] == {"Fn::Sub": bucket_name}
    assert api["MOTCUA_BUCKET"] == bucket_name.replace("${StageName}", "prod")
    assert "MOTCUA_CLAMD" not in variables  # the image's entrypoint starts its own clamd
    # clamd loads the whole signature database at a cold start: memory and time for it.
    assert scanner["MemorySize"] >= 2048 and scanner["Timeout"] >= 120
    retries = resources["UploadScannerInvokeConfig"]["Properties"]
    assert retries["FunctionName"] == {"Ref": "UploadScanner"}
    assert retries["MaximumRetryAttempts"] == 2
    log_group = resources["UploadScannerLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert log_group == f"/aws/lambda/{scanner['FunctionName']['Fn::Sub']}"
    logs = statements["Logs"]["Resource"]["Fn::Sub"]
    assert logs.endswith(f"log-group:{log_group}:*")
