"""schemathesis against the running server's own OpenAPI document: no server error, no response
that breaks the document; the officers' routes signed in (session cookie and CSRF header)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.dossiers import FailureLimiter
from chalicelib.storage.lookups_sqlite import SqliteLookupFailures
from chalicelib.wiring import default_service

from .client import file, officer

pytestmark = pytest.mark.slow  # a server on loopback

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def schemathesis(server, signed_in, *selection: str) -> str:
    """Runs schemathesis on the server's document as `signed_in`; its output's summary."""
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.base}/api/openapi.json",
            "--header",
            f"Cookie: {signed_in.cookie}",
            "--header",
            f"X-CSRF-Token: {signed_in.csrf}",
            *selection,
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
    cases = summary.split("SUMMARY")[-1]
    assert re.search(r"\d+ passed", cases) and not re.search(r"\d+ (unique )?fail", cases), summary
    return summary


def test_generated_requests_get_no_server_error_and_responses_match_the_document(
    server, monkeypatch, tmp_path
):
    # Its wrong lookup secrets are counted apart, so later tests of this server are not limited.
    apart = SqliteLookupFailures(tmp_path / "lookup-failures.sqlite3")
    monkeypatch.setattr(default_service(), "limiter", FailureLimiter(apart, secret_key=b"k" * 32))
    applicant = file(server)  # so that the officer's queue has something in it
    roles = {"mot_cua", "chuyen_vien", "lanh_dao"}
    signed_in = officer(server, roles=roles, offices={applicant.office})
    # Logout last, on its own: it ends the session the other routes are tested in (and then
    # answers 401, which schemathesis warns about).
    schemathesis(server, signed_in, "--exclude-path", "/api/office/logout")
    schemathesis(server, signed_in, "--include-path", "/api/office/logout")
