"""Personal data sealed at rest (the embedded target): dossier rows and uploaded files are
encrypted with AES-256-GCM under a key kept apart from the data (docs/deploy.md, "Personal data").

Why AES-GCM (the `cryptography` package's AESGCM) rather than Fernet: it authenticates extra data,
so a sealed value is bound to its place (a dossier's code and column, a file's key) and cannot
be moved to another row unnoticed; it is binary (Fernet is base64 text, a third larger); it runs
on the CPU's AES instructions; and a file is sealed in segments (the STREAM construction), so a
10 MB upload is streamed in and out without holding it whole in memory, each segment checked
before any of its bytes is used. Fernet has none of these.

The key file (`MOTCUA_DATA_KEY_FILE`) is a key ring: one key a line, `<id>:<key>` in hex, the
first line the key that seals; every sealed value names the id of its key, so after
`motcua rotate-data-key` (a new first line, every row and file sealed again) older keys can be
dropped from the file.

    value:  0x01 | key id (4) | nonce (12) | AES-GCM(value, aad=context)
    file:   MAGIC (8) | key id (4) | nonce prefix (7) | segments of SEGMENT bytes, each sealed
            with nonce = prefix | counter (4, big-endian) | last (1), aad = header | context
"""

import io
import os
import secrets
import tempfile
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .config import ConfigurationError

VALUE_VERSION = 1
MAGIC = b"MCSEAL1\n"
SEGMENT = 64 * 1024
TAG = 16
_ID, _NONCE, _PREFIX = 4, 12, 7
FILE_HEADER = len(MAGIC) + _ID + _PREFIX
VALUE_HEADER = 1 + _ID + _NONCE


class SealError(Exception):
    """A sealed value or file that this key ring cannot open: an unknown key id, or altered."""


class DataKeyError(ConfigurationError):
    """The data key is missing, unreadable, or not the one that sealed the data: startup stops."""


