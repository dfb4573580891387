"""Uploads in a local directory: the embedded adapter, a stand-in for S3 on one machine.

The browser never writes here directly: it POSTs to LocalUploadEndpoint (local/upload.py) with
fields this module signed, just as it POSTs to S3 with a presigned policy. So the page and the
domain code are the same for both adapters; only the URL and the signed fields differ.

    root/tmp/         files still arriving (deleted if the request fails)
    root/quarantine/  complete files not yet verified (size, structure, malware scan)
    root/accepted/    verified files a submission may reference
    root/digests/     the SHA-256 of each accepted file, computed once when it is accepted

Officers download accepted files through links signed the same way (`download_url`), served by
the same endpoint on GET, as S3 serves a presigned GET.

For the admin command (`UploadStore`), the objects are the files of quarantine/, accepted/ and
digests/, named by their path under root/; tmp/ holds only files still arriving.

Sealed at rest (chalicelib/sealing.py, when a Sealer is given: wiring always gives one): every
file under quarantine/ and accepted/ is written sealed as it arrives (AES-GCM in 64 KiB segments,
bound to its key) and opened as it is read; `size`, `describe` and downloads give the plain size
and digest. Backups and restores copy the sealed bytes as they are. Files written before sealing
(no sealed header) are read as they are.
"""

import hashlib
import hmac
import mimetypes
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import quote, urlencode

from chalicelib.errors import ApiError, NotFoundError, StorageError, UploadChangedError
from chalicelib.sealing import MAGIC, Sealer, plain_size
from chalicelib.storage.ports import StoredObject, UploadTarget

# A signed form is a bearer token for writing one object: keep its life short.
MAX_EXPIRES_IN = 300
MAX_KEY_LENGTH = 512
KEY_PATTERN = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")
CONTENT_TYPE_PATTERN = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+")
SIGNED_FIELDS = ("key", "content_type", "max_bytes", "expires", "signature")
DOWNLOAD_FIELDS = ("key", "filename", "expires", "signature")
MAX_FILENAME = 150
CHUNK = 1024 * 1024
STORED_AREAS = ("quarantine", "accepted", "digests")  # tmp/ holds only files still arriving


class UploadForbiddenError(ApiError):
    status, code = 403, "upload_forbidden"
    message = "Biểu mẫu tải tệp không hợp lệ hoặc đã hết hạn. Vui lòng tải lại trang và thử lại."


class DownloadForbiddenError(ApiError):
    status, code = 403, "download_forbidden"
    message = (
        "Liên kết tải tệp không hợp lệ hoặc đã hết hạn. Vui lòng mở lại hồ sơ để lấy liên kết mới."
    )


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


@dataclass(frozen=True)
class Download:
    """What a verified download link serves."""

    path: Path
    filename: str
    content_type: str
    size: int  # of the plain content
    key: str = ""
    sealer: Sealer | None = None

    def open(self) -> BinaryIO:
        """The plain content, opened (the caller closes it)."""
        return _open_plain(self.path, self.sealer, self.key)


def download_lifetime(expires_in: int) -> int:
    """A download link's lifetime in seconds, clamped to MAX_EXPIRES_IN like an upload form's."""
    if expires_in < 1:
        raise ValueError(f"expires_in must be at least 1, not {expires_in}")
    return min(expires_in, MAX_EXPIRES_IN)


def safe_filename(name: str) -> str:
    """A file name to offer the browser: no folders, no control characters or quotes."""
    base = re.split(r"[/\\]", name)[-1]
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C" and c not in '"')
    return cleaned.strip(" .")[:MAX_FILENAME] or "tep"


def attachment(filename: str) -> str:
    """Content-Disposition for a download (RFC 6266): the name in UTF-8 for browsers that read
    `filename*`, an ASCII stand-in without diacritics for the rest."""
    name = safe_filename(filename)
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", "".join(c for c in plain if c.isascii()))
    return f"attachment; filename=\"{plain or 'tep'}\"; filename*=UTF-8''{quote(name, safe='')}"


