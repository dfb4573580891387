"""Runs the Chalice app behind a WSGI server: each HTTP request becomes the API Gateway proxy
event that Lambda would receive, handed to the same `app` object (`app(event, context)`).

Routing and event shape come from Chalice's own LambdaEventConverter; only what its local dev
server lacks is here: the client's real address, our JSON errors for unknown routes and methods,
a body size limit, and `app.current_request` kept per thread. Everything outside /api/ is the
static site.
"""

import base64
import functools
import gzip
import json
import mimetypes
import posixpath
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from chalice.app import Chalice
from chalice.local import LambdaEventConverter, MatchResult, RouteMatcher

from chalicelib.config import MAX_BODY_BYTES
from chalicelib.errors import PayloadTooLargeError
from chalicelib.headers import missing

mimetypes.add_type("font/woff2", ".woff2")  # Python 3.11 knows it only from /etc/mime.types
# Web fonts carry a hash of their bytes in their name (buildlib/site/webfont.py): kept for a year.
LONG_CACHE = {"font/woff2": "public, max-age=31536000, immutable"}
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    304: "Not Modified",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _status(code: int) -> str:
    return f"{code} {STATUS_TEXT.get(code, 'Status')}"


def _error(
    start_response: StartResponse,
    status: int,
    code: str,
    message: str,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    body = json.dumps({"code": code, "message": message, "fields": {}}, ensure_ascii=False)
    start_response(
        _status(status),
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(body.encode()))),
            *(headers or []),
        ],
    )
    return [body.encode()]


class _PerThread:
    """A data descriptor that keeps a value per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return getattr(self._local, "value", None) if instance is not None else self

    def __set__(self, instance: object, value: Any) -> None:
        self._local.value = value


def _request_per_thread(app: Chalice) -> None:
    """Chalice keeps the request it is handling in one attribute, `app.current_request`: right
    on Lambda (one request at a time per process), wrong under waitress's threads, where a
    route could read another request's headers or body (two officers acting at once sent each
    other's CSRF token). The app's class becomes a subclass whose `current_request` is per
    thread; a data descriptor wins over the instance attribute Chalice sets."""
    cls = type(app)
    if not isinstance(cls.__dict__.get("current_request"), _PerThread):
        app.__class__ = type(cls.__name__, (cls,), {"current_request": _PerThread()})


class Context:
    """The context object Lambda hands a function, with the attributes of `chalice local`'s
    (chalice.local.LambdaContext), whose request id is made only when something reads it: Chalice's
    makes a uuid4 on every request, an os.urandom() call that lets go of the GIL and takes it
    back, a thread switch under load, for an id nothing here reads."""

    function_version = "$LATEST"
    invoked_function_arn = ""
    log_group_name = ""
    log_stream_name = ""
    identity = None
    client_context = None

    def __init__(self, function_name: str, memory_size: int, max_runtime_ms: int):
        self.function_name = function_name
        self.memory_limit_in_mb = memory_size
        self._deadline = time.monotonic() + max_runtime_ms / 1000

    @functools.cached_property
    def aws_request_id(self) -> str:
        return str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> float:
        return (self._deadline - time.monotonic()) * 1000


class Routes(RouteMatcher):
    """Chalice's route matcher, with the addresses that are a route without parameters (a
    submission's /api/submissions) answered from a set: Chalice parses the address and splits
    and compares every route, in turn, on each request. Only an address Chalice itself matches
    to that same route is in the set, so the answer is always the one Chalice gives."""

    def __init__(self, route_urls: list[str]):
        super().__init__(route_urls)
        chalice = super().match_route
        self._exact = frozenset(
            url for url in route_urls if "{" not in url and chalice(url).route == url
        )

    def match_route(self, url: str) -> MatchResult:
        if url in self._exact:
            return MatchResult(url, {}, {})
        return super().match_route(url)


class ChaliceWSGI:
    def __init__(self, app: Chalice):
        _request_per_thread(app)
        self.app = app
        self.converter = LambdaEventConverter(Routes(list(app.routes)), app.api.binary_types)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/")
        # An encoded %3F or %23: no route has one, and the event would split it off (a query, a
        # fragment) and match a shorter route, answering 405 where no such address exists.
        if "?" in path or "#" in path:
            return _error(start_response, 404, "not_found", "Không có địa chỉ API này.")
        query = environ.get("QUERY_STRING", "")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:  # the app's limit, before reading the body
            too_large = PayloadTooLargeError()
            return _error(start_response, too_large.status, too_large.code, too_large.message)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            event = self.converter.create_lambda_event(
                method, path + (f"?{query}" if query else ""), headers, body or None
            )
        except ValueError:
            return _error(start_response, 404, "not_found", "Không có địa chỉ API này.")
        event["requestContext"]["identity"]["sourceIp"] = environ.get("REMOTE_ADDR", "unknown")
        context = Context("motcua", 1024, max_runtime_ms=30_000)
        response = self.app(event, context)
        allowed = self._allowed(event) if response["statusCode"] == 405 else ""
        return self._reply(response, start_response, allowed)

    def _allowed(self, event: dict[str, Any]) -> str:
        """The methods of the matched route, for a 405's Allow header (RFC 9110)."""
        return ", ".join(sorted(self.app.routes.get(event["requestContext"]["resourcePath"], {})))

    @staticmethod
    def _reply(
        response: dict[str, Any], start_response: StartResponse, allowed: str
    ) -> list[bytes]:
        status = response["statusCode"]
        body = response.get("body") or b""
        if response.get("isBase64Encoded"):
            body = base64.b64decode(body)
        elif isinstance(body, str):
            body = body.encode("utf-8")
        if status >= 400 and b'"Code"' in body[:40]:  # Chalice's own errors (405, 415, ...)
            message = {
                405: "Phương thức không được hỗ trợ ở địa chỉ này.",
                415: "Kiểu nội dung không được hỗ trợ.",
            }.get(status, "Yêu cầu không hợp lệ.")
            code = {405: "method_not_allowed", 415: "unsupported_media_type"}.get(
                status, "bad_request"
            )
            extra = [("Allow", allowed)] if status == 405 else []
            return _error(start_response, status, code, message, extra)
        headers = dict(response.get("headers") or {})
        for key, values in (response.get("multiValueHeaders") or {}).items():
            headers[key] = ", ".join(values)
        headers["Content-Length"] = str(len(body))
        start_response(_status(status), list(headers.items()))
        return [body]


