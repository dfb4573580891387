"""The WSGI adapter's route matcher (chalicelib/local/wsgi.py) answers every address as Chalice's
own RouteMatcher does: the routes without parameters from a set, the rest by Chalice; its
context object is `chalice local`'s, without the request id made on every request."""

import io
import uuid

import pytest
from chalice.local import LambdaContext, RouteMatcher

from app import app
from chalicelib.local.wsgi import ChaliceWSGI, Context, Routes

ROUTES = list(app.routes)
ADDRESSES = [
    *ROUTES,
    *(route + "/" for route in ROUTES),
    *(route + "?a=1&a=2&b=" for route in ROUTES),
    "/api/submissions",
    "/api/dossiers/resend",
    "/api/dossiers/01-260101-0001",
    "/api/dossiers/01-260101-0001/receipt-qr",
    "/api/procedures/1.000894/form",
    "/api/nothing-here",
    "/api/submissions;x",
    "/",
]


def _match(matcher: RouteMatcher, address: str):
    try:
        return matcher.match_route(address)
    except ValueError as error:
        return str(error)


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_adapter_matches_an_address_as_chalice_does(address):
    assert _match(Routes(ROUTES), address) == _match(RouteMatcher(ROUTES), address)


def test_the_routes_without_parameters_are_answered_without_chalice():
    exact = Routes(ROUTES)._exact
    assert "/api/submissions" in exact
    assert exact == {route for route in ROUTES if "{" not in route}


def _call(api, method: str, path: str) -> tuple[str, bytes]:
    replies: list[str] = []
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(b""),
        "REMOTE_ADDR": "127.0.0.1",
    }
    body = b"".join(api(environ, lambda status, headers, exc_info=None: replies.append(status)))
    return replies[0], body


def test_the_context_has_every_attribute_of_chalice_locals():
    ours, chalices = Context("motcua", 1024, 30_000), LambdaContext("motcua", 1024, 30_000)
    for name, value in vars(chalices).items():
        if name.startswith("_"):
            continue
        if name == "aws_request_id":
            assert uuid.UUID(ours.aws_request_id).version == 4
            assert ours.aws_request_id == ours.aws_request_id  # one id a request
        else:
            assert getattr(ours, name) == value, name
    assert 29_000 < ours.get_remaining_time_in_millis() <= 30_000


def test_a_request_makes_no_request_id_that_nothing_reads(monkeypatch):
    def refused():
        raise AssertionError("uuid4 made on a request")

    monkeypatch.setattr(uuid, "uuid4", refused)
    status, body = _call(ChaliceWSGI(app), "GET", "/api/submissions")
    assert status.startswith("405") and b"method_not_allowed" in body
