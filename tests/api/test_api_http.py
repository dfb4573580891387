"""The API over real HTTP on loopback: forms, signed uploads, idempotent submissions, lookups."""

import concurrent.futures
import http.client
import json
import re
import urllib.error
import urllib.request

import pytest
import segno
from chalice.test import Client

from app import app
from chalicelib import lookup_secret, openapi, receipt
from chalicelib.config import MAX_BODY_BYTES
from tests.qr_modules import drawn_modules, with_quiet_zone

from .client import PROCEDURE, key, submission, upload

pytestmark = pytest.mark.slow  # a server on loopback


def test_every_route_is_in_the_openapi_document(server):
    status, document = server.request("GET", "/api/openapi.json")
    assert status == 200
    for path, methods in app.routes.items():
        for method in methods:
            assert method.lower() in document["paths"][path], (path, method)
    # functions/serve.py's own route beside Chalice's (chalicelib/local/upload.py)
    assert {"get", "post"} <= set(document["paths"]["/api/uploads/local"])
    assert document == openapi.document()


def test_a_form_comes_with_the_json_schema_the_server_validates_with(server):
    status, body = server.request("GET", f"/api/procedures/{PROCEDURE}/form")
    assert status == 200
    assert body["schema"]["properties"]["answers"]["properties"]
    status, body = server.request("GET", "/api/procedures/9.999999/form")
    assert status == 404 and body["code"] == "not_found" and body["message"]


def test_a_dossier_is_filed_looked_up_and_a_retry_returns_the_same_one(server):
    body = submission(server)
    idem = key()
    status, first = server.request("POST", "/api/submissions", body, {"Idempotency-Key": idem})
    assert status == 201, first
    assert first["status"] == 1 and first["status_label"] == "Mới đăng ký"
    assert re.fullmatch(r"[0-9BCFGHJKMNPQRSTVX]{4}(-[0-9BCFGHJKMNPQRSTVX]{4}){2}", first["secret"])
    status, again = server.request("POST", "/api/submissions", body, {"Idempotency-Key": idem})
    assert status == 201 and again["code"] == first["code"] and again["secret"] == first["secret"]
    status, seen = server.request(
        "GET", f"/api/dossiers/{first['code']}", headers={"X-Lookup-Secret": first["secret"]}
    )
    assert status == 200 and seen["code"] == first["code"] and seen["timeline"][0]["status"] == 1


def test_a_secret_is_accepted_grouped_or_not_in_any_case_and_a_typo_is_no_guess(server):
    _, filed = server.request(
        "POST", "/api/submissions", submission(server), {"Idempotency-Key": key()}
    )
    code, secret = filed["code"], filed["secret"]
    plain = secret.replace("-", "")
    typed = [
        secret,
        secret.lower(),
        plain,
        plain.lower(),
        f" {plain[:4]} {plain[4:8]} {plain[8:]} ",
        f"{secret[:7].lower()}{secret[7:]}",
        secret.replace("-", "."),
        plain.replace("0", "o").replace("1", "l"),  # read as 0 and 1, as Crockford's base32 does
    ]
    for text in typed:
        status, seen = server.request(
            "GET", f"/api/dossiers/{code}", headers={"X-Lookup-Secret": text}
        )
        assert status == 200 and seen["code"] == code, text
    # One character changed, two neighbours swapped: the check character catches both; a 422
    # that names the header, not a 404, and not a guess: the client may keep trying.
    changed = plain[:-1] + ("0" if plain[-1] != "0" else "1")
    swapped = plain[1] + plain[0] + plain[2:] if plain[0] != plain[1] else plain[:2] + "B" * 10
    host, port = server.base.split("//")[1].split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=30, source_address=("127.0.0.3", 0)
    )
    try:  # closed even when an assertion fails (else a later test meets its ResourceWarning)
        for _ in range(30):
            for text in (changed, swapped, "abc"):  # none at all is a 401 (the receipt QR test)
                headers = {"X-Lookup-Secret": text}
                connection.request("GET", f"/api/dossiers/{code}", headers=headers)
                response = connection.getresponse()
                reply = json.loads(response.read())
                assert response.status == 422 and "/headers/X-Lookup-Secret" in reply["fields"]
        connection.request("GET", f"/api/dossiers/{code}", headers={"X-Lookup-Secret": plain})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 200  # 120 typos later, not rate limited


