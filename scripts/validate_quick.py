"""Temporary helper for data authors until `build.py check` exists: validates files against a schema.

usage: python scripts/validate_quick.py SCHEMA_NAME FILE...   (SCHEMA_NAME e.g. procedure, form, agency)
"""

import json
import sys
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parent.parent / "schemas"


def _registry() -> Registry:
    resources = []
    for path in ROOT.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def main(argv: list[str]) -> int:
    name, files = argv[0], argv[1:]
    schema = json.loads((ROOT / f"{name}.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())
    bad = 0
    for file in files:
        data = _jsonable(yaml.safe_load(Path(file).read_text(encoding="utf-8")))
        for error in validator.iter_errors(data):
            bad += 1
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"{file}: {where}: {error.message[:300]}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
