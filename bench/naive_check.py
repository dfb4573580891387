"""The stock way to validate a YAML catalogue, as a baseline for `build.py check`.

For every YAML file: read it with PyYAML's pure-Python SafeLoader, turn dates into ISO strings
and validate it with jsonschema's Draft202012Validator (all schemas in schemas/ in one
`referencing.Registry`, formats checked). No strict loading, no cross-checks, one process.

python bench/naive_check.py CATALOGUE_DIR
"""

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
BASE_URI = "https://motcua.example/schemas/"
FOLDERS = {
    "procedures": "procedure",
    "forms": "form",
    "agencies": "agency",
    "life-events": "life-event",
    "units": "units",
    "calendar": "calendar",
}


def validators() -> dict[str, Draft202012Validator]:
    """One validator per kind, sharing a registry of every schema."""
    schemas = [json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.schema.json")]
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    by_id = {schema["$id"]: schema for schema in schemas}
    kinds = {*FOLDERS.values(), "field"}
    return {
        kind: Draft202012Validator(
            by_id[f"{BASE_URI}{kind}.schema.json"],
            registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        for kind in kinds
    }


def kind_of(path: Path, catalogue: Path) -> str | None:
    parts = path.relative_to(catalogue).parts
    if parts == ("fields.yaml",):
        return "field"
    return FOLDERS.get(parts[0]) if len(parts) > 1 else None


def iso_dates(value: Any) -> Any:
    """YAML dates become the ISO strings the schemas expect."""
    if isinstance(value, dict):
        return {key: iso_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [iso_dates(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    catalogue = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "catalogue"
    checkers = validators()
    files = errors = 0
    for path in sorted(catalogue.rglob("*.yaml")):
        kind = kind_of(path, catalogue)
        if kind is None:
            continue
        files += 1
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            errors += 1
            print(f"{path}: {error}")
            continue
        for error in checkers[kind].iter_errors(iso_dates(data)):
            errors += 1
            print(f"{path}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
    print(f"naive_check: {errors} errors in {files} files")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
