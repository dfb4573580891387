"""The API routes. Thin: parse the request, call the service, map our errors to JSON responses."""

import datetime as dt
import json
import logging
from dataclasses import asdict

from chalice import Chalice, Rate, Response

from chalicelib import headers, jsonbody, officers, openapi
from chalicelib.config import MAX_BODY_BYTES
from chalicelib.errors import ApiError
from chalicelib.scanner import ScanPendingError
from chalicelib.wiring import (
    default_backoffice,
    default_handover_events,
    default_outbox_worker,
    default_rating_desk,
    default_service,
)

app = Chalice(app_name="motcua")
log = logging.getLogger("motcua")
ANY_BODY = [
    "application/json",
    "text/plain",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
]


@app.middleware("http")
def security_headers(event, get_response):
    """Every API response carries the site's security headers (chalicelib/headers.py), on
    Lambda as behind the embedded server."""
    response = get_response(event)
    response.headers.update(headers.missing(response.headers))
    return response


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
        response = _json(error.status, error.body())
        retry_after = getattr(error, "retry_after", None)  # 429 and 503 say when to come back
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response
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
    return jsonbody.parse(app.current_request.raw_body or b"", MAX_BODY_BYTES)


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
    return _handle(lambda: default_service().upload_target(_body(), _client()))


@app.route("/api/uploads/delete", methods=["POST"], content_types=ANY_BODY)
def delete_upload():
    return _handle(lambda: default_service().delete_upload(_body()))


@app.route("/api/uploads/verify", methods=["POST"], content_types=ANY_BODY)
def verify_upload():
    response = _handle(lambda: default_service().verify_upload(_body()))
    if response.status_code == ScanPendingError.status:  # AWS: the scan step has not answered yet
        response.headers["Retry-After"] = str(ScanPendingError.retry_after)
    return response


@app.route("/api/submissions", methods=["POST"], content_types=ANY_BODY)
def submit():
    headers = app.current_request.headers
    return _handle(
        lambda: default_service().submit(_body(), headers.get("idempotency-key"), _client()),
        status=201,
    )


@app.route("/api/dossiers/resend", methods=["POST"], content_types=ANY_BODY)
def resend_secret():
    return _handle(lambda: default_service().resend_secret(_body(), _client()))


@app.route("/api/dossiers/{code}", methods=["GET"])
def lookup(code):
    secret = app.current_request.headers.get("x-lookup-secret")
    return _handle(lambda: default_rating_desk().lookup(code, secret, _client()))


@app.route("/api/dossiers/{code}/receipt-qr", methods=["GET"])
def receipt_qr(code):
    secret = app.current_request.headers.get("x-lookup-secret")
    return _handle(lambda: default_service().receipt_qr(code, secret, _client()), respond=_svg)


@app.route("/api/dossiers/{code}/rating", methods=["POST"], content_types=ANY_BODY)
def rate(code):
    secret = _header("x-lookup-secret")
    return _handle(lambda: default_rating_desk().rate(code, secret, _client(), _body()), 201)


def _header(name: str) -> str | None:
    return app.current_request.headers.get(name)


@app.route("/api/dossiers/{code}/supplement-uploads", methods=["POST"], content_types=ANY_BODY)
def supplement_upload(code):
    secret = _header("x-lookup-secret")
    return _handle(lambda: default_service().supplement_target(code, secret, _client(), _body()))


@app.route("/api/dossiers/{code}/actions/{action}", methods=["POST"], content_types=ANY_BODY)
def applicant_action(code, action):
    secret, request_id = _header("x-lookup-secret"), _header("idempotency-key")
    return _handle(
        lambda: default_service().applicant_act(
            code, secret, _client(), action, _body(), request_id
        )
    )


@app.route("/api/handover/events", methods=["POST"], content_types=ANY_BODY)
def handover_event():
    """A status pushed back by a province's system (chalicelib/handover_events.py)."""
    request = app.current_request
    sent = {name.lower(): value for name, value in request.headers.items()}
    return _handle(lambda: default_handover_events().receive(sent, request.raw_body or b""))


