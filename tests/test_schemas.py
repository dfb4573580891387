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


# Values put in place of one value of a valid example: types, formats and patterns the two
# validators could read differently.
ODD_VALUES = [
    "",
    "x",
    "2026-02-30",
    "2026-01-01\n",
    "20260101",
    "KQ.G15.000035",
    "KQ.G15.000035\n",
    "1.004837",
    "1.004837\n",
    "ho-tich",
    "ho-tich\n",
    "Ho-Tich",
    "https://x",
    "\u0661\u0662",
    0,
    1,
    -1,
    1.0,
    1.5,
    10**20,
    True,
    False,
    None,
    [],
    {},
    ["x"],
    {"x": 1},
]


def _places(node, path=()):
    yield path
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        yield from _places(child, (*path, key))


def _replaced(node, path, value):
    if not path:
        return value
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _replaced(node[path[0]], path[1:], value)
    return copy


@pytest.mark.parametrize("kind", KINDS)
def test_the_fast_validator_never_accepts_a_changed_example_that_jsonschema_refuses(kind: str):
    data, _ = load_file(EXAMPLES / "valid" / f"{kind}.yaml", kind)
    checked = 0
    for place in list(_places(data))[1:]:
        for value in ODD_VALUES:
            changed = _replaced(data, place, value)
            full = not any(True for _ in SCHEMAS.full(kind).iter_errors(changed))
            fast = SCHEMAS.is_valid(kind, changed)
            # jsonschema's patterns are Python's: "$" matches before a final line break too.
            # The fast validator refusing such a text only sends it to jsonschema.
            stricter = not fast and isinstance(value, str) and value.endswith("\n")
            assert fast == full or stricter, (place, value)
            checked += 1
    assert checked > 100
