"""A problem found in the catalogue, with its place in the source, as editors and CI read it."""

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # file path relative to the repository root, as an editor opens it
    line: int  # 1-based
    column: int  # 1-based
    field: str  # dotted field path inside the document, e.g. channels[0].fees.status
    message: str
    severity: Severity = "error"

    def text(self) -> str:
        prefix = "" if self.severity == "error" else "cảnh báo: "
        place = f"{self.path}:{self.line}:{self.column}"
        return f"{place}: {self.field or '(tệp)'}: {prefix}{self.message}"

    def fields(self) -> tuple[str, int, int, str, str, Severity]:
        """The fields in order, as marshal can keep them: Problem(*fields) is the same problem."""
        return (self.path, self.line, self.column, self.field, self.message, self.severity)

    def github(self) -> str:
        """A GitHub Actions workflow command, shown as an annotation on the pull request."""
        kind = "error" if self.severity == "error" else "warning"
        message = _escape_data(f"{self.field or '(tệp)'}: {self.message}")
        file = _escape_property(self.path)
        return f"::{kind} file={file},line={self.line},col={self.column}::{message}"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def field_path(parts: tuple) -> str:
    """('channels', 0, 'fees') -> 'channels[0].fees'."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
