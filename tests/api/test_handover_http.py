"""The hand-over end to end: functions/serve.py over HTTP on loopback hands dossiers (with their
files) to a local "provincial system" by signed webhook, and that system, with the example
client's code (examples/handover_client.py), verifies them and pushes statuses back, which the
applicant's status API follows; the dossier is read-only in the office's back office, and the
applicant's supplement is sent to that system (with its file), not applied. The process is
killed between the filing's commit and the send (one webhook call after the restart); an
endpoint that fails five times is retried from the back office's outbox page (the dossier
received once); forged, wrong-key, out-of-scope and replayed events are refused."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from chalicelib.bundle import Bundle
from chalicelib.officers import OfficerAuth
from chalicelib.storage.accounts_sqlite import SqliteAccounts
from examples import handover_client

from ..services import NO_RATE_LIMITS
from .client import PASSWORD, PROCEDURE, WITH_FILES, Applicant, Officer, file, key, submission
from .conftest import ROOT, Server, free_port

pytestmark = pytest.mark.slow  # servers on loopback

SECRET = "whsec_" + "ZS1lLXRlc3Qtc2lnbmluZy1zZWNyZXQtMzItYnl0ZXM="
API_KEY = "khoa-api-e2e-0000000000000001"


def start(port: int, data_dir, site_dir, bundle_path, env: dict, every: float):
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "functions" / "serve.py"),
            *("--port", str(port), "--data-dir", str(data_dir), "--site-dir", str(site_dir)),
            *("--workers", "1", "--outbox-every", str(every)),
        ],
        env={
            **os.environ,
            "MOTCUA_BUNDLE": str(bundle_path),
            "MOTCUA_STORAGE": "embedded",
            "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{port}",
            **NO_RATE_LIMITS,
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def wait_for(condition, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("not in time")


def test_a_dossier_handed_over_by_webhook_and_its_statuses_back(
    tmp_path, site_dir, bundle_path, clamd
):
    inbox = handover_client.Inbox(SECRET)
    provincial = handover_client.serve(inbox)
    bundle = Bundle.load(bundle_path)
    offices = bundle.offices_for(bundle.version(PROCEDURE, dt.date.today()))
    office, elsewhere = offices[0]["id"], offices[1]["id"]
    config = tmp_path / "handover.json"
    config.write_text(
        json.dumps(
            {
                "clients": [
                    {
                        "id": "he-thong-tinh",
                        "name": "Hệ thống thông tin giải quyết TTHC thành phố",
                        "url": f"http://127.0.0.1:{provincial.server_address[1]}/webhook",
                        "offices": [office],
                        "procedures": [PROCEDURE],
                        "secret": "tinh-ky",
                        "api_key": "tinh-khoa",
                    }
                ]
            }
        )
    )
    env = {
        "MOTCUA_CLAMD": clamd.address,
        "MOTCUA_HANDOVER_FILE": str(config),
        "MOTCUA_SECRET_TINH_KY": SECRET,
        "MOTCUA_SECRET_TINH_KHOA": API_KEY,
    }
    port = free_port()
    motcua = f"http://127.0.0.1:{port}"
    server = Server(motcua)
    data_dir = tmp_path / "var"
    process = start(port, data_dir, site_dir, bundle_path, env, every=0)  # sends nothing
    try:
        applicant = file(server, PROCEDURE, WITH_FILES)
        assert applicant.office == office
        time.sleep(0.5)
        assert inbox.calls == 0  # the filing committed, nothing sent: the process dies now
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

        # Restarted with its worker: the dossier is sent, exactly once.
        process = start(port, data_dir, site_dir, bundle_path, env, every=0.2)
        wait_for(lambda: len(inbox.dossiers) == 1)
        time.sleep(1)
        assert inbox.calls == 1
        delivery_id = f"{applicant.code}:0:webhook"
        dossier = inbox.dossiers[delivery_id]
        assert dossier["code"] == applicant.code and dossier["office"]["id"] == office
        assert dossier["procedure"]["code"] == PROCEDURE and dossier["files"]
        assert all(f["name"] in inbox.files for f in dossier["files"])  # SHA-256 checked

        # The endpoint fails five times for the next dossier; after each failure the officers'
        # outbox page lists the delivery with its last error, and "Gửi lại" sends it again at
        # once (the backoff would wait a minute and more).
        inbox.fail_next = 5
        second = file(server, PROCEDURE, WITH_FILES)
        officer = _officer(server, data_dir, office)
        failing = f"{second.code}:0:webhook"
        for failures in range(1, 6):
            wait_for(lambda n=failures: inbox.calls >= 1 + n)
            wait_for(lambda: _listed(officer, office, failing) is not None)
            assert _listed(officer, office, failing)["last_error"] == "he-thong-tinh: HTTP 500"
            status, reply = officer.post("/api/office/outbox/retry", {"id": failing})
            assert status == 200, reply
        wait_for(lambda: len(inbox.dossiers) == 2)
        time.sleep(1)
        assert inbox.calls == 1 + 6 and sorted(inbox.dossiers) == sorted([delivery_id, failing])
        assert _listed(officer, office, failing) is None  # sent: no longer listed

        _read_only_here(officer, office, applicant)
        _statuses_come_back(motcua, applicant, inbox)
        _refusals(server, motcua, applicant, elsewhere)
    finally:
        process.terminate()
        process.wait(timeout=10)
        provincial.shutdown()
        provincial.server_close()


def _officer(server: Server, data_dir, office: str) -> Officer:
    """An officer of `office`, made in the server's own accounts file, signed in over HTTP."""
    accounts = SqliteAccounts(data_dir / "officers.sqlite3")
    OfficerAuth(accounts, secret_key=b"k" * 32).create(
        username="cb-ban-giao",
        name="Nguyễn Thị Cán Bộ",
        password=PASSWORD,
        roles=["mot_cua"],
        offices=[office],
    )
    return Officer(server, "cb-ban-giao")


