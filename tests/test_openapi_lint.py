"""The API's OpenAPI document under Redocly's recommended rules (Redocly CLI, pinned in
package.json): no error and no warning. Shown a document without servers and with an operation
that states no security, Redocly must fail, so a lint that checks nothing cannot pass."""

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest

from chalicelib import openapi

from .conftest import ROOT

pytestmark = [pytest.mark.node, pytest.mark.slow]

REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"
QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}


def lint(document: dict, folder: Path) -> tuple[int, dict]:
    path = folder / "openapi.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [str(REDOCLY), "lint", "--extends=recommended", "--format=json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **QUIET},
    )
    return result.returncode, json.loads(result.stdout[result.stdout.index("{") :])


def test_the_openapi_document_passes_redoclys_recommended_rules(tmp_path: Path) -> None:
    code, report = lint(openapi.document(), tmp_path)
    problems = [(p["ruleId"], p["message"]) for p in report["problems"]]
    assert (code, problems) == (0, [])


def test_redocly_fails_a_document_without_servers_or_security(tmp_path: Path) -> None:
    broken = copy.deepcopy(openapi.document())
    del broken["servers"]
    del broken["paths"]["/api/submissions"]["post"]["security"]
    code, report = lint(broken, tmp_path)
    rules = {p["ruleId"] for p in report["problems"] if p["severity"] == "error"}
    assert code != 0 and {"no-empty-servers", "security-defined"} <= rules


def test_every_operation_has_an_id_a_security_and_its_415() -> None:
    for path, item in openapi.document()["paths"].items():
        for method, operation in item.items():
            assert operation["operationId"] and "security" in operation, (path, method)
            if path != "/api/uploads/local":
                assert "415" in operation["responses"], (path, method)
            if openapi.LOOKUP_SECRET in operation.get("parameters", []):
                assert operation["security"] == [{"lookupSecret": []}], (path, method)
