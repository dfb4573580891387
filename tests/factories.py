"""Test data as plain keyword-only functions: a valid document, with what a test cares about
said at the call site."""

import datetime as dt
from pathlib import Path

import yaml

from chalicelib.bundle import Bundle
from chalicelib.dossiers import FailureLimiter, Service
from chalicelib.storage.files import FilesystemUploads
from chalicelib.storage.lookups_sqlite import SqliteLookupFailures
from chalicelib.storage.sqlite import SqliteDossiers

SECRET_KEY = b"k" * 32  # the tests' key for lookup secrets and officers' sessions
EXAMPLES = Path(__file__).resolve().parent.parent / "schemas" / "examples" / "valid"


def make_procedure(*, code: str = "1.000001", **overrides: object) -> dict:
    """A valid procedure version (schemas/examples/valid/procedure.yaml: a guardianship
    registration at commune level, fees charged in person) as the loader gives it, dates as ISO
    strings; `overrides` replace top-level keys."""
    data = yaml.safe_load((EXAMPLES / "procedure.yaml").read_text(encoding="utf-8"))
    data = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
    return {**data, "code": code, **overrides}


def make_service(
    folder: Path, bundle: Bundle, *, dossiers=None, uploads=None, **options
) -> Service:
    """The embedded Service over `folder`, with the tests' keys: dossiers in SQLite (or
    `dossiers`), uploads in files (or `uploads`), lookup failures in SQLite; `options` go to
    Service as they are (clock, scanner, registrations, public_url...)."""
    options.setdefault("public_url", "http://127.0.0.1")
    return Service(
        bundle,
        dossiers or SqliteDossiers(folder / "motcua.sqlite3"),
        uploads
        or FilesystemUploads(folder / "uploads", secret=b"s" * 32, base_url="http://127.0.0.1"),
        secret_key=SECRET_KEY,
        limiter=FailureLimiter(
            SqliteLookupFailures(folder / "lookup-failures.sqlite3"), secret_key=SECRET_KEY
        ),
        **options,
    )
