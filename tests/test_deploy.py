"""`chalice package` produces a deployable SAM/CloudFormation template that passes cfn-lint, with
the table and bucket the adapters use and the per-stage settings."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from buildlib.bundle import DEFAULT_OUT, bundle_command

from .conftest import ROOT

BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_the_packaged_template_passes_cfn_lint(tmp_path: Path):
    # The bundle goes where `chalice package` takes it from (DEFAULT_OUT), so it is the seed
    # catalogue's: what a deployment ships, never the fixture catalogue.
    assert bundle_command(ROOT / "catalogue", DEFAULT_OUT, out=io.StringIO()) == 0
    env = {**os.environ, "AWS_DEFAULT_REGION": "ap-southeast-1"}
    out = tmp_path / "package"
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
        cwd=ROOT / "functions",
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    lint = subprocess.run(
        [str(BIN / "cfn-lint"), str(out / "sam.json")], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    template = json.loads((out / "sam.json").read_text())
    resources = template["Resources"]
    assert {"DossiersTable", "UploadsBucket", "APIHandler", "RestAPI"} <= set(resources)
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["MOTCUA_STORAGE"] == "aws"
    assert variables["MOTCUA_TABLE"] == "motcua-prod-dossiers"
