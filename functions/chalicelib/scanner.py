"""Malware scanning of uploaded files before they are accepted: the `Scanner` port and its clamd
adapter.

`ClamdScanner` speaks clamd's INSTREAM command (clamd(8), "INSTREAM") over its unix socket or TCP:
the file goes as chunks, each prefixed by its length as 4 bytes in network order, ended by an
empty chunk; clamd answers `stream: OK` or `stream: <signature> FOUND`. The protocol is a few
lines, so it is written here (the `clamd` package on PyPI is unmaintained).

A file is never accepted unscanned: when clamd cannot be reached, times out or answers anything
else, scanning raises ScannerUnavailableError (503, retryable), and so does `UnconfiguredScanner`
when no clamd is set (MOTCUA_CLAMD, config.py).

Where the scan is a step of its own (AWS: a function started by the upload itself,
chalicelib/scanstep.py), it records its verdict on the file's content, keyed by SHA-256, in a
`ScanVerdicts` store, and verify's scanner is `RecordedScanner`: it hashes the content it is
about to check and takes that content's recorded verdict, so a verdict can only ever speak for
exactly the bytes it was given on. No verdict yet: ScanPendingError (202, verify again).
"""

import hashlib
import socket
import struct
from dataclasses import dataclass
from typing import IO, Any, Protocol

from .errors import ApiError

CHUNK = 64 * 1024
MAX_REPLY = 4096
TIMEOUT_SECONDS = 30.0


class ScannerUnavailableError(ApiError):
    """The scanner did not answer: the file stays in quarantine, the client may verify again."""

    status, code = 503, "scanner_unavailable"
    message = (
        "Hệ thống kiểm tra mã độc tạm thời không phản hồi nên chưa nhận tệp."
        " Vui lòng thử lại sau ít phút."
    )


class ScanPendingError(ApiError):
    """The scan step has not yet given its verdict on this content: the file waits in quarantine,
    the client verifies again after `retry_after` seconds (app.py sends it as Retry-After)."""

    status, code = 202, "scan_pending"
    message = "Đang quét mã độc cho tệp, vui lòng đợi trong giây lát."
    retry_after = 3

    def body(self) -> dict[str, Any]:
        return {**super().body(), "accepted": False, "retry_after": self.retry_after}


class Scanner(Protocol):
    def scan(self, source: IO[bytes]) -> str | None:
        """The name of the malware found in `source` (read to its end), None if none was;
        ScannerUnavailableError if the scanner cannot tell."""
        ...


class ClamdScanner:
    """`Scanner` over clamd: `address` is a unix socket's path or `tcp://host:port`."""

    def __init__(self, address: str, *, timeout: float = TIMEOUT_SECONDS):
        self.address = address
        self.timeout = timeout
        if address.startswith("tcp://"):
            host, _, port = address.removeprefix("tcp://").rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"clamd address must be tcp://host:port, not {address!r}")
            self._tcp: tuple[str, int] | None = (host.strip("[]"), int(port))
        else:
            self._tcp = None

    def scan(self, source: IO[bytes]) -> str | None:
        try:
            with self._connect() as connection:
                connection.sendall(b"zINSTREAM\0")
                while chunk := source.read(CHUNK):
                    connection.sendall(struct.pack(">I", len(chunk)) + chunk)
                connection.sendall(struct.pack(">I", 0))
                reply = _reply(connection)
        except OSError as error:  # refused, missing socket, reset, timeout
            raise ScannerUnavailableError() from error
        return _finding(reply)

    def ping(self) -> bool:
        """True if clamd answers PING (a readiness check for scripts and tests)."""
        try:
            with self._connect() as connection:
                connection.sendall(b"zPING\0")
                return _reply(connection) == "PONG"
        except (OSError, ScannerUnavailableError):
            return False

    def _connect(self) -> socket.socket:
        if self._tcp is not None:
            return socket.create_connection(self._tcp, timeout=self.timeout)
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(self.timeout)
        try:
            connection.connect(self.address)
        except OSError:
            connection.close()
            raise
        return connection


class UnconfiguredScanner:
    """The scanner when no clamd is configured: every file waits in quarantine (503)."""

    def scan(self, source: IO[bytes]) -> str | None:
        raise ScannerUnavailableError(
            "Hệ thống chưa được cấu hình kiểm tra mã độc (MOTCUA_CLAMD) nên chưa nhận tệp."
            " Vui lòng báo cho cơ quan quản lý trang."
        )


@dataclass(frozen=True)
class Verdict:
    """What the scan step found in one content: a malware's name, or None when clean."""

    found: str | None
    scanned_at: float  # Unix seconds


class ScanVerdicts(Protocol):
    """Verdicts of the scan step, by the SHA-256 (hex) of the content scanned."""

    def record(self, sha256: str, found: str | None) -> None: ...

    def get(self, sha256: str) -> Verdict | None:
        """The latest verdict on this content, None if it was never scanned."""
        ...


class RecordedScanner:
    """`Scanner` where a scan step of its own scans every upload (AWS): the verdict recorded for
    exactly this content, ScanPendingError while there is none."""

    def __init__(self, verdicts: ScanVerdicts):
        self.verdicts = verdicts

    def scan(self, source: IO[bytes]) -> str | None:
        verdict = self.verdicts.get(sha256_of(source))
        if verdict is None:
            raise ScanPendingError()
        return verdict.found


def sha256_of(source: IO[bytes]) -> str:
    """The SHA-256 (hex) of `source` read to its end."""
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _reply(connection: socket.socket) -> str:
    """clamd's answer up to its terminating NUL (the `z` commands)."""
    data = b""
    while not data.endswith(b"\0"):
        chunk = connection.recv(MAX_REPLY)
        if not chunk or len(data) > MAX_REPLY:
            raise ScannerUnavailableError()
        data += chunk
    return data[:-1].decode("utf-8", "replace").strip()


def _finding(reply: str) -> str | None:
    """None for `stream: OK`, the signature for `stream: <name> FOUND`; anything else (`... ERROR`,
    e.g. a file over clamd's StreamMaxLength) means the file was not scanned."""
    result = reply.removeprefix("stream:").strip()
    if result == "OK":
        return None
    if result.endswith(" FOUND"):
        return result.removesuffix(" FOUND").strip() or "?"
    raise ScannerUnavailableError()
