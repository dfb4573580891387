"""What fills storage is limited, against functions/serve.py itself: upload targets and
submissions per client and for everyone (429, Retry-After, a Vietnamese message), files bound
to the draft that asked for them and used by one dossier at most, and the applicant's "Xóa"
deleting the server's copy (issue 15: "storage grows without limit", "an upload key can be
attached to any number of dossiers", "'Xóa' ... nothing is removed on the server")."""

import http.client
import json
import time

import pytest

from .client import PROCEDURE, WITH_FILES, key, submission, upload
from .conftest import free_port
from .filling import FILES, answers_for
from .test_restart import start

pytestmark = pytest.mark.slow  # servers on loopback

NO_FILES = "1.000894"  # đăng ký kết hôn: a form without uploads


@pytest.fixture
def limited(tmp_path, site_dir, bundle_path, clamd):
    """serve.py with small limits: 3 submissions and 5 upload targets per client a minute, 5 and
    8 for everyone."""
    port = free_port()
    settings = {
        "MOTCUA_SUBMISSIONS_PER_CLIENT": "3",
        "MOTCUA_SUBMISSIONS_PER_MINUTE": "5",
        "MOTCUA_UPLOADS_PER_CLIENT": "5",
        "MOTCUA_UPLOADS_PER_MINUTE": "8",
        "MOTCUA_CLAMD": clamd.address,
    }
    process = start(port, tmp_path / "var", site_dir, bundle_path, workers=2, env=settings)
    fresh_window()
    yield port
    process.terminate()
    process.wait(timeout=10)


def fresh_window() -> None:
    """Waits for a window (aligned on the minute) with 15 s left at least, so that no count
    starts again in the middle of a test."""
    left = 60 - time.time() % 60
    if left < 15:
        time.sleep(left + 0.1)


