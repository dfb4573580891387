"""schemathesis against the running server's own OpenAPI document: no server error, no response
that breaks the document."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a server on loopback

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_generated_requests_get_no_server_error_and_responses_match_the_document(server):
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.base}/api/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            "40",
            "--generation-deterministic",
            "--request-timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary
    assert " passed" in summary and "failed" not in summary.split("SUMMARY")[-1], summary
