"""schemathesis with every check against the running server's own OpenAPI document: no server
error, no response that breaks the document, schema-violating requests refused, the Allow header
on a 405, requests without the session refused; the officers' routes signed in through the
document's security schemes (the session cookie and the CSRF header), so that schemathesis knows
what the credentials are and can leave them out on purpose."""

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

# A request can fit the document and still be refused with 422: rules the schema cannot say
# (a form's fields differ per procedure, the upload slots per form, an action's data per action,
# an unknown procedure or office). Everything else a valid request gets (400, 405, 415...) fails.
CONFIG = """
[auth.openapi.officerSession]
api_key = "{session}"

[auth.openapi.csrfToken]
api_key = "{csrf}"

[checks.positive_data_acceptance]
expected-statuses = ["2XX", "3XX", 401, 403, 404, 409, 422, 429]
"""
# The local upload form's `file` part must come last (its signed fields are checked before the
# file streams to disk, as S3 does): JSON Schema cannot order a form's parts, so a generated form
# may be refused with 400 there (and only there: it is tested on its own).
LOCAL_UPLOAD = "/api/uploads/local"


def schemathesis(server, config: Path, *selection: str) -> str:
    """Runs schemathesis on the server's document with `config` (its credentials); the summary."""
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{server.base}/api/openapi.json",
            *selection,
            "--checks",
            "all",
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
    assert result.returncode == 0, result.stdout.split("= FAILURES =")[-1][:30000]
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
    config = tmp_path / "schemathesis.toml"
    session = signed_in.cookie.split("=", 1)[1]
    config.write_text(CONFIG.format(session=session, csrf=signed_in.csrf), encoding="utf-8")
    schemathesis(
        server, config, "--exclude-path", "/api/office/logout", "--exclude-path", LOCAL_UPLOAD
    )
    local = tmp_path / "schemathesis-local-upload.toml"
    statuses = 'expected-statuses = ["2XX", "3XX",'
    text = config.read_text(encoding="utf-8")
    assert statuses in text
    local.write_text(text.replace(statuses, statuses + " 400,"), encoding="utf-8")
    schemathesis(server, local, "--include-path", LOCAL_UPLOAD)
    # Logout last, on its own: it ends the session the other routes are tested in (and then
    # answers 401, which schemathesis warns about).
    schemathesis(server, config, "--include-path", "/api/office/logout")
