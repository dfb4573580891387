"""The WSGI adapter's route matcher (chalicelib/local/wsgi.py) answers every address as Chalice's
own RouteMatcher does: the routes without parameters from a set, the rest by Chalice."""

import pytest
from chalice.local import RouteMatcher

from app import app
from chalicelib.local.wsgi import Routes

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