def test_the_form_lists_the_offices_that_accept_it_and_the_address_that_suggests_one(server):
    status, body = server.request("GET", f"/api/procedures/{PROCEDURE}/form")
    assert status == 200
    # xác nhận tình trạng hôn nhân: the one-stop centre of each of Hải Phòng's 114 communes.
    assert len(body["offices"]) == 114
    assert all(
        o["level"] == "xa" and o["id"].startswith("trung-tam-pvhcc-") for o in body["offices"]
    )
    assert body["cross_boundary"] is False
    addresses = [
        f["id"]
        for p in body["form"]["pages"]
        for f in p.get("fields", [])
        if f["type"] == "address"
    ]
    assert body["office_from"] == addresses[0]


def test_a_dossier_is_filed_with_the_office_chosen_and_coded_by_its_identifier(server):
    body = {**submission(server), "office": "trung-tam-pvhcc-phuong-le-chan"}
    status, filed = server.request("POST", "/api/submissions", body, {"Idempotency-Key": key()})
    assert status == 201, filed
    assert filed["code"].startswith("11383.HCC-") and filed["code"].count("-") == 2
    assert filed["office"] == {
        "id": "trung-tam-pvhcc-phuong-le-chan",
        "name": "Trung tâm Phục vụ hành chính công Phường Lê Chân",
    }
    status, seen = server.request(
        "GET", f"/api/dossiers/{filed['code']}", headers={"X-Lookup-Secret": filed["secret"]}
    )
    assert status == 200 and seen["office"] == filed["office"]


@pytest.mark.parametrize(
    ("office", "message"),
    [
        (None, "Chọn nơi nộp hồ sơ."),
        ("", "Chọn nơi nộp hồ sơ."),
        ("cong-an-phuong-le-chan", "không nhận hồ sơ của thủ tục này"),  # police: not this one
        ("trung-tam-pvhcc-khong-co", "không nhận hồ sơ của thủ tục này"),
    ],
)
def test_a_missing_or_wrong_office_is_refused_on_its_field(server, office, message):
    body = submission(server)
    if office is None:
        del body["office"]
    else:
        body["office"] = office
    status, reply = server.request("POST", "/api/submissions", body, {"Idempotency-Key": key()})
    assert status == 422 and reply["code"] == "validation_failed"
    assert message in reply["fields"]["/office"]


def test_the_receipt_links_to_the_status_page_with_the_secret_in_the_fragment(server):
    body = submission(server)
    idem = key()
    status, first = server.request("POST", "/api/submissions", body, {"Idempotency-Key": idem})
    assert status == 201, first
    code, secret = first["code"], first["secret"]
    assert first["receipt"] == {"status_url": f"{server.base}/tra-cuu/#ma={code}&khoa={secret}"}
    status, again = server.request("POST", "/api/submissions", body, {"Idempotency-Key": idem})
    assert status == 201 and again["receipt"] == first["receipt"]
    status, seen = server.request(
        "GET", f"/api/dossiers/{code}", headers={"X-Lookup-Secret": secret}
    )
    assert status == 200 and "receipt" not in seen and "secret" not in seen


