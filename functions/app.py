"""The API routes. Thin: parse the request, call the service, map our errors to JSON responses."""

import json
import logging

from chalice import Chalice, Response

from chalicelib import openapi
from chalicelib.config import MAX_BODY_BYTES
from chalicelib.errors import ApiError, PayloadTooLargeError
from chalicelib.wiring import default_service

app = Chalice(app_name="motcua")
log = logging.getLogger("motcua")
ANY_BODY = [
    "application/json",
    "text/plain",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
]


def _json(status: int, body: dict) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"},
    )


def _svg(status: int, text: str) -> Response:
    """An SVG image authorised by the X-Lookup-Secret header: the browser that asked may keep it
    (the receipt is drawn again from the session), keyed by that header; no shared cache may."""
    return Response(
        body=text,
        status_code=status,
        headers={
            "Content-Type": "image/svg+xml; charset=utf-8",
            "Cache-Control": "private, max-age=86400",
            "Vary": "X-Lookup-Secret",
        },
    )


def _handle(call, status: int = 200, respond=_json):
    """`call()`'s result as the response `respond` makes (JSON by default); errors as JSON."""
    try:
        return respond(status, call())
    except ApiError as error:
        return _json(error.status, error.body())
    except Exception:  # a bug: logged with its traceback, never shown to the client
        log.exception("internal error")
        return _json(
            500,
            {
                "code": "internal_error",
                "fields": {},
                "message": "Lỗi hệ thống. Vui lòng thử lại sau.",
            },
        )


def _body():
    raw = app.current_request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLargeError()
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError("Nội dung yêu cầu không phải JSON hợp lệ.") from None


def _client() -> str:
    identity = (app.current_request.context or {}).get("identity") or {}
    return identity.get("sourceIp") or "unknown"


@app.route("/api/openapi.json", methods=["GET"])
def openapi_document():
    return _handle(openapi.document)


@app.route("/api/procedures/{code}/form", methods=["GET"])
def procedure_form(code):
    return _handle(lambda: default_service().form(code))


@app.route("/api/uploads", methods=["POST"], content_types=ANY_BODY)
def create_upload():
    return _handle(lambda: default_service().upload_target(_body()))


@app.route("/api/uploads/verify", methods=["POST"], content_types=ANY_BODY)
def verify_upload():
    return _handle(lambda: default_service().verify_upload(_body()))


@app.route("/api/submissions", methods=["POST"], content_types=ANY_BODY)
def submit():
    headers = app.current_request.headers
    return _handle(
        lambda: default_service().submit(_body(), headers.get("idempotency-key")), status=201
    )


@app.route("/api/dossiers/{code}", methods=["GET"])
def lookup(code):
    secret = app.current_request.headers.get("x-lookup-secret")
    return _handle(lambda: default_service().lookup(code, secret, _client()))


@app.route("/api/dossiers/{code}/receipt-qr", methods=["GET"])
def receipt_qr(code):
    secret = app.current_request.headers.get("x-lookup-secret")
    return _handle(lambda: default_service().receipt_qr(code, secret, _client()), respond=_svg)
