"""Uploads in a local directory: the embedded adapter, a stand-in for S3 on one machine.

The browser never writes here directly: it POSTs to LocalUploadEndpoint (local/upload.py) with
fields this module signed, just as it POSTs to S3 with a presigned policy. So the page and the
domain code are the same for both adapters; only the URL and the signed fields differ.

    root/tmp/         files still arriving (deleted if the request fails)
    root/quarantine/  complete files not yet verified (size, magic bytes)
    root/accepted/    verified files a submission may reference
"""

import hashlib
import hmac
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from chalicelib.errors import ApiError, NotFoundError
from chalicelib.storage.ports import UploadTarget

# A signed form is a bearer token for writing one object: keep its life short.
MAX_EXPIRES_IN = 300
MAX_KEY_LENGTH = 512
KEY_PATTERN = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")
CONTENT_TYPE_PATTERN = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+")
SIGNED_FIELDS = ("key", "content_type", "max_bytes", "expires", "signature")


class UploadForbiddenError(ApiError):
    status, code = 403, "upload_forbidden"
    message = "Biểu mẫu tải tệp không hợp lệ hoặc đã hết hạn. Vui lòng tải lại trang và thử lại."


@dataclass(frozen=True)
class Grant:
    """What a verified signed form allows: one key, one content type, at most max_bytes."""

    key: str
    content_type: str
    max_bytes: int


def check_key(key: str) -> str:
    """Returns `key` if it is a safe relative object key, else ValueError (the API's 400).

    Shared with the S3 adapter so both accept exactly the same keys.
    """
    if len(key) > MAX_KEY_LENGTH or ".." in key or not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"invalid upload key: {key!r}")
    return key


def check_target(content_type: str, max_bytes: int, expires_in: int) -> int:
    """Validates a target request and returns its lifetime, clamped to MAX_EXPIRES_IN seconds."""
    if not CONTENT_TYPE_PATTERN.fullmatch(content_type):
        raise ValueError(f"invalid content type: {content_type!r}")
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be at least 1, not {max_bytes}")
    if expires_in < 1:
        raise ValueError(f"expires_in must be at least 1, not {expires_in}")
    return min(expires_in, MAX_EXPIRES_IN)


def iso_utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


class FilesystemUploads:
    """`Uploads` in a directory, with HMAC-signed upload forms served by LocalUploadEndpoint."""

    def __init__(
        self,
        root: Path,
        *,
        secret: bytes,
        base_url: str,
        clock: Callable[[], float] = time.time,
    ):
        if len(secret) < 16:
            raise ValueError("the upload signing secret must be at least 16 bytes")
        self.root = Path(root)
        self.clock = clock
        self._secret = secret
        self._url = f"{base_url.rstrip('/')}/api/uploads/local"
        for folder in ("tmp", "quarantine", "accepted"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    def target(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> UploadTarget:
        lifetime = check_target(content_type, max_bytes, expires_in)
        expires = int(self.clock()) + lifetime
        fields = {
            "key": check_key(key),
            "content_type": content_type,
            "max_bytes": str(max_bytes),
            "expires": str(expires),
        }
        fields["signature"] = self._sign(fields)
        return UploadTarget(url=self._url, fields=fields, key=key, expires_at=iso_utc(expires))

    def verify(self, fields: dict[str, str]) -> Grant:
        """The grant a posted form carries, or UploadForbiddenError if it was altered or expired."""
        if not hmac.compare_digest(self._sign(fields).encode(), fields["signature"].encode()):
            raise UploadForbiddenError()
        if self.clock() > int(fields["expires"]):
            raise UploadForbiddenError("Biểu mẫu tải tệp đã hết hạn. Vui lòng tải lại trang.")
        return Grant(fields["key"], fields["content_type"], int(fields["max_bytes"]))

    @contextmanager
    def incoming(self, key: str) -> Iterator[BinaryIO]:
        """A file in tmp/ that becomes quarantine/<key> only if the block finishes.

        The rename is atomic, so a reader never sees half a file under quarantine/.
        """
        target = self._path("quarantine", key)
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)

    def size(self, key: str) -> int | None:
        try:
            return self._path("quarantine", key).stat().st_size
        except FileNotFoundError:
            return None

    def head_bytes(self, key: str, count: int) -> bytes:
        try:
            with self._path("quarantine", key).open("rb") as source:
                return source.read(max(count, 0))
        except FileNotFoundError:
            raise NotFoundError() from None

    def accept(self, key: str) -> None:
        accepted = self._path("accepted", key)
        accepted.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(self._path("quarantine", key), accepted)
        except FileNotFoundError:
            if not accepted.is_file():
                raise NotFoundError() from None

    def is_accepted(self, key: str) -> bool:
        return self._path("accepted", key).is_file()

    def reject(self, key: str) -> None:
        self._path("quarantine", key).unlink(missing_ok=True)

    def _path(self, area: str, key: str) -> Path:
        return self.root / area / check_key(key)

    def _sign(self, fields: dict[str, str]) -> str:
        # key has no "|" and the last two are digits, so the joined string is unambiguous.
        canonical = "|".join(fields[name] for name in SIGNED_FIELDS[:-1])
        return hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()
