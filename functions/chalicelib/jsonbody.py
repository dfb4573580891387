"""The one reader of JSON request bodies: what it accepts is what every route accepts.

Refused with a 400 (`ApiError`), never a 500: bytes that are not UTF-8, text that is not JSON,
`NaN`/`Infinity` and numbers too large for a float (Python's json takes them, JSON does not),
integers of more than 4,300 digits (Python refuses to convert them), nesting deeper than
MAX_DEPTH (a deep document exhausts the parser's recursion), and lone surrogates (`"\\ud800"`
parses to a str that cannot be encoded: storage, logs and responses would fail on it later).
"""

import json
import math
import re
from typing import Any

from .errors import ApiError, PayloadTooLargeError

# Deepest document a route needs: a submission's answers hold lists of objects (repeating
# groups), four levels under the top; the rest is headroom.
MAX_DEPTH = 16
NOT_JSON = "Nội dung yêu cầu không phải JSON hợp lệ."
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse(raw: bytes, max_bytes: int) -> Any:
    if len(raw) > max_bytes:
        raise PayloadTooLargeError()
    try:
        value = json.loads(
            raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise ApiError(NOT_JSON) from None
    # The walk only when it can find something: fewer brackets than MAX_DEPTH cannot nest deeper,
    # and valid UTF-8 holds no surrogate, so a lone one can only come from a \uD800-\uDFFF escape.
    brackets = raw.count(b"[") + raw.count(b"{")
    if brackets > MAX_DEPTH or SURROGATE_ESCAPE.search(raw):
        _check(value)
    return value


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} does not fit a float")
    return number


def _check(value: Any) -> None:
    """Depth and encodable strings, iteratively (a recursive walk would fail as the parser did)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _encodable(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise ApiError(f"{NOT_JSON} Dữ liệu lồng quá {MAX_DEPTH} cấp.")
            if isinstance(item, dict):
                for key, child in item.items():
                    _encodable(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(f"{NOT_JSON} Có ký tự không hợp lệ (\\ud800–\\udfff).") from None