# --- officers: a session cookie; state-changing routes also need the X-CSRF-Token header --------


def _session() -> str | None:
    return officers.token_from_cookie_header(_header("cookie"))


def _officer():
    """The signed-in officer (401 not_authenticated otherwise)."""
    return default_backoffice().signed_in(_session())


def _officer_changing():
    """The signed-in officer of a state-changing request (also 403 csrf_failed)."""
    return default_backoffice().signed_in(_session(), changing=True, csrf=_header("x-csrf-token"))


def _secure() -> bool:
    return default_service().public_url.startswith("https://")


@app.route("/api/office/login", methods=["POST"], content_types=ANY_BODY)
def office_login():
    issued = {}

    def login():
        issued["token"], reply = default_backoffice().login(_body(), _client())
        return reply

    response = _handle(login)
    if response.status_code == 200:
        max_age = default_backoffice().auth.session_seconds
        cookie = officers.session_cookie(issued["token"], secure=_secure(), max_age=max_age)
        response.headers["Set-Cookie"] = cookie
    return response


@app.route("/api/office/logout", methods=["POST"], content_types=ANY_BODY)
def office_logout():
    session, csrf = _session(), _header("x-csrf-token")
    response = _handle(lambda: default_backoffice().logout(session, csrf))
    if response.status_code == 200:
        response.headers["Set-Cookie"] = officers.clear_cookie(secure=_secure())
    return response


@app.route("/api/office/me", methods=["GET"])
def office_me():
    session = _session()
    return _handle(lambda: default_backoffice().whoami(session))


@app.route("/api/office/queue", methods=["GET"])
def office_queue():
    params = dict(app.current_request.query_params or {})
    return _handle(lambda: default_backoffice().queue(_officer(), params))


@app.route("/api/office/dossiers/{code}", methods=["GET"])
def office_dossier(code):
    return _handle(lambda: default_backoffice().dossier(_officer(), code))


@app.route("/api/office/dossiers/{code}/actions/{action}", methods=["POST"], content_types=ANY_BODY)
def office_action(code, action):
    request_id = _header("idempotency-key")
    return _handle(
        lambda: default_backoffice().act(_officer_changing(), code, action, _body(), request_id)
    )


@app.route("/api/office/dossiers/{code}/files/{n}", methods=["GET"])
def office_file(code, n):
    return _handle(lambda: default_backoffice().file_link(_officer(), code, n))


@app.route("/api/office/dossiers/{code}/result-upload", methods=["POST"], content_types=ANY_BODY)
def office_result_upload(code):
    return _handle(lambda: default_backoffice().result_target(_officer_changing(), code, _body()))


@app.route("/api/office/outbox", methods=["GET"])
def office_outbox():
    params = app.current_request.query_params or {}
    return _handle(lambda: default_backoffice().deliveries(_officer(), dict(params)))


@app.route("/api/office/outbox/retry", methods=["POST"], content_types=ANY_BODY)
def office_outbox_retry():
    return _handle(lambda: default_backoffice().retry_delivery(_officer_changing(), _body()))


@app.schedule(Rate(1, unit=Rate.MINUTES), name="outbox")
def send_notifications(event):
    """AWS: the outbox worker (chalicelib/outbox.py) once a minute, through SES."""
    return asdict(default_outbox_worker().run_once())


@app.schedule(Rate(1, unit=Rate.DAYS))
def nightly_purge(event):
    """Once a day on AWS, what `motcua purge` does on the other targets (their timer): uploads no
    dossier references after two days, verified or not, and dossiers past their retention period
    with their files (chalicelib/admin/purge.py). A function of its own, with its own role
    (.chalice/purge-policy.json): the API's role cannot list the bucket's objects or delete a
    dossier."""
    from chalicelib.admin.purge import on_schedule

    done = on_schedule(dt.datetime.now(dt.UTC))
    log.info("purge: %s", json.dumps(done))
    return done
