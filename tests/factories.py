"""Test data as plain keyword-only functions: a valid document, with what a test cares about
said at the call site."""

import datetime as dt
from pathlib import Path

import yaml

EXAMPLES = Path(__file__).resolve().parent.parent / "schemas" / "examples" / "valid"


def make_procedure(*, code: str = "1.000001", **overrides: object) -> dict:
    """A valid procedure version (schemas/examples/valid/procedure.yaml: a guardianship
    registration at commune level, fees charged in person) as the loader gives it, dates as ISO
    strings; `overrides` replace top-level keys."""
    data = yaml.safe_load((EXAMPLES / "procedure.yaml").read_text(encoding="utf-8"))
    data = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
    return {**data, "code": code, **overrides}