class StaticSite:
    """Serves the built site: /a/b/ -> site/a/b/index.html; never outside the folder.

    Text is sent gzipped to clients that accept it, as nginx does in production, from the copy
    the build wrote next to the file (buildlib/site/precompress.py: same mtime as the file, so a
    stale copy is never sent): no request compresses anything. A file the build kept only as its
    copy (the procedure pages: index.html.gz without index.html) is sent as it is to those
    clients and unpacked to the others, as nginx's `gzip_static always` and `gunzip` do. A file
    that is itself a .gz (the open data's thu-tuc.json.gz) is a gzip download, sent as it is.
    Each reply carries an ETag (the file's mtime and size, one per representation), and a
    request that has it already gets 304."""

    def __init__(self, root: Path):
        self.root = root.resolve()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            start_response(
                _status(405),
                [("Content-Type", "text/plain; charset=utf-8"), ("Allow", "GET, HEAD")],
            )
            return [b"Method Not Allowed"]
        path = posixpath.normpath(unquote(environ.get("PATH_INFO", "/")))
        if "\x00" in path:  # no file has it, and the filesystem calls would raise ValueError
            return self._not_found(start_response)
        target = (self.root / path.lstrip("/")).resolve()
        if target.is_dir():
            if not environ.get("PATH_INFO", "/").endswith("/"):
                start_response(_status(301), [("Location", environ.get("PATH_INFO", "/") + "/")])
                return [b""]
            target = target / "index.html"
        if not target.is_relative_to(self.root):
            return self._not_found(start_response)
        kind, encoding = mimetypes.guess_type(target.name)
        copy = target.with_name(target.name + ".gz")
        only_copy = encoding is None and not target.is_file() and copy.is_file()
        if not only_copy and not target.is_file():
            return self._not_found(start_response)
        if encoding == "gzip":  # a download that is a gzip file, not a page sent compressed
            kind = "application/gzip"
        kind = kind or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        headers = [("Content-Type", kind), ("Cache-Control", LONG_CACHE.get(kind, "no-cache"))]
        gzipped = _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        unpack = False
        if only_copy:
            target, stat = copy, copy.stat()
            headers.append(("Vary", "Accept-Encoding"))
            if gzipped:
                headers.append(("Content-Encoding", "gzip"))
            unpack = not gzipped
        else:
            stat = target.stat()
            if encoding is None and copy.is_file():
                headers.append(("Vary", "Accept-Encoding"))
                if gzipped:
                    zipped = copy.stat()
                    if zipped.st_mtime_ns == stat.st_mtime_ns:
                        target, stat = copy, zipped
                        headers.append(("Content-Encoding", "gzip"))
        # The unpacked copy is another representation of the same file: another ETag.
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}{"-gunzip" if unpack else ""}"'
        headers.append(("ETag", etag))
        if etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            kept = ("Cache-Control", "Vary", "ETag")
            start_response(_status(304), [h for h in headers if h[0] in kept])
            return [b""]
        if unpack:  # a page: tens of kilobytes
            body = gzip.decompress(target.read_bytes())
            start_response(_status(200), [*headers, ("Content-Length", str(len(body)))])
            return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]
        start_response(_status(200), [*headers, ("Content-Length", str(stat.st_size))])
        if environ["REQUEST_METHOD"] == "HEAD":
            return [b""]
        handle = target.open("rb")
        wrapper = environ.get("wsgi.file_wrapper")
        return wrapper(handle, 65536) if wrapper else iter(lambda: handle.read(65536), b"")

    def _not_found(self, start_response: StartResponse) -> Iterable[bytes]:
        page = self.root / "404.html"
        content = page.read_bytes() if page.is_file() else "Không tìm thấy trang.".encode()
        start_response(
            _status(404),
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(content)))],
        )
        return [content]


def _accepts_gzip(header: str) -> bool:
    """Accept-Encoding names gzip (or *) and does not refuse it with q=0."""
    for item in header.lower().split(","):
        name, _, params = item.partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "").rstrip("0").rstrip(".") not in ("q=0", "q=")
    return False


def dispatcher(
    routes: list[tuple[str, WSGIApplication]], fallback: WSGIApplication
) -> WSGIApplication:
    """The first application whose path prefix matches handles the request. Every reply, page,
    API or upload, gets the security headers it does not set itself (chalicelib/headers.py)."""

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def secured(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            added = missing(name for name, _ in headers)
            return start_response(status, [*headers, *added], exc_info)

        path = environ.get("PATH_INFO", "/")
        for prefix, app in routes:
            if path == prefix.rstrip("/") or path.startswith(prefix):
                return app(environ, secured)
        return fallback(environ, secured)

    return application