def post(port: int, path: str, body: dict, *, client: str = "127.0.0.1", headers=None):
    """(status, JSON body, headers) of a POST from the loopback address `client`."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(client, 0)
    )
    try:
        sent = {"Content-Type": "application/json", **(headers or {})}
        connection.request("POST", path, json.dumps(body).encode(), sent)
        response = connection.getresponse()
        return response.status, json.loads(response.read()), response.headers
    finally:
        connection.close()


def get_form(port: int, procedure: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/api/procedures/{procedure}/form")
    form = json.loads(connection.getresponse().read())
    connection.close()
    return form


def form_body(port: int) -> dict:
    form = get_form(port, NO_FILES)
    answers = answers_for(form["form"])
    return {"procedure": NO_FILES, "answers": answers, "office": form["offices"][0]["id"]}


def file_one(port: int, body: dict, client: str = "127.0.0.1"):
    return post(port, "/api/submissions", body, client=client, headers={"Idempotency-Key": key()})


def assert_limited(reply, headers, words: str) -> None:
    assert reply["code"] == "rate_limited" and words in reply["message"], reply
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert f"{headers['Retry-After']} giây" in reply["message"]


def test_submissions_are_limited_per_client_and_for_everyone_with_retry_after(limited):
    body = form_body(limited)
    assert [file_one(limited, body)[0] for _ in range(3)] == [201, 201, 201]
    status, reply, headers = file_one(limited, body)
    assert status == 429
    assert_limited(reply, headers, "từ địa chỉ của bạn")
    # Refused on its own count, it used none of everyone's: two more clients get the last two.
    assert file_one(limited, body, client="127.0.0.2")[0] == 201
    assert file_one(limited, body, client="127.0.0.3")[0] == 201
    status, reply, headers = file_one(limited, body, client="127.0.0.4")
    assert status == 429
    assert_limited(reply, headers, "Hệ thống đang nhận quá nhiều hồ sơ")


def test_upload_targets_are_limited_per_client(limited):
    content_type, data = FILES["pdf"]
    form = get_form(limited, PROCEDURE)["form"]
    request = {
        "procedure": PROCEDURE,
        "slot": next(s for p in form["pages"] for s in p.get("uploads", []))["id"],
        "draft": key(),
        "content_type": content_type,
        "size": len(data),
    }
    statuses = [post(limited, "/api/uploads", request)[0] for _ in range(5)]
    assert statuses == [200] * 5
    status, reply, headers = post(limited, "/api/uploads", request)
    assert status == 429
    assert_limited(reply, headers, "yêu cầu tải tệp")
    assert post(limited, "/api/uploads", request, client="127.0.0.2")[0] == statuses[0]


# --- files bound to their draft (the shared server: no rate limits) ----------------------------


def test_a_draft_s_files_are_refused_in_a_submission_under_another_key(server):
    draft = key()
    body = submission(server, PROCEDURE, WITH_FILES, draft=draft)
    assert body["uploads"]
    status, reply = server.request("POST", "/api/submissions", body, {"Idempotency-Key": key()})
    assert status == 422 and reply["code"] == "validation_failed"
    slot = next(iter(body["uploads"]))
    assert "bản nháp khác" in reply["fields"][f"/uploads/{slot}/0"]
    status, filed = server.request("POST", "/api/submissions", body, {"Idempotency-Key": draft})
    assert status == 201, filed
    # A retry gets the same dossier; the files serve no second dossier, under any key.
    status, again = server.request("POST", "/api/submissions", body, {"Idempotency-Key": draft})
    assert status == 201 and again["code"] == filed["code"]
    other = {**body, "answers": {**body["answers"]}}
    other["answers"][next(k for k, v in other["answers"].items() if isinstance(v, str))] += " B"
    status, reply = server.request("POST", "/api/submissions", other, {"Idempotency-Key": draft})
    assert status == 409 and reply["code"] == "idempotency_conflict"
    status, reply = server.request("POST", "/api/submissions", other, {"Idempotency-Key": key()})
    assert status == 422 and "bản nháp khác" in reply["fields"][f"/uploads/{slot}/0"]


def test_an_upload_target_needs_its_draft(server):
    content_type, data = FILES["pdf"]
    request = {"procedure": PROCEDURE, "slot": slot_of(server)["id"], "content_type": content_type}
    status, reply = server.request("POST", "/api/uploads", {**request, "size": len(data)})
    assert status == 422 and "/draft" in reply["fields"]


def uploads_root(server):
    from chalicelib.wiring import default_service

    return default_service().uploads.root


def slot_of(server) -> dict:
    _, form = server.request("GET", f"/api/procedures/{PROCEDURE}/form")
    return next(s for p in form["form"]["pages"] for s in p.get("uploads", []))


def test_xoa_deletes_the_server_copy_of_a_draft_s_file_verified_or_not(server):
    draft = key()
    slot = slot_of(server)
    root = uploads_root(server)
    verified = upload(server, PROCEDURE, slot, "pdf", draft=draft)
    assert server.request("POST", "/api/uploads/verify", {"key": verified})[0] == 200
    waiting = upload(server, PROCEDURE, slot, "pdf", draft=draft)  # never verified
    assert (root / "accepted" / verified).is_file() and (root / "quarantine" / waiting).is_file()

    status, reply = server.request("POST", "/api/uploads/delete", {"key": verified, "draft": key()})
    assert status == 404 and (root / "accepted" / verified).is_file()  # another draft's: kept
    for upload_key in (verified, waiting):
        status, reply = server.request(
            "POST", "/api/uploads/delete", {"key": upload_key, "draft": draft}
        )
        assert status == 200 and reply == {"key": upload_key, "deleted": True}
    assert not any(
        (root / area / name).exists()
        for area in ("quarantine", "accepted", "digests")
        for name in (verified, waiting)
    )
    status, reply = server.request("POST", "/api/uploads/verify", {"key": verified})
    assert status == 404  # gone: a submission naming it is refused too


def test_a_filed_draft_s_files_cannot_be_deleted(server):
    draft = key()
    body = submission(server, PROCEDURE, WITH_FILES, draft=draft)
    status, filed = server.request("POST", "/api/submissions", body, {"Idempotency-Key": draft})
    assert status == 201, filed
    kept = next(iter(body["uploads"].values()))[0]
    status, reply = server.request("POST", "/api/uploads/delete", {"key": kept, "draft": draft})
    assert status == 409 and reply["code"] == "action_not_allowed"
    assert (uploads_root(server) / "accepted" / kept).is_file()
