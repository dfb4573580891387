"""The object-level rule, route by route: an officer sees and acts only on the dossiers of their
own offices; any other dossier answers 404 exactly as an unknown code. The list of routes comes
from the app, so a new officer route without a case here fails the first test."""

import concurrent.futures
import sys

import pytest

from app import app

from .client import PROCEDURE, WITH_FILES, file, officer, other_office

pytestmark = pytest.mark.slow  # a server on loopback

UNKNOWN = "ubnd-cap-xa-261207-9999"


def _requests(code: str, office: str) -> dict[tuple[str, str], tuple[str, dict | None]]:
    """(route, method) -> (path, body) of one request about dossier `code` of `office`."""
    base = f"/api/office/dossiers/{code}"
    return {
        ("/api/office/queue", "GET"): (f"/api/office/queue?office={office}", None),
        ("/api/office/dossiers/{code}", "GET"): (base, None),
        ("/api/office/dossiers/{code}/files/{n}", "GET"): (f"{base}/files/0", None),
        ("/api/office/dossiers/{code}/result-upload", "POST"): (
            f"{base}/result-upload",
            {"content_type": "application/pdf", "size": 100},
        ),
        ("/api/office/dossiers/{code}/actions/{action}", "POST"): (
            f"{base}/actions/receive",
            {"version": 0, "data": {}},
        ),
        ("/api/office/outbox", "GET"): (f"/api/office/outbox?office={office}", None),
        ("/api/office/outbox/retry", "POST"): ("/api/office/outbox/retry", {"id": f"{code}:0:sms"}),
    }


# Routes about the signed-in officer, not about a dossier or an office.
NOT_ABOUT_A_DOSSIER = {
    ("/api/office/login", "POST"),
    ("/api/office/logout", "POST"),
    ("/api/office/me", "GET"),
}


def officer_routes() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, methods in app.routes.items()
        if path.startswith("/api/office/")
        for method in methods
    }


def send(who, method: str, path: str, body):
    return who.get(path) if method == "GET" else who.post(path, body)


def test_every_officer_route_has_a_case_here():
    assert set(_requests("c", "o")) | NOT_ABOUT_A_DOSSIER == officer_routes()


def test_an_officer_of_another_office_gets_404_on_every_route_as_for_an_unknown_code(server):
    applicant = file(server, PROCEDURE, WITH_FILES)  # with files
    outsider = officer(
        server,
        roles={"mot_cua", "chuyen_vien", "lanh_dao"},
        offices={other_office(applicant.office)},
    )
    insider = officer(server, roles={"mot_cua", "lanh_dao"}, offices={applicant.office})
    theirs = _requests(applicant.code, applicant.office)
    unknown = _requests(UNKNOWN, "khong-co-co-quan-nay")
    for route, (path, body) in theirs.items():
        status, reply = send(outsider, route[1], path, body)
        assert status == 404 and reply["code"] == "not_found", (route, reply)
        assert (status, reply) == send(outsider, route[1], *unknown[route]), route
    assert applicant.view()["version"] == 0  # nothing happened to it
    expected = {  # the same requests by its own office
        ("/api/office/queue", "GET"): 200,
        ("/api/office/dossiers/{code}", "GET"): 200,
        ("/api/office/dossiers/{code}/files/{n}", "GET"): 200,
        ("/api/office/dossiers/{code}/result-upload", "POST"): 409,  # not done yet
        ("/api/office/dossiers/{code}/actions/{action}", "POST"): 200,
        ("/api/office/outbox", "GET"): 200,
        # The applicant gave no contact: the dossier has no delivery to send again.
        ("/api/office/outbox/retry", "POST"): 404,
    }
    for route, (path, body) in theirs.items():
        status, reply = send(insider, route[1], path, body)
        assert status == expected[route], (route, reply)


def test_every_officer_route_but_login_needs_a_session(server):
    for path, method in sorted(officer_routes() - {("/api/office/login", "POST")}):
        concrete = path.replace("{code}", UNKNOWN).replace("{action}", "receive")
        concrete = concrete.replace("{n}", "0")
        body = {"version": 0, "data": {}} if method == "POST" else None
        status, reply = server.request(method, concrete, body)
        assert status == 401 and reply["code"] == "not_authenticated", (path, reply)


def test_every_state_changing_officer_route_needs_the_csrf_token(server):
    applicant = file(server)
    insider = officer(server, roles={"mot_cua"}, offices={applicant.office})
    changing = {route for route in officer_routes() if route[1] != "GET"}
    changing -= {("/api/office/login", "POST")}
    requests = _requests(applicant.code, applicant.office)
    for route in sorted(changing):
        path, body = requests.get(route, (route[0], {}))
        for token in (None, "sai-" + insider.csrf):
            headers = {"Cookie": insider.cookie}
            if token:
                headers["X-CSRF-Token"] = token
            status, reply = server.request("POST", path, body, headers)
            assert status == 403 and reply["code"] == "csrf_failed", (route, token, reply)
    assert applicant.view()["version"] == 0
    assert insider.get("/api/office/me")[0] == 200  # the session was not ended


def test_requests_served_at_once_each_see_their_own_session(server):
    """The local server's threads must not share Chalice's current request: a state-changing
    route reads the cookie, looks the session up, then reads the CSRF header; with another
    request's header it would answer 403 instead of the 404 of an unknown dossier."""
    applicant = file(server)
    signed_in = [officer(server, roles={"mot_cua"}, offices={applicant.office}) for _ in range(4)]
    path = f"/api/office/dossiers/{UNKNOWN}/result-upload"
    body = {"content_type": "application/pdf", "size": 100}
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the server's threads (in this process) take turns often
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            asked = [pool.submit(who.post, path, body) for who in signed_in * 40]
            answers = [future.result(timeout=60) for future in asked]
    finally:
        sys.setswitchinterval(interval)
    assert [status for status, _ in answers] == [404] * len(answers), answers
