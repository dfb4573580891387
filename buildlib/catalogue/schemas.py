"""The JSON Schemas in schemas/, compiled twice: a fast validator to accept valid documents and
jsonschema to list every error of an invalid one with its path.

jsonschema-rs (Rust) says whether a document is valid ~15x faster than fastjsonschema's generated
Python did (~0.17 instead of ~2.6 CPU s for the 13,700 files of 10,000 procedures); jsonschema
(draft 2020-12, pure Python) is the reference and words the errors. Where the two could differ,
jsonschema-rs is the stricter (its patterns' "$" does not match before a final line break, as
Python's does; it refuses what JSON cannot hold), so a document it refuses and jsonschema accepts
is only slower. Tests keep the two in agreement on the examples, the seed catalogue and generated
documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from buildlib import paths

if TYPE_CHECKING:  # imported when a document is invalid (`full`): ~0.045 s of every build
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

SCHEMA_DIR = paths.SCHEMAS
BASE_URI = "https://motcua.example/schemas/"
KINDS = ("procedure", "form", "agency", "field", "life-event", "units", "calendar")


class SchemaSet:
    """All schemas of one schemas/ folder, by kind (procedure, form, agency, ...)."""

    def __init__(self, folder: Path = SCHEMA_DIR):
        self.folder = folder
        self.documents: dict[str, dict] = {}
        for path in sorted(folder.glob("*.schema.json")):
            schema = json.loads(path.read_text(encoding="utf-8"))
            self.documents[schema["$id"]] = schema
        self.by_kind = {
            kind: self.documents[BASE_URI + f"{kind}.schema.json"]
            for kind in KINDS
            if BASE_URI + f"{kind}.schema.json" in self.documents
        }
        self._fast: dict[str, Any] = {}
        self._full: dict[str, Draft202012Validator] = {}

    @cached_property
    def registry(self) -> Registry:
        from referencing import Registry, Resource

        return Registry().with_resources(
            (uri, Resource.from_contents(schema)) for uri, schema in self.documents.items()
        )

    def fast(self, kind: str) -> Any:
        if kind not in self._fast:
            registry = jsonschema_rs.Registry(list(self.documents.items()))
            self._fast[kind] = jsonschema_rs.validator_for(
                self.by_kind[kind], registry=registry, validate_formats=True
            )
        return self._fast[kind]

    def full(self, kind: str) -> Draft202012Validator:
        """jsonschema's validator, which words every error (only an invalid document needs it)."""
        from jsonschema import Draft202012Validator, FormatChecker

        if kind not in self._full:
            self._full[kind] = Draft202012Validator(
                self.by_kind[kind], registry=self.registry, format_checker=FormatChecker()
            )
        return self._full[kind]

    def is_valid(self, kind: str, data: Any) -> bool:
        try:
            return bool(self.fast(kind).is_valid(data))
        except ValueError:  # not JSON (a lone surrogate, a non-string key): jsonschema decides
            return False

    def errors(self, kind: str, data: Any) -> Iterator[tuple[tuple, str, bool]]:
        """Every error as (field path, Vietnamese message, points-at-key); empty when valid."""
        if self.is_valid(kind, data):
            return
        seen: set[tuple] = set()
        for error in _leaves(self.full(kind).iter_errors(data)):
            for item in _describe(error):
                if item not in seen:  # `required` reports the whole list once per missing name
                    seen.add(item)
                    yield item


def _leaves(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    """For anyOf/oneOf, report the most specific sub-error instead of 'is not valid under any'."""
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context:
            deepest = max(len(e.absolute_path) for e in error.context)
            candidates = [e for e in error.context if len(e.absolute_path) == deepest]
            if deepest > len(error.absolute_path):
                yield from _leaves(iter(candidates[:1]))
                continue
        yield error


def _describe(error: ValidationError) -> Iterator[tuple[tuple, str, bool]]:
    path = tuple(error.absolute_path)
    validator, value = error.validator, error.validator_value
    instance = error.instance
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                hint = _closest(key, allowed)
                extra = f"; có phải '{hint}'?" if hint else ""
                yield (*path, key), f"trường không có trong lược đồ{extra}", True
        return
    if validator == "required":
        missing = [name for name in value if isinstance(instance, dict) and name not in instance]
        for name in missing:
            yield (*path, name), f"thiếu trường bắt buộc '{name}'", False
        return
    yield path, _MESSAGES.get(validator, _generic)(error), False


def _closest(key: str, allowed: set[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.75)
    return match[0] if match else None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _generic(error: ValidationError) -> str:
    return f"giá trị {_short(error.instance)} không hợp lệ ({error.validator})"


_TYPES = {
    "string": "chuỗi",
    "integer": "số nguyên",
    "number": "số",
    "boolean": "true/false",
    "array": "danh sách",
    "object": "bảng (khóa: giá trị)",
    "null": "rỗng",
}


def _type_message(error: ValidationError) -> str:
    wanted = error.validator_value
    names = [str(_TYPES.get(t, t)) for t in (wanted if isinstance(wanted, list) else [wanted])]
    return f"phải là {' hoặc '.join(names)}, đang là {_short(error.instance)}"


def _alternatives(error: ValidationError) -> str:
    """'phải là số nguyên hoặc "unpublished"' for anyOf of simple types and constants."""
    wanted: list[str] = []
    for sub in error.context or []:
        if sub.validator == "type":
            wanted.append(_TYPES.get(sub.validator_value, str(sub.validator_value)))
        elif sub.validator == "const":
            wanted.append(_short(sub.validator_value))
        elif sub.validator in ("pattern", "format"):
            wanted.append("chuỗi đúng định dạng")
    if wanted:
        return f"phải là {' hoặc '.join(dict.fromkeys(wanted))}, đang là {_short(error.instance)}"
    return f"giá trị {_short(error.instance)} không hợp lệ"


_MESSAGES = {
    "type": _type_message,
    "enum": lambda e: (
        f"giá trị {_short(e.instance)} không nằm trong: {', '.join(map(str, e.validator_value))}"
    ),
    "const": lambda e: f"phải là {_short(e.validator_value)}",
    "pattern": lambda e: f"giá trị {_short(e.instance)} sai định dạng",
    "format": lambda e: f"giá trị {_short(e.instance)} không phải {e.validator_value} hợp lệ",
    "minimum": lambda e: f"phải lớn hơn hoặc bằng {e.validator_value}",
    "maximum": lambda e: f"phải nhỏ hơn hoặc bằng {e.validator_value}",
    "minItems": lambda e: f"cần ít nhất {e.validator_value} mục",
    "maxItems": lambda e: f"nhiều nhất {e.validator_value} mục",
    "minLength": lambda e: "không được để trống" if e.validator_value == 1 else "quá ngắn",
    "maxLength": lambda e: f"dài quá {e.validator_value} ký tự",
    "uniqueItems": lambda e: "các mục trong danh sách bị trùng",
    "not": lambda e: "trường này không dùng được ở đây",
    "anyOf": lambda e: _alternatives(e),
    "oneOf": lambda e: _alternatives(e),
}