def get(server, path: str, headers: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(server.base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_receipt_qr_code_is_shown_to_the_holder_of_the_secret_and_kept_by_that_client(
    server,
):
    status, filed = server.request(
        "POST", "/api/submissions", submission(server), {"Idempotency-Key": key()}
    )
    assert status == 201, filed
    code, secret = filed["code"], filed["secret"]
    path = f"/api/dossiers/{code}/receipt-qr"
    status, headers, svg = get(server, path, {"X-Lookup-Secret": secret})
    assert status == 200
    assert headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert headers["Cache-Control"] == "private, max-age=86400"
    assert headers["Vary"] == "X-Lookup-Secret"
    url = filed["receipt"]["status_url"]
    assert svg.decode() == receipt.receipt_qr(server.base, code, secret)
    assert drawn_modules(svg.decode()) == with_quiet_zone(segno.make_qr(url, error="m").matrix, 4)
    assert f"<title>Mã QR tra cứu hồ sơ {code}</title>" in svg.decode()
    # A wrong secret, an unknown code: one JSON answer, never stored by anyone; a secret that
    # could be none: a 422 naming the header, never stored either.
    refused = [
        get(server, path, {"X-Lookup-Secret": well_formed(7)}),
        get(server, f"/api/dossiers/{code[:-1]}9/receipt-qr", {"X-Lookup-Secret": secret}),
    ]
    for status, headers, reply in refused:
        assert status == 404 and headers["Cache-Control"] == "no-store"
        assert json.loads(reply)["code"] == "not_found"
    assert len({reply for _, _, reply in refused}) == 1
    status, headers, reply = get(server, path, {"X-Lookup-Secret": "sai" + secret})
    assert status == 422 and headers["Cache-Control"] == "no-store"
    assert "/headers/X-Lookup-Secret" in json.loads(reply)["fields"]
    # No secret at all is not a guess (401, not counted), and says nothing about the code either.
    missing = [get(server, path, {}), get(server, f"/api/dossiers/{code[:-1]}9/receipt-qr", {})]
    for status, headers, reply in missing:
        assert status == 401 and headers["Cache-Control"] == "no-store"
        assert json.loads(reply)["code"] == "secret_required"
    assert len({reply for _, _, reply in missing}) == 1


def test_a_405_names_the_allowed_methods(server):
    for path, allowed in (
        ("/api/submissions", "POST"),
        ("/api/dossiers/10507.HCC-261207-0001", "GET"),
        ("/api/uploads/local", "GET, POST"),
    ):
        status, reply, headers = server.exchange("DELETE", path)
        assert status == 405 and reply["code"] == "method_not_allowed", reply
        assert headers["Allow"] == allowed


@pytest.mark.parametrize("encoded", ["%3F", "%23"])
def test_an_encoded_question_mark_or_hash_in_a_path_is_no_route(server, encoded):
    path = f"/api/office/dossiers/a{encoded}b/actions/receive"
    status, reply = server.request("POST", path, {})
    assert status == 404 and reply["code"] == "not_found", reply


def test_one_body_limit_on_the_local_server_and_in_the_lambda_handler(server):
    headers = {"Idempotency-Key": key()}
    at_limit = b" " * MAX_BODY_BYTES  # not JSON, but not too large: read, then refused as JSON
    status, reply = server.request("POST", "/api/submissions", headers=headers, raw=at_limit)
    assert status == 400 and reply["code"] == "bad_request", reply
    over = at_limit + b" "
    status, reply = server.request("POST", "/api/submissions", headers=headers, raw=over)
    assert status == 413 and reply["code"] == "payload_too_large", reply
    with Client(app) as lambda_client:  # app.py itself, as on Lambda (no WSGI adapter in front)
        for body, expected in ((at_limit, 400), (over, 413)):
            response = lambda_client.http.post(
                "/api/submissions",
                body=body,
                headers={"Content-Type": "application/json", **headers},
            )
            assert response.status_code == expected, response.body[:200]


def test_the_same_key_with_another_body_is_refused(server):
    body = submission(server)
    idem = key()
    assert server.request("POST", "/api/submissions", body, {"Idempotency-Key": idem})[0] == 201
    body["answers"] = {**body["answers"]}
    first_text = next(k for k, v in body["answers"].items() if isinstance(v, str) and len(v) > 3)
    body["answers"][first_text] = body["answers"][first_text] + " B"
    status, reply = server.request("POST", "/api/submissions", body, {"Idempotency-Key": idem})
    assert status == 409 and reply["code"] == "idempotency_conflict"


def test_fifty_sequential_and_twenty_concurrent_retries_file_one_dossier(server):
    body = submission(server)
    idem = key()
    codes = {
        server.request("POST", "/api/submissions", body, {"Idempotency-Key": idem})[1]["code"]
        for _ in range(50)
    }
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        replies = list(
            pool.map(
                lambda _: server.request(
                    "POST", "/api/submissions", body, {"Idempotency-Key": idem}
                ),
                range(20),
            )
        )
    codes |= {reply["code"] for status, reply in replies if status == 201}
    assert len(codes) == 1 and all(status == 201 for status, _ in replies)


def test_two_hundred_concurrent_submissions_get_consecutive_codes(server):
    body = submission(server)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        replies = list(
            pool.map(
                lambda _: server.request(
                    "POST", "/api/submissions", body, {"Idempotency-Key": key()}
                ),
                range(200),
            )
        )
    assert all(status == 201 for status, _ in replies)
    numbers = sorted(int(reply["code"].rsplit("-", 1)[1]) for _, reply in replies)
    assert numbers == list(range(numbers[0], numbers[0] + 200))


def test_answers_are_checked_field_by_field_in_vietnamese(server):
    body = submission(server)
    body["answers"] = {**body["answers"], "khong-co": 1}
    phone = next((k for k in body["answers"] if "dien-thoai" in k), None)
    if phone:
        body["answers"][phone] = "12345"
    status, reply = server.request("POST", "/api/submissions", body, {"Idempotency-Key": key()})
    assert status == 422 and reply["code"] == "validation_failed"
    assert "/answers/khong-co" in reply["fields"]
    if phone:
        assert "10 chữ số" in reply["fields"][f"/answers/{phone}"]


def test_a_submission_needs_its_uploads_and_an_idempotency_key(server):
    body = submission(server)
    status, reply = server.request("POST", "/api/submissions", body)
    assert status == 400 and "Idempotency-Key" in reply["message"]
    if body["uploads"]:
        body["uploads"] = {}
        status, reply = server.request("POST", "/api/submissions", body, {"Idempotency-Key": key()})
        assert status == 422 and any(k.startswith("/uploads/") for k in reply["fields"])


def test_a_file_whose_bytes_are_not_its_declared_type_is_refused(server):
    status, form = server.request("GET", f"/api/procedures/{PROCEDURE}/form")
    slot = next(s for p in form["form"]["pages"] for s in p.get("uploads", []))
    fake = upload(server, PROCEDURE, slot, "pdf", content=b"MZ\x90\x00 not a pdf" + b"0" * 50)
    status, reply = server.request("POST", "/api/uploads/verify", {"key": fake})
    assert status == 422 and reply["fields"]["/key"]


def test_oversized_and_wrong_type_files_are_refused_before_upload(server):
    status, form = server.request("GET", f"/api/procedures/{PROCEDURE}/form")
    slot = next(s for p in form["form"]["pages"] for s in p.get("uploads", []))
    status, reply = server.request(
        "POST",
        "/api/uploads",
        {
            "procedure": PROCEDURE,
            "slot": slot["id"],
            "content_type": "application/pdf",
            "size": slot["max_bytes"] + 1,
        },
    )
    assert status == 422 and "quá lớn" in reply["fields"]["/size"]
    status, reply = server.request(
        "POST",
        "/api/uploads",
        {
            "procedure": PROCEDURE,
            "slot": slot["id"],
            "content_type": "application/x-msdownload",
            "size": 10,
        },
    )
    assert status == 422 and "/content_type" in reply["fields"]


def test_wrong_code_and_wrong_secret_look_the_same_and_guessing_is_rate_limited(server):
    _, filed = server.request(
        "POST", "/api/submissions", submission(server), {"Idempotency-Key": key()}
    )
    wrong_secret = server.request(
        "GET", f"/api/dossiers/{filed['code']}", headers={"X-Lookup-Secret": well_formed(0)}
    )
    wrong_code = server.request(
        "GET", f"/api/dossiers/{filed['code'][:-1]}9", headers={"X-Lookup-Secret": filed["secret"]}
    )
    assert wrong_secret == wrong_code
    assert wrong_secret[0] == 404
    # Another client address on loopback, so the limit it earns does not touch other tests.
    host, port = server.base.split("//")[1].split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=30, source_address=("127.0.0.2", 0)
    )
    found, limited = 0, 0
    for guess in range(10_000):
        connection.request(
            "GET", f"/api/dossiers/{filed['code']}", headers={"X-Lookup-Secret": well_formed(guess)}
        )
        response = connection.getresponse()
        response.read()
        found += response.status == 200
        limited += response.status == 429
    connection.close()
    assert found == 0
    assert limited >= 10_000 - 20
    status, _ = server.request(
        "GET", f"/api/dossiers/{filed['code']}", headers={"X-Lookup-Secret": filed["secret"]}
    )
    assert status == 200  # the applicant, from another address, is not locked out


def well_formed(number: int) -> str:
    """A guess with the shape and check character of a secret (a malformed one is no guess)."""
    digits = f"{number:011d}"
    return digits + lookup_secret.check_character(digits)


def test_malformed_requests_get_json_errors_not_tracebacks(server):
    cases = [
        ("POST", "/api/submissions", b"{not json", {"Idempotency-Key": key()}),
        ("POST", "/api/uploads", b"[1, 2]", {}),
        ("POST", "/api/uploads/verify", b'{"key": "../../etc/passwd"}', {}),
        ("GET", "/api/khong-co", None, {}),
        ("DELETE", "/api/submissions", None, {}),
        ("POST", "/api/submissions", b"\xff\xfe", {"Idempotency-Key": key()}),
        (
            "POST",
            "/api/submissions",
            b'{"procedure": "x"}' + b" " * 600_000,
            {"Idempotency-Key": key()},
        ),
    ]
    for method, path, raw, headers in cases:
        status, reply = server.request(method, path, raw=raw, headers=headers)
        assert 400 <= status < 500, (path, status, reply)
        assert set(reply) == {"code", "message", "fields"}, (path, reply)
