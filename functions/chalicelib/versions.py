"""Which version of a procedure is in force on a date, and which one its page shows.

The one home of the rule: the site build (stable pages, browse pages, search, open data,
application pages), the API bundle and the API itself use these functions. A version is in force
from its `effective_from` (included) to its `effective_to` (excluded, absent while open-ended);
dates are ISO strings, so they compare as text. The browser's as-of-date picker
(theme/assets/tthc.js) picks the first span that contains the date, as `in_force_index` does;
tests/test_versions_js.py runs both on generated cases and requires the same answer.

A version's page shows the version in force; when none is (before the first version, or
between two), the next one to come; after the last one has ended, the last one, marked ended.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

Version = TypeVar("Version", bound=Mapping[str, Any])
Span = tuple[str, str | None]  # [effective_from, effective_to)
State = Literal["past", "current", "future"]


def span(version: Mapping[str, Any]) -> Span:
    end = version.get("effective_to")
    return str(version["effective_from"]), None if end is None else str(end)


def in_force(start: str, end: str | None, on: str) -> bool:
    return start <= on and (end is None or on < end)


def state(start: str, end: str | None, on: str) -> State:
    """Where `on` falls relative to the span [start, end)."""
    if start > on:
        return "future"
    if end is not None and end <= on:
        return "past"
    return "current"


def in_force_index(spans: Sequence[Span], on: str) -> int | None:
    """The first version whose span contains `on`, else None."""
    return next((i for i, (start, end) in enumerate(spans) if in_force(start, end, on)), None)


def shown_index(spans: Sequence[Span], on: str) -> int:
    """The version a procedure's page shows on `on` (spans oldest first, at least one)."""
    found = in_force_index(spans, on)
    if found is not None:
        return found
    return next((i for i, (start, _) in enumerate(spans) if start > on), len(spans) - 1)


def version_in_force(versions: Sequence[Version], on: str) -> Version | None:
    """The version in force on `on`, else None. Versions without a start (a draft that failed
    validation) are never in force."""
    for version in versions:
        if version.get("effective_from") is not None and in_force(*span(version), on):
            return version
    return None


def shown_version(versions: Sequence[Version], on: str) -> Version:
    """The version a procedure's page shows on `on` (versions oldest first, at least one)."""
    return versions[shown_index([span(v) for v in versions], on)]


def state_of(version: Mapping[str, Any], on: str) -> State:
    return state(*span(version), on)


def has_ended(versions: Sequence[Version], on: str) -> bool:
    """Whether the procedure has ended by `on`: its last version's span is over."""
    return state_of(versions[-1], on) == "past"
