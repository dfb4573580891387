"""The JSON Schemas are the contract: documented, exemplified, and the fast validator agrees with
jsonschema."""

import json
from pathlib import Path

import pytest

from buildlib.catalogue.load import load
from buildlib.catalogue.schemas import KINDS, SchemaSet
from buildlib.catalogue.yamlsource import load_file

from .conftest import ROOT

SCHEMAS = SchemaSet()
EXAMPLES = ROOT / "schemas" / "examples"


def _properties(node, where=""):
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{where}.{name}", sub
        for key, value in node.items():
            if key not in ("if", "then", "else", "not"):  # conditions, not declared properties
                yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _properties(value, f"{where}[{index}]")


@pytest.mark.parametrize("path", sorted((ROOT / "schemas").glob("*.schema.json")), ids=str)
def test_every_schema_property_has_a_description(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema.get("description")
    undocumented = [where for where, sub in _properties(schema) if not sub.get("description")]
    assert not undocumented


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_a_valid_example_that_validates(kind: str):
    data, problems = load_file(EXAMPLES / "valid" / f"{kind}.yaml", kind)
    assert not problems
    assert list(SCHEMAS.errors(kind, data)) == []


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_an_invalid_example_that_is_refused(kind: str):
    data, problems = load_file(EXAMPLES / "invalid" / f"{kind}.yaml", kind)
    assert not problems
    errors = list(SCHEMAS.errors(kind, data))
    assert errors
    assert all(message for _, message, _ in errors)


def _documents():
    catalogue = load(ROOT / "catalogue", workers=1)
    for doc in catalogue.documents:
        if doc.data is not None:
            yield doc.kind, doc.data, doc.rel
    for path in sorted(EXAMPLES.glob("*/*.yaml")):
        data, _ = load_file(path, str(path))
        yield path.stem, data, str(path)


@pytest.mark.slow
def test_the_fast_validator_agrees_with_jsonschema_on_every_document():
    """Every document of the seed catalogue (catalogue/) and every schema example."""
    for kind, data, rel in _documents():
        fast = SCHEMAS.is_valid(kind, data)
        full = not any(True for _ in SCHEMAS.full(kind).iter_errors(data))
        assert fast == full, rel