class Sealer:
    """Seals and opens values and files under a key ring; the first key seals."""

    def __init__(self, keys: list[tuple[bytes, bytes]], *, source: str = "the data key"):
        if not keys:
            raise DataKeyError(f"{source}: no key")
        self.source = source
        self._keys = {key_id: AESGCM(key) for key_id, key in keys}
        self.key_id = keys[0][0]
        self._sealing = self._keys[self.key_id]

    @property
    def key_ids(self) -> list[str]:
        return [key_id.hex() for key_id in self._keys]

    # --- values (dossier rows) ----------------------------------------------------------------

    def seal(self, data: bytes, context: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        header = bytes([VALUE_VERSION]) + self.key_id + nonce
        return header + self._sealing.encrypt(nonce, data, context)

    def open(self, blob: bytes, context: bytes) -> bytes:
        if len(blob) < VALUE_HEADER + TAG or blob[0] != VALUE_VERSION:
            raise SealError(f"not a sealed value ({context.decode(errors='replace')})")
        aead = self._aead(blob[1 : 1 + _ID], context)
        try:
            return aead.decrypt(blob[1 + _ID : VALUE_HEADER], blob[VALUE_HEADER:], context)
        except InvalidTag:
            raise SealError(
                f"sealed value altered or sealed under another key: {context!r}"
            ) from None

    def seal_text(self, text: str, context: str) -> bytes:
        return self.seal(text.encode(), context.encode())

    def open_text(self, stored: bytes | str, context: str) -> str:
        """A stored column: sealed bytes, or text written before sealing was turned on."""
        if isinstance(stored, str):
            return stored
        return self.open(stored, context.encode()).decode()

    def key_id_of(self, blob: bytes) -> bytes:
        return blob[1 : 1 + _ID]

    # --- files (uploads) ----------------------------------------------------------------------

    def file_writer(self, out: BinaryIO, context: bytes) -> "SealedWriter":
        return SealedWriter(self, out, context)

    def file_reader(self, source: BinaryIO, context: bytes) -> BinaryIO:
        """The plain bytes of a sealed file, read in order (not seekable); SealError at the
        first segment that does not open. A file written before sealing (no MAGIC) is read as
        it is."""
        head = source.read(len(MAGIC))
        if head != MAGIC:
            source.seek(0)
            return source
        raw = _SealedReader(self, source, context)
        return io.BufferedReader(raw, SEGMENT)

    def seal_file(self, source: BinaryIO, out: BinaryIO, context: bytes) -> None:
        writer = self.file_writer(out, context)
        while chunk := source.read(SEGMENT):
            writer.write(chunk)
        writer.finish()

    def _aead(self, key_id: bytes, context: bytes) -> AESGCM:
        aead = self._keys.get(key_id)
        if aead is None:
            raise SealError(
                f"sealed under key id {key_id.hex()}, which {self.source} does not hold"
                f" ({context.decode(errors='replace')})"
            )
        return aead


def plain_size(sealed_size: int) -> int:
    """The plain size of a sealed file from its size on disk (every segment adds one tag)."""
    body = sealed_size - FILE_HEADER
    segments = max(1, -(-body // (SEGMENT + TAG)))
    return body - segments * TAG


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class SealedWriter:
    """Seals what is written in segments; `finish` seals the last one (which may be empty)."""

    def __init__(self, sealer: Sealer, out: BinaryIO, context: bytes):
        self._out = out
        self._aead = sealer._sealing
        self._prefix = os.urandom(_PREFIX)
        self._header = MAGIC + sealer.key_id + self._prefix
        self._aad = self._header + context
        self._buffer = bytearray()
        self._counter = 0
        out.write(self._header)

    def write(self, data: bytes) -> int:
        """Seals whole segments as they come, without copying them; at most one segment waits
        (the last one is marked, so one is always held back until more comes or `finish`)."""
        view = memoryview(data)
        if self._buffer:
            room = SEGMENT - len(self._buffer)
            self._buffer += view[:room]
            view = view[room:]
            if not view:
                return len(data)
            self._flush(bytes(self._buffer), last=False)
            self._buffer.clear()
        while len(view) > SEGMENT:
            self._flush(view[:SEGMENT], last=False)
            view = view[SEGMENT:]
        self._buffer += view
        return len(data)

    def finish(self) -> None:
        self._flush(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _flush(self, segment: "bytes | memoryview", *, last: bool) -> None:
        nonce = _nonce(self._prefix, self._counter, last)
        self._out.write(self._aead.encrypt(nonce, segment, self._aad))
        self._counter += 1


class _SealedReader(io.RawIOBase):
    def __init__(self, sealer: Sealer, source: BinaryIO, context: bytes):
        rest = source.read(_ID + _PREFIX)
        self._source = source
        self._aead = sealer._aead(rest[:_ID], context)
        self._prefix = rest[_ID:]
        self._aad = MAGIC + rest + context
        self._counter = 0
        self._pending = b""
        self._done = False
        self._next = source.read(SEGMENT + TAG)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "memoryview | bytearray") -> int:  # type: ignore[override]
        while not self._pending and not self._done:
            self._pending = self._segment()
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def _segment(self) -> bytes:
        sealed, self._next = self._next, self._source.read(SEGMENT + TAG)
        last = not self._next
        try:
            plain = self._aead.decrypt(_nonce(self._prefix, self._counter, last), sealed, self._aad)
        except InvalidTag:
            raise SealError("sealed file altered, cut short, or sealed under another key") from None
        self._counter += 1
        self._done = last
        return plain

    def close(self) -> None:
        self._source.close()
        super().close()


# --- the key file -----------------------------------------------------------------------------


def default_key_file(env: dict[str, str] | None = None) -> Path:
    """Where `make run` keeps its data key when MOTCUA_DATA_KEY_FILE is unset: the user's config
    folder ($XDG_CONFIG_HOME, else ~/.config), never the data folder it protects."""
    values = os.environ if env is None else env
    base = values.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "motcua" / "data.key"


def load(path: Path, *, create: bool) -> Sealer:
    """The key ring in `path`. `create`: make a new one-key ring if the file does not exist
    (the default file of `make run`); a path the deployment named must exist."""
    if create and not path.exists():
        _create(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise DataKeyError(
            f"MOTCUA_DATA_KEY_FILE: cannot read the data key {path}: {error}. Dossiers and files"
            " are encrypted under it; without it they cannot be read (docs/deploy.md)."
        ) from error
    return Sealer(parse(text, str(path)), source=f"the data key file {path}")


def parse(text: str, source: str) -> list[tuple[bytes, bytes]]:
    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key_id, _, key = line.strip().partition(":")
        try:
            pair = bytes.fromhex(key_id), bytes.fromhex(key)
        except ValueError:
            pair = b"", b""
        if len(pair[0]) != _ID or len(pair[1]) != 32:
            raise DataKeyError(f"{source}:{number}: not `<8 hex digits>:<64 hex digits>`")
        keys.append(pair)
    if not keys:
        raise DataKeyError(f"{source}: holds no key")
    return keys


def new_key_line() -> str:
    return f"{secrets.token_hex(_ID)}:{AESGCM.generate_key(bit_length=256).hex()}\n"


def _create(path: Path) -> None:
    """A new key ring, owner-only, created atomically (another process may race to it)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".data-key-")  # mode 0600
    try:
        os.write(handle, new_key_line().encode())
        os.fsync(handle)
        os.close(handle)
        os.link(temporary, path)  # fails if another process created it first
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def add_key(path: Path) -> str:
    """Puts a new key first in the ring (it seals from now on); the others stay to open what
    they sealed. Returns the new key's id."""
    old = path.read_text(encoding="ascii")
    parse(old, str(path))
    line = new_key_line()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".data-key-")
    try:
        os.write(handle, (line + old).encode())
        os.fsync(handle)
        os.close(handle)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return line.split(":", 1)[0]
