"""A backup's manifest.json: what the backup holds, and the size and SHA-256 of every file in it.

    {"format": 1, "target": "embedded" | "province", "created_at": "...+00:00",
     "secret_key": {"included": bool, "note": "..."},
     "database": [{"path": "database/motcua.sqlite3", "size": ..., "sha256": "..."}, ...],
     "objects": [{"path": "objects/accepted/...", "name": "accepted/...", "size": ...,
                  "sha256": "...", "content_type": ..., "metadata": {...}}, ...]}

Paths are relative to the backup directory. The manifest is written last, so a backup that
stopped halfway has none and a restore refuses it; `verify` reads every file back before a
restore writes anything.
"""

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from chalicelib.admin.errors import CorruptBackupError
from chalicelib.admin.progress import Progress

FORMAT = 1
NAME = "manifest.json"
CHUNK = 1024 * 1024
_SAFE_PATH = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the backup directory
    size: int
    sha256: str
    name: str | None = None  # an object's name in the upload store (objects only)
    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    target: str
    created_at: str
    secret_key_included: bool
    secret_key_note: str
    database: list[Entry]
    objects: list[Entry]
    format: int = FORMAT

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "target": self.target,
            "created_at": self.created_at,
            "secret_key": {"included": self.secret_key_included, "note": self.secret_key_note},
            "database": [_entry_json(entry) for entry in self.database],
            "objects": [_entry_json(entry) for entry in self.objects],
        }


class HashingWriter:
    """A file being written, counting its bytes and their SHA-256 on the way."""

    def __init__(self, target: BinaryIO):
        self._target = target
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        return self._target.write(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def describe(directory: Path, path: str) -> Entry:
    """The entry of a file already written under `directory`."""
    with (directory / path).open("rb") as source:
        digest = hashlib.file_digest(source, "sha256").hexdigest()
    return Entry(path, (directory / path).stat().st_size, digest)


def write(directory: Path, manifest: Manifest) -> None:
    """Atomically, last: its presence says the backup is complete."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".manifest-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(manifest.as_json(), out, ensure_ascii=False, indent=1)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, directory / NAME)
    finally:
        Path(name).unlink(missing_ok=True)


def read(directory: Path) -> Manifest:
    path = directory / NAME
    if not path.is_file():
        raise CorruptBackupError(
            f"{directory} không có {NAME}: không phải bản sao lưu, hoặc bản sao lưu chưa hoàn tất."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["format"] != FORMAT:
            raise CorruptBackupError(
                f"{NAME}: định dạng {data['format']!r}, phiên bản này chỉ đọc định dạng {FORMAT}."
            )
        return Manifest(
            target=str(data["target"]),
            created_at=str(data["created_at"]),
            secret_key_included=bool(data["secret_key"]["included"]),
            secret_key_note=str(data["secret_key"]["note"]),
            database=[_entry(item) for item in data["database"]],
            objects=[_entry(item) for item in data["objects"]],
        )
    except (ValueError, KeyError, TypeError) as error:
        raise CorruptBackupError(f"{NAME} hỏng hoặc không đúng định dạng: {error}") from error


def verify(directory: Path, manifest: Manifest) -> list[str]:
    """Every file of the manifest read back: the problems found (none: the backup is whole)."""
    problems = []
    entries = manifest.database + manifest.objects
    progress = Progress("Đã kiểm tra tổng kiểm (SHA-256)", len(entries))
    for entry in entries:
        path = directory / entry.path
        try:
            with path.open("rb") as source:
                digest = hashlib.file_digest(source, "sha256").hexdigest()
            size = path.stat().st_size
        except FileNotFoundError:
            problems.append(f"{entry.path}: thiếu tệp")
        else:
            if size != entry.size or digest != entry.sha256:
                problems.append(f"{entry.path}: kích thước hoặc SHA-256 không khớp với {NAME}")
        progress.step()
    progress.finish()
    return problems


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {key: value for key, value in asdict(entry).items() if value not in (None, {})}


def _entry(item: dict[str, Any]) -> Entry:
    path = str(item["path"])
    if ".." in path or not _SAFE_PATH.fullmatch(path):  # never a path outside the backup
        raise ValueError(f"đường dẫn không hợp lệ: {path!r}")
    return Entry(
        path=path,
        size=int(item["size"]),
        sha256=str(item["sha256"]),
        name=item.get("name"),
        content_type=item.get("content_type"),
        metadata={str(k): str(v) for k, v in item.get("metadata", {}).items()},
    )