def _listed(officer: Officer, office: str, delivery_id: str) -> dict | None:
    """The delivery as the outbox page lists it, None while it does not."""
    status, reply = officer.get(f"/api/office/outbox?office={office}")
    assert status == 200, reply
    return next((item for item in reply["items"] if item["id"] == delivery_id), None)


def _read_only_here(officer: Officer, office: str, applicant: Applicant) -> None:
    """Processed by the province's system: in no queue here, and no action of ours moves it."""
    status, queue = officer.get(f"/api/office/queue?office={office}")
    assert status == 200 and queue["items"] == [] and queue["counts"].get("1") is None, queue
    status, view = officer.get(f"/api/office/dossiers/{applicant.code}")
    assert status == 200 and view["actions"] == [], view
    assert view["handed_over"]["id"] == "he-thong-tinh"
    for action, data in (("receive", {}), ("refuse", {"reason": "Thiếu giấy tờ"})):
        status, reply = officer.act(applicant.code, action, 0, data)
        assert (status, reply["code"]) == (409, "handed_over"), reply
        assert reply["message"].startswith("Hồ sơ này đã được chuyển sang hệ thống")
    assert applicant.view()["status"] == 1


def _statuses_come_back(motcua: str, applicant: Applicant, inbox: handover_client.Inbox) -> None:
    def push(status: int, n: int, **more) -> dict:
        event = handover_client.status_event(
            applicant.code, status, event_id=f"e2e-su-kien-{n:04d}", **more
        )
        answer_status, answer = handover_client.push(motcua, API_KEY, SECRET, event)
        assert answer_status == 200, answer
        return answer

    push(2, 1)
    assert applicant.view()["status"] == 2
    push(4, 2, note="Đã chuyển phòng chuyên môn")
    push(5, 3, items=["Bản sao giấy chứng nhận đã cấp"])
    view = applicant.view()
    assert view["status"] == 5 and view["todo"]["items"] == ["Bản sao giấy chứng nhận đã cấp"]
    again = push(5, 3, items=["Bản sao giấy chứng nhận đã cấp"])
    assert again["duplicate"] is True

    # The applicant's supplement goes to the province's system, signed, with its file; the
    # status stays until that system reports the next one.
    uploaded = applicant.supplement_file()
    note = "Bản sao có chứng thực"
    status, view = applicant.act("supplement", 3, {"uploads": [uploaded], "note": note})
    assert status == 200 and view["status"] == 5, view
    assert view["message"].startswith("Yêu cầu “Bổ sung hồ sơ” đã được gửi tới")
    wait_for(lambda: len(inbox.requests) == 1)
    (request,) = inbox.requests.values()
    assert (request["type"], request["code"], request["note"]) == (
        "dossier.supplemented",
        applicant.code,
        note,
    )
    assert [f["name"] in inbox.files for f in request["files"]] == [True]  # SHA-256 checked
    status, reply = applicant.act("supplement", 4, {"uploads": [uploaded]})
    assert (status, reply["code"]) == (409, "action_not_allowed"), reply  # sent already
    assert applicant.view()["status"] == 5

    push(4, 4)
    push(9, 5)
    view = applicant.view()
    assert view["status"] == 9
    assert [entry["status"] for entry in view["timeline"]] == [1, 2, 4, 5, 5, 4, 9]
    assert view["timeline"][4]["label"] == "Đã gửi tới hệ thống giải quyết TTHC của tỉnh"


def _refusals(server: Server, motcua: str, applicant: Applicant, elsewhere: str) -> None:
    event = handover_client.status_event(applicant.code, 10, event_id="e2e-su-kien-0099")
    body = json.dumps(event).encode()

    def post(headers: dict) -> tuple[int, dict]:
        return server.request("POST", "/api/handover/events", raw=body, headers=headers)

    signed = handover_client.event_headers(API_KEY, SECRET, body)
    status, reply = post({**signed, "X-Api-Key": "khoa-sai-0000000000000000"})
    assert (status, reply["code"]) == (401, "api_key_invalid")
    forged = handover_client.event_headers(API_KEY, "whsec_QUFBQUFBQUFBQUFBQUFBQQ==", body)
    status, reply = post(forged)
    assert (status, reply["code"]) == (401, "signature_invalid")
    replayed = handover_client.event_headers(API_KEY, SECRET, body, now=time.time() - 3600)
    status, reply = post(replayed)
    assert (status, reply["code"]) == (401, "timestamp_out_of_window")

    draft = key()  # a dossier of another office, which our back office processes
    other = {**submission(server, PROCEDURE, WITH_FILES, draft=draft), "office": elsewhere}
    status, filed = server.request("POST", "/api/submissions", other, {"Idempotency-Key": draft})
    assert status == 201, filed
    foreign = handover_client.status_event(filed["code"], 2, event_id="e2e-su-kien-0100")
    status, reply = handover_client.push(motcua, API_KEY, SECRET, foreign)
    assert (status, reply["code"]) == (403, "out_of_scope")

    illegal = {**event, "status": 3, "id": "e2e-su-kien-0101"}  # refused after done: no
    status, reply = handover_client.push(motcua, API_KEY, SECRET, illegal)
    assert (status, reply["code"]) == (409, "action_not_allowed")
    status, reply = handover_client.push(motcua, API_KEY, SECRET, {"id": "x"})
    assert (status, reply["code"]) == (422, "validation_failed")
    assert applicant.view()["status"] == 9  # nothing refused changed it