def content_type_of(key: str) -> str:
    """The content type of a stored file from its key's extension (keys end in .pdf, .jpg,
    .png: forms.FILE_TYPES)."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


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
        sealer: Sealer | None = None,
    ):
        if len(secret) < 16:
            raise ValueError("the upload signing secret must be at least 16 bytes")
        self.root = Path(root)
        self.clock = clock
        self._sealer = sealer
        self._secret = secret
        self._url = f"{base_url.rstrip('/')}/api/uploads/local"
        # Its own key, so an upload form's signature is never a valid download link.
        self._download_secret = hmac.digest(secret, b"motcua download links", "sha256")
        for folder in ("tmp", "quarantine", "accepted", "digests"):
            (self.root / folder).mkdir(mode=0o700, parents=True, exist_ok=True)

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

        The rename is atomic, so a reader never sees half a file under quarantine/. A data
        folder that cannot be written (read-only, full) is a StorageError (503), as for dossiers.
        """
        target = self._path("quarantine", key)
        try:
            fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix="upload-")
        except OSError as error:
            raise StorageError() from error
        try:
            with os.fdopen(fd, "wb") as out:
                if self._sealer is None:
                    yield out
                else:
                    writer = self._sealer.file_writer(out, key.encode())
                    yield cast(BinaryIO, writer)  # the endpoint only writes
                    writer.finish()
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(name, target)
        except OSError as error:
            raise StorageError() from error
        finally:
            Path(name).unlink(missing_ok=True)

    def size(self, key: str) -> int | None:
        try:
            return _plain_size(self._path("quarantine", key), self._sealer)
        except FileNotFoundError:
            return None

    def head_bytes(self, key: str, count: int) -> bytes:
        try:
            with _open_plain(self._path("quarantine", key), self._sealer, key) as source:
                return source.read(max(count, 0))
        except FileNotFoundError:
            raise NotFoundError() from None

    @contextmanager
    def read(self, key: str) -> Iterator[BinaryIO]:
        try:
            source = _open_plain(self._path("quarantine", key), self._sealer, key)
        except FileNotFoundError:
            raise NotFoundError() from None
        with source:
            yield source

    def replace(self, key: str, content: bytes) -> None:
        """Writes the new content beside the old, then renames it over: atomic, like `incoming`."""
        target = self._path("quarantine", key)
        if not target.is_file():
            raise NotFoundError()
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix="replace-")
        try:
            with os.fdopen(fd, "wb") as out:
                if self._sealer is None:
                    out.write(content)
                else:
                    writer = self._sealer.file_writer(out, key.encode())
                    writer.write(content)
                    writer.finish()
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)

    def accept(self, key: str, *, sha256: str | None = None) -> None:
        """Records the file's SHA-256, then moves it to accepted/: an accepted file always has
        its digest."""
        if sha256 is not None:
            self._accept_verified(key, sha256)
            return
        accepted = self._path("accepted", key)
        try:
            digest = _sha256(self._path("quarantine", key), self._sealer, key)
        except FileNotFoundError:
            if accepted.is_file():
                return
            raise NotFoundError() from None
        self._write_digest(key, digest)
        accepted.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(self._path("quarantine", key), accepted)
        except FileNotFoundError:  # another accept of the same key moved it first
            if not accepted.is_file():
                raise NotFoundError() from None

    def _accept_verified(self, key: str, sha256: str) -> None:
        """Takes the file out of quarantine/ first (one rename: an upload to the same key from
        now on lands beside it, not in it), then checks its digest and moves it to accepted/."""
        accepted = self._path("accepted", key)
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix="accept-")
        os.close(fd)
        claimed = Path(name)
        try:
            try:
                os.replace(self._path("quarantine", key), claimed)
            except FileNotFoundError:
                if accepted.is_file():
                    return
                raise NotFoundError() from None
            if not hmac.compare_digest(_sha256(claimed, self._sealer, key), sha256):
                raise UploadChangedError()
            self._write_digest(key, sha256)
            accepted.parent.mkdir(parents=True, exist_ok=True)
            os.replace(claimed, accepted)
        finally:
            claimed.unlink(missing_ok=True)

    def is_accepted(self, key: str) -> bool:
        return self._path("accepted", key).is_file()

    def reject(self, key: str) -> None:
        self._path("quarantine", key).unlink(missing_ok=True)

    def describe(self, key: str) -> tuple[int, str]:
        path = self._path("accepted", key)
        try:
            size = _plain_size(path, self._sealer)
        except FileNotFoundError:
            raise NotFoundError() from None
        try:
            digest = self._path("digests", key).read_text(encoding="ascii").strip()
        except FileNotFoundError:  # accepted before digests were kept
            digest = _sha256(path, self._sealer, key)
            self._write_digest(key, digest)
        return size, digest

    def download_url(self, key: str, *, filename: str, expires_in: int) -> str:
        lifetime = download_lifetime(expires_in)
        if not self.is_accepted(key):
            raise NotFoundError()
        fields = {
            "key": key,
            "filename": safe_filename(filename),
            "expires": str(int(self.clock()) + lifetime),
        }
        fields["signature"] = self._sign_download(fields)
        return f"{self._url}?{urlencode(fields, quote_via=quote)}"

    def open_download(self, fields: dict[str, str]) -> Download:
        """What a download link serves, or DownloadForbiddenError if it was altered or expired
        (NotFoundError if the file is gone)."""
        if any(name not in fields for name in DOWNLOAD_FIELDS):
            raise DownloadForbiddenError()
        expected = self._sign_download(fields).encode()
        if not hmac.compare_digest(expected, fields["signature"].encode()):
            raise DownloadForbiddenError()
        if not fields["expires"].isdigit() or self.clock() > int(fields["expires"]):
            raise DownloadForbiddenError()
        path = self._path("accepted", fields["key"])
        try:
            size = _plain_size(path, self._sealer)
        except FileNotFoundError:
            raise NotFoundError() from None
        content_type = content_type_of(fields["key"])
        return Download(path, fields["filename"], content_type, size, fields["key"], self._sealer)

    # --- UploadStore: backup, restore, purge -------------------------------------------------

    def objects(self) -> Iterator[StoredObject]:
        for area in STORED_AREAS:
            for folder, _dirs, names in os.walk(self.root / area):
                for name in names:
                    path = Path(folder) / name
                    try:
                        status = path.stat()
                    except FileNotFoundError:  # accepted or rejected meanwhile
                        continue
                    relative = path.relative_to(self.root).as_posix()
                    yield StoredObject(relative, status.st_size, status.st_mtime)

    def read_object(self, name: str) -> Iterator[bytes]:
        try:
            source = self._object_path(name).open("rb")
        except FileNotFoundError:
            raise NotFoundError() from None
        with source:
            while chunk := source.read(CHUNK):
                yield chunk

    def write_object(self, stored: StoredObject, source: Path) -> None:
        """Copied through tmp/ and renamed, so the file appears whole or not at all."""
        target = self._object_path(stored.name)
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix="restore-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as data:
                shutil.copyfileobj(data, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)

    def reseal(self) -> int:
        """Seals every quarantined and accepted file again under the sealer's first key, each
        through tmp/ and renamed over the old (`motcua rotate-data-key`). How many files."""
        assert self._sealer is not None
        done = 0
        for area in ("quarantine", "accepted"):
            for folder, _dirs, names in os.walk(self.root / area):
                for name in names:
                    path = Path(folder) / name
                    key = path.relative_to(self.root / area).as_posix()
                    fd, temporary = tempfile.mkstemp(dir=self.root / "tmp", prefix="reseal-")
                    try:
                        with (
                            os.fdopen(fd, "wb") as out,
                            _open_plain(path, self._sealer, key) as src,
                        ):
                            self._sealer.seal_file(src, out, key.encode())
                            out.flush()
                            os.fsync(out.fileno())
                        os.replace(temporary, path)
                    finally:
                        Path(temporary).unlink(missing_ok=True)
                    done += 1
        return done

    def remove(self, key: str) -> None:
        for area in STORED_AREAS:
            self._path(area, key).unlink(missing_ok=True)

    def _object_path(self, name: str) -> Path:
        """The path of an object's name, only inside one of the stored areas (a restore reads
        names from a backup's manifest: never a path outside root/)."""
        area, _, key = name.partition("/")
        if area not in STORED_AREAS:
            raise ValueError(f"not an object of the upload store: {name!r}")
        return self._path(area, key)

    def _path(self, area: str, key: str) -> Path:
        return self.root / area / check_key(key)

    def _write_digest(self, key: str, digest: str) -> None:
        target = self._path("digests", key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix="digest-")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(digest)
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)

    def _sign_download(self, fields: dict[str, str]) -> str:
        # key has no "|" and expires is last, so the joined string is unambiguous.
        canonical = "|".join(fields[name] for name in DOWNLOAD_FIELDS[:-1])
        return hmac.new(self._download_secret, canonical.encode(), hashlib.sha256).hexdigest()

    def _sign(self, fields: dict[str, str]) -> str:
        # key has no "|" and the last two are digits, so the joined string is unambiguous.
        canonical = "|".join(fields[name] for name in SIGNED_FIELDS[:-1])
        return hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()


def _sha256(path: Path, sealer: Sealer | None, key: str) -> str:
    digest = hashlib.sha256()
    with _open_plain(path, sealer, key) as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _open_plain(path: Path, sealer: Sealer | None, key: str) -> BinaryIO:
    """The plain content of a stored file; a sealed one is bound to its key (the same in
    quarantine/ and accepted/)."""
    source = path.open("rb")
    if sealer is None:
        return source
    return sealer.file_reader(source, key.encode())


def _plain_size(path: Path, sealer: Sealer | None) -> int:
    size = path.stat().st_size
    if sealer is None:
        return size
    with path.open("rb") as source:
        sealed = source.read(len(MAGIC)) == MAGIC
    return plain_size(size) if sealed else size
