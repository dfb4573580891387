"""The local stand-in for S3's presigned POST and GET: `POST /api/uploads/local` receives a file
(multipart/form-data), `GET /api/uploads/local?key&filename&expires&signature` serves an accepted
one as an attachment (FilesystemUploads.download_url signed the link).

The browser sends the signed fields of FilesystemUploads.target() first and the `file` part last,
as it does for S3. The body is parsed as it arrives and the file goes straight to a temporary file,
so a 100 MB upload costs a few chunks of memory, not 100 MB; the file appears in quarantine/ only
once it is complete and within its limits. Every refusal is a JSON error, never a traceback.
"""

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from typing import Any, BinaryIO
from urllib.parse import parse_qs
from wsgiref.types import StartResponse

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from chalicelib.errors import ApiError, PayloadTooLargeError
from chalicelib.storage.files import SIGNED_FIELDS, FilesystemUploads, Grant, attachment

PATH = "/api/uploads/local"
CHUNK = 64 * 1024
# Room for the boundaries, part headers and signed fields around the file itself.
FORM_OVERHEAD = 64 * 1024
MAX_BOUNDARY = 70
REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    500: "Internal Server Error",
}

log = logging.getLogger(__name__)


class LocalUploadEndpoint:
    """WSGI application that receives one file per request into FilesystemUploads."""

    def __init__(self, uploads: FilesystemUploads):
        self._uploads = uploads

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            self._route(environ)
            if environ["REQUEST_METHOD"] == "GET":
                return self._send(environ, start_response)
            self._receive(environ)
        except ApiError as error:
            allow = [("Allow", "GET, POST")] if error.status == 405 else []
            return _respond(start_response, error.status, error.body(), allow)
        except Exception:
            log.exception("local upload failed")
            failure = RefusedError(500, "internal_error", "Lỗi hệ thống. Vui lòng thử lại.")
            return _respond(start_response, 500, failure.body())
        start_response("204 No Content", [])
        return []

    def _route(self, environ: dict[str, Any]) -> None:
        if environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "") != PATH:
            raise RefusedError(404, "not_found", "Không tìm thấy.")
        if environ.get("REQUEST_METHOD") not in ("GET", "POST"):
            raise RefusedError(405, "method_not_allowed", "Chỉ nhận phương thức GET và POST.")

    def _send(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serves the file of a valid download link, as an attachment the browser never renders
        in the page's origin."""
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        fields = {name: values[0] for name, values in query.items() if len(values) == 1}
        download = self._uploads.open_download(fields)
        handle = download.open()
        start_response(
            "200 OK",
            [
                ("Content-Type", download.content_type),
                ("Content-Length", str(download.size)),
                ("Content-Disposition", attachment(download.filename)),
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Security-Policy", "default-src 'none'; sandbox"),
                ("Cache-Control", "private, no-store"),
            ],
        )
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None:
            return wrapper(handle, CHUNK)  # type: ignore[no-any-return]
        return _chunks(handle)

    def _receive(self, environ: dict[str, Any]) -> None:
        length = _content_length(environ)
        boundary = _boundary(environ)
        with ExitStack() as cleanup:
            form = _Form(self._uploads, length, cleanup)
            parser = MultipartParser(boundary, form.callbacks())
            _feed(environ["wsgi.input"], length, parser)
            form.finish()


class RefusedError(ApiError):
    """A refusal with its own status, for the few cases errors.py has no class for."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message, fields=fields)
        self.status, self.code = status, code


def _bad_form(message: str, fields: dict[str, Any] | None = None) -> RefusedError:
    return RefusedError(400, "bad_upload", message, fields)


class _Form:
    """Callbacks for MultipartParser: collects the signed fields, then streams `file` to disk."""

    def __init__(self, uploads: FilesystemUploads, length: int, cleanup: ExitStack):
        self._uploads = uploads
        self._length = length
        self._cleanup = cleanup
        self._fields: dict[str, str] = {}
        self._headers: dict[str, str] = {}
        self._header_name = self._header_value = b""
        self._part: str | None = None
        self._value = bytearray()
        self._form_bytes = 0
        self._grant: Grant | None = None
        self._out: BinaryIO | None = None
        self._written = 0
        self._ended = False

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def finish(self) -> None:
        """Checks what only the whole body can tell; raising here deletes the temporary file."""
        if not self._ended:
            raise _bad_form("Dữ liệu gửi lên bị cắt ngang hoặc sai định dạng.")
        if self._grant is None:
            raise _bad_form("Thiếu tệp.", {"file": "Chọn một tệp để tải lên."})
        if self._written == 0:
            raise _bad_form("Tệp rỗng.", {"file": "Tệp không có nội dung."})

    def _part_begin(self) -> None:
        if self._grant is not None:
            raise _bad_form("Trường `file` phải là phần cuối cùng của biểu mẫu.")
        self._headers = {}
        self._value = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("latin-1").strip()
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get("content-disposition"))
        self._part = options.get(b"name", b"").decode("latin-1")
        if disposition != b"form-data" or not self._part:
            raise _bad_form("Phần biểu mẫu không có tên.")
        if self._part == "file":
            self._start_file()
        elif self._part not in SIGNED_FIELDS or self._part in self._fields:
            raise _bad_form(f"Trường không được phép: {self._part}.", {self._part: "Không nhận."})

    def _start_file(self) -> None:
        missing = [name for name in SIGNED_FIELDS if name not in self._fields]
        if missing:
            raise _bad_form("Thiếu trường đã ký.", dict.fromkeys(missing, "Thiếu trường này."))
        grant = self._uploads.verify(self._fields)
        if self._length > grant.max_bytes + FORM_OVERHEAD:
            raise PayloadTooLargeError("Tệp vượt quá dung lượng cho phép.")
        if self._headers.get("content-type") != grant.content_type:
            raise _bad_form("Loại tệp không đúng.", {"file": f"Chỉ nhận tệp {grant.content_type}."})
        self._out = self._cleanup.enter_context(self._uploads.incoming(grant.key))
        self._grant = grant

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None and self._grant is not None:
            self._written += end - start
            if self._written > self._grant.max_bytes:
                raise PayloadTooLargeError("Tệp vượt quá dung lượng cho phép.")
            self._out.write(data[start:end])
            return
        self._form_bytes += end - start
        if self._form_bytes > FORM_OVERHEAD:
            raise _bad_form("Các trường của biểu mẫu quá dài.")
        self._value += data[start:end]

    def _part_end(self) -> None:
        if self._part is not None and self._part != "file":
            try:
                self._fields[self._part] = self._value.decode("utf-8")
            except UnicodeDecodeError:
                raise _bad_form("Trường không phải UTF-8.", {self._part: "Sai mã hóa."}) from None
        self._part = None

    def _end(self) -> None:
        self._ended = True


def _content_length(environ: dict[str, Any]) -> int:
    raw = environ.get("CONTENT_LENGTH") or ""
    if not (raw.isascii() and raw.isdigit()):
        raise _bad_form("Thiếu độ dài nội dung (Content-Length).")
    return int(raw)


def _boundary(environ: dict[str, Any]) -> bytes:
    kind, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
    boundary = options.get(b"boundary", b"")
    # RFC 2046 §5.1.1: 1 to 70 characters.
    if kind != b"multipart/form-data" or not 1 <= len(boundary) <= MAX_BOUNDARY:
        raise _bad_form("Cần gửi biểu mẫu multipart/form-data.")
    return boundary


def _feed(body: Any, length: int, parser: MultipartParser) -> None:
    """Reads exactly `length` bytes in chunks; parser errors and cut connections are a 400."""
    remaining = length
    while remaining > 0:
        try:
            chunk = body.read(min(CHUNK, remaining))
        except OSError as error:
            raise _bad_form("Kết nối bị ngắt khi đang gửi dữ liệu.") from error
        if not chunk:
            break
        remaining -= len(chunk)
        try:
            parser.write(chunk)
        except FormParserError as error:
            raise _bad_form("Dữ liệu gửi lên sai định dạng.") from error


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _respond(
    start_response: StartResponse,
    status: int,
    body: dict[str, Any],
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    payload = json.dumps(body, ensure_ascii=False).encode()
    start_response(
        f"{status} {REASONS.get(status, 'Error')}",
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(payload))),
            *(headers or []),
        ],
    )
    return [payload]
