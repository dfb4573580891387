"""The dossier's lifecycle over real HTTP: officers act on their office's dossiers, the applicant
follows it, supplements and withdraws from the status routes (docs/lifecycle.md, API)."""

import concurrent.futures
import datetime as dt
import urllib.parse
import urllib.request

import pytest

from chalicelib import lookup_secret
from chalicelib.calendar import VIETNAM
from chalicelib.wiring import default_service

from .client import PROCEDURE, WITH_DEADLINE, WITH_FILES, file, key, officer, send
from .filling import FILES

pytestmark = pytest.mark.slow  # a server on loopback

MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=VIETNAM)


class Clock:
    """The server's clock, moved by the test (the server runs in this process)."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(server, monkeypatch):
    clock = Clock(MONDAY)
    monkeypatch.setattr(default_service(), "now", clock)
    return clock


@pytest.fixture
def desk(server, clock):
    """Files a dossier; a one-stop officer and a specialist of its office."""
    applicant = file(server)
    return (
        applicant,
        officer(server, roles={"mot_cua"}, offices={applicant.office}),
        officer(server, roles={"chuyen_vien"}, offices={applicant.office}),
    )


def working_days_later(due_at: str, days: int) -> str:
    calendar = default_service().bundle.calendar
    due = dt.datetime.fromisoformat(due_at)
    day = due.date()
    for _ in range(days):
        day = calendar.next_working_day(day)
    return dt.datetime.combine(day, due.timetz()).isoformat(timespec="minutes")


def test_a_dossier_goes_from_filing_to_a_result_sent_by_post(server, clock, desk):
    applicant, one_stop, specialist = desk
    filed = applicant.view()
    assert filed["status"] == 1 and filed["actions"] == ["withdraw"] and filed["todo"] is None
    assert filed["timeline"][0]["label"] == "Nộp hồ sơ trực tuyến"

    status, view = one_stop.act(applicant.code, "receive", 0)
    assert status == 200, view
    assert view["status"] == 2 and view["unit_label"] == "Bộ phận Một cửa" and view["due_at"]
    assert {"form": "01", "label": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "seq": 1} in view[
        "printable"
    ]
    due = view["due_at"]
    seen = applicant.view()
    assert (seen["status_label"], seen["due_at"], seen["version"]) == ("Được tiếp nhận", due, 1)

    items = ["Bản sao giấy tờ pháp lý của chủ hộ kinh doanh"]
    status, view = one_stop.act(applicant.code, "request_supplement", 1, {"items": items})
    assert status == 200 and view["status"] == 5, view
    seen = applicant.view()
    assert seen["todo"] == {"kind": "supplement", "items": items, "reason": None}
    assert seen["actions"] == ["supplement", "withdraw"] and seen["clock_stopped_at"]

    clock.advance(days=2, hours=1)  # Wednesday: two working days stood still
    uploaded = applicant.supplement_file()
    status, seen = applicant.act("supplement", 2, {"uploads": [uploaded], "note": "Đã bổ sung"})
    assert status == 200, seen
    assert seen["status"] == 2 and seen["clock_stopped_at"] is None
    assert seen["due_at"] == working_days_later(due, 2)

    status, view = one_stop.get(f"/api/office/dossiers/{applicant.code}")
    offered = [action["name"] for action in view["actions"]]
    assert "transfer" in offered and "request_supplement" not in offered  # one request, the default
    status, view = one_stop.act(applicant.code, "transfer", 3, {"to_unit": "chuyen-mon"})
    assert status == 200 and view["unit_label"] == "Bộ phận chuyên môn", view
    assert applicant.view()["unit_label"] == "Bộ phận chuyên môn"

    status, view = specialist.act(applicant.code, "request_payment", 4, {"amount": 50000})
    assert status == 200 and view["status"] == 6, view
    assert applicant.view()["todo"] == {"kind": "payment", "amount": 50000}
    status, view = specialist.act(applicant.code, "confirm_payment", 5)
    assert status == 200 and view["status"] == 4, view
    status, view = specialist.act(applicant.code, "done", 6, {"note": "Đã cấp giấy"})
    assert status == 200 and view["status"] == 9 and view["outcome"] == "truoc_han", view
    assert applicant.view()["todo"] == {"kind": "collect", "method": None}

    address = "Số 5 Lạch Tray, Phường Lê Chân, Hải Phòng"
    status, view = one_stop.act(
        applicant.code, "return_result", 7, {"method": "buu_chinh", "address": address}
    )
    assert status == 200 and view["status"] == 10, view
    seen = applicant.view()
    assert seen["status_label"] == "Đã trả kết quả" and seen["actions"] == []
    assert seen["todo"]["method"] == "buu_chinh"
    assert [entry["action"] for entry in seen["timeline"]] == [
        "file",
        "receive",
        "request_supplement",
        "supplement",
        "transfer",
        "request_payment",
        "confirm_payment",
        "done",
        "return_result",
    ]
    assert all(
        entry["label"] and entry["status_label"] and entry["at"] for entry in seen["timeline"]
    )
    assert "actor" not in seen["timeline"][1]  # the applicant sees units, not officers

    status, view = one_stop.get(f"/api/office/dossiers/{applicant.code}")
    assert status == 200 and view["timeline"][1]["actor"]["id"] == one_stop.me["id"]
    assert view["actions"] == [] and [p["form"] for p in view["printable"]] == ["01", "02", "06"]
    supplement = next(f for f in view["files"] if f["slot"] == "bo-sung")
    assert supplement["key"] == uploaded and supplement["size"] == len(FILES["pdf"][1])
    assert len(supplement["sha256"]) == 64
    assert all(answer["label"] and "text" in answer for answer in view["answers"])


def test_an_officer_downloads_a_file_through_a_short_lived_link(server, clock):
    applicant = file(server, PROCEDURE, WITH_FILES)
    one_stop = officer(server, roles={"mot_cua"}, offices={applicant.office})
    status, view = one_stop.get(f"/api/office/dossiers/{applicant.code}")
    assert status == 200 and view["files"], view
    status, link = one_stop.get(view["files"][0]["download"])
    assert status == 200 and link["url"] and link["expires_at"], link
    with urllib.request.urlopen(link["url"], timeout=30) as response:
        body = response.read()
        assert "attachment" in response.headers["Content-Disposition"]
    assert len(body) == view["files"][0]["size"]
    status, reply = one_stop.get(f"/api/office/dossiers/{applicant.code}/files/99")
    assert status == 404, reply


def test_a_stale_version_gets_409_with_the_fresh_view(server, clock, desk):
    applicant, one_stop, _ = desk
    assert one_stop.act(applicant.code, "receive", 0)[0] == 200
    status, reply = one_stop.act(applicant.code, "request_supplement", 0, {"items": ["Ảnh"]})
    assert status == 409 and reply["code"] == "version_conflict", reply
    assert reply["dossier"]["status"] == 2 and reply["dossier"]["version"] == 1
    assert reply["dossier"]["actions"]  # the officer's view, with what they may do now
    status, reply = applicant.act("withdraw", 0)
    assert status == 409 and reply["dossier"]["version"] == 1, reply


def test_two_officers_acting_on_one_version_one_wins_the_other_gets_409(server, clock):
    for _ in range(5):
        applicant = file(server)
        one = officer(server, roles={"mot_cua"}, offices={applicant.office})
        two = officer(server, roles={"lanh_dao"}, offices={applicant.office})
        code = applicant.code
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            acting = [pool.submit(who.act, code, "receive", 0) for who in (one, two)]
            replies = [future.result(timeout=60) for future in acting]
        assert sorted(status for status, _ in replies) == [200, 409], replies
        assert applicant.view()["version"] == 1


def test_a_retry_with_the_same_idempotency_key_returns_the_current_view(server, clock, desk):
    applicant, one_stop, _ = desk
    retry = {"Idempotency-Key": key()}
    status, first = one_stop.act(applicant.code, "receive", 0, headers=retry)
    assert status == 200, first
    status, again = one_stop.act(applicant.code, "receive", 0, headers=retry)
    assert status == 200 and again["version"] == 1 and len(again["timeline"]) == 2, again
    status, reply = one_stop.act(applicant.code, "transfer", 1, {"to_unit": "chuyen-mon"}, retry)
    assert status == 409 and reply["code"] == "idempotency_conflict", reply


def test_the_applicant_withdraws_from_the_status_route(server, clock, desk):
    applicant, one_stop, _ = desk
    status, seen = applicant.act("withdraw", 0, {"reason": "Nộp nhầm thủ tục"})
    assert status == 200, seen
    assert (
        seen["status"] == 7
        and seen["actions"] == []
        and seen["timeline"][-1]["data"] == {"reason": "Nộp nhầm thủ tục"}
    )
    status, reply = one_stop.act(applicant.code, "receive", 1)
    assert status == 409 and reply["code"] == "action_not_allowed", reply


# Well formed, and nobody's: a malformed secret is refused (422) before it is compared.
WRONG_SECRET = "00000000000" + lookup_secret.check_character("00000000000")


def test_the_applicant_may_not_take_an_officers_action(server, clock, desk):
    applicant, _, _ = desk
    status, reply = applicant.act("receive", 0)
    assert status == 409 and reply["code"] == "action_not_allowed", reply
    status, reply = applicant.act("supplement", 0, {"uploads": []})
    assert status == 409 and reply["code"] == "action_not_allowed", reply  # none was asked
    body = {"version": 0, "data": {}}
    path = f"/api/dossiers/{applicant.code}/actions/withdraw"
    status, reply = server.request("POST", path, body, {"X-Lookup-Secret": WRONG_SECRET})
    assert status == 404, reply
    status, reply = server.request("POST", path, body, {"X-Lookup-Secret": "sai"})
    assert status == 422 and "/headers/X-Lookup-Secret" in reply["fields"], reply


def test_a_supplement_takes_only_files_uploaded_for_that_dossier(server, clock, desk):
    applicant, _, _ = desk
    other = file(server)
    for who in (applicant, other):
        one_stop_of = officer(server, roles={"mot_cua"}, offices={who.office})
        assert one_stop_of.act(who.code, "request_supplement", 0, {"items": ["Ảnh"]})[0] == 200
    foreign = other.supplement_file()
    status, reply = applicant.act("supplement", 1, {"uploads": [foreign]})
    assert status == 422 and "/uploads" in reply["fields"], reply
    status, reply = applicant.act("supplement", 1, {"uploads": ["1.001612/bo-sung/x.pdf"]})
    assert status == 422, reply
    status, target = applicant.post("/supplement-uploads", {"content_type": "text/html", "size": 9})
    assert status == 422, target
    assert applicant.view()["status"] == 5


def test_an_extension_is_possible_only_before_the_due_date(server, clock, desk):
    applicant, one_stop, specialist = desk
    status, view = one_stop.act(applicant.code, "receive", 0)
    assert status == 200, view
    due = dt.datetime.fromisoformat(view["due_at"])
    later = (due + dt.timedelta(days=3)).isoformat(timespec="minutes")
    reason = "Cần xác minh thêm thông tin với cơ quan thuế"
    status, view = specialist.act(
        applicant.code, "extend", 1, {"reason": reason, "new_due_at": later}
    )
    assert status == 200 and view["due_at"] == later, view
    assert applicant.view()["due_at"] == later
    assert view["printable"][-1]["form"] == "04"
    status, reply = specialist.act(
        applicant.code, "extend", 2, {"reason": reason, "new_due_at": view["due_at"]}
    )
    assert status == 422 and "/new_due_at" in reply["fields"], reply

    clock.now = dt.datetime.fromisoformat(later) + dt.timedelta(hours=1)
    status, reply = specialist.act(
        applicant.code,
        "extend",
        2,
        {"reason": reason, "new_due_at": (due + dt.timedelta(days=9)).isoformat()},
    )
    assert status == 409 and reply["code"] == "action_not_allowed", reply
    assert "trước thời hạn" in reply["message"]
    status, view = specialist.get(f"/api/office/dossiers/{applicant.code}")
    assert "extend" not in [action["name"] for action in view["actions"]], view["actions"]
    status, queue = one_stop.get(f"/api/office/queue?office={applicant.office}&due=overdue")
    assert status == 200 and applicant.code in [item["code"] for item in queue["items"]], queue
    flagged = next(item for item in queue["items"] if item["code"] == applicant.code)
    assert flagged["due_flag"] == "overdue" and queue["counts"]["overdue"] >= 1


def test_a_refusal_needs_a_reason(server, clock, desk):
    applicant, one_stop, _ = desk
    status, reply = one_stop.act(applicant.code, "refuse", 0)
    assert status == 422 and "/reason" in reply["fields"], reply
    reason = "Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan"
    status, view = one_stop.act(applicant.code, "refuse", 0, {"reason": reason})
    assert status == 200 and view["status"] == 3 and view["printable"][-1]["form"] == "03", view
    seen = applicant.view()
    assert seen["status_label"] == "Không được tiếp nhận" and seen["actions"] == []
    assert seen["timeline"][-1]["data"] == {"reason": reason}


def test_an_officer_without_the_role_cannot_take_the_action(server, clock, desk):
    applicant, _, specialist = desk
    status, reply = specialist.act(applicant.code, "receive", 0)
    assert status == 409 and reply["code"] == "action_not_allowed", reply
    status, view = specialist.get(f"/api/office/dossiers/{applicant.code}")
    assert "receive" not in [action["name"] for action in view["actions"]]


def test_the_queue_lists_the_offices_dossiers_with_filters_and_counts(server, clock, desk):
    applicant, one_stop, _ = desk
    base = f"/api/office/queue?office={applicant.office}"
    status, queue = one_stop.get(base + "&status=1&limit=200")
    assert status == 200, queue
    assert queue["office"]["id"] == applicant.office
    listed = next(item for item in queue["items"] if item["code"] == applicant.code)
    assert listed["status_label"] == "Mới đăng ký" and listed["version"] == 0
    assert queue["counts"]["1"] >= 1
    assert one_stop.act(applicant.code, "receive", 0)[0] == 200
    status, queue = one_stop.get(base + "&status=1&limit=200")
    assert applicant.code not in [item["code"] for item in queue["items"]]
    status, queue = one_stop.get(base + "&status=2,4&procedure=" + WITH_DEADLINE)
    assert applicant.code in [item["code"] for item in queue["items"]], queue
    dues = [item["due_at"] for item in queue["items"] if item["due_at"]]
    assert dues == sorted(dues)
    clock.advance(days=2)  # due on Thursday evening: within one working day on Wednesday
    status, queue = one_stop.get(base + "&due=soon")
    assert status == 200 and applicant.code in [item["code"] for item in queue["items"]], queue
    assert queue["counts"]["soon"] >= 1
    status, page = one_stop.get(base + "&limit=1")
    assert status == 200 and len(page["items"]) == 1 and page["next"], page
    status, second = one_stop.get(base + "&limit=1&after=" + urllib.parse.quote(page["next"]))
    assert status == 200 and second["items"][0]["code"] != page["items"][0]["code"], second
    for bad in ("&status=11", "&due=tomorrow", "&limit=0", "&channel=fax"):
        status, reply = one_stop.get(base + bad)
        assert status == 422, (bad, reply)


def test_an_officer_sees_who_they_are_and_can_log_out(server, clock, desk):
    applicant, one_stop, _ = desk
    status, me = one_stop.get("/api/office/me")
    assert status == 200 and me["csrf"] == one_stop.csrf
    assert me["roles"] == ["mot_cua"] and me["offices"][0]["id"] == applicant.office
    status, reply = one_stop.post("/api/office/logout")
    assert status == 200, reply
    status, reply = one_stop.get("/api/office/me")
    assert status == 401 and reply["code"] == "not_authenticated", reply


def test_a_wrong_password_is_refused(server):
    status, reply = server.request(
        "POST", "/api/office/login", {"username": "khong-co", "password": "sai mật khẩu rồi"}
    )
    assert status == 401 and reply["code"] == "login_failed", reply


def test_an_electronic_result_is_uploaded_by_the_office_and_fetched_by_the_applicant(
    server, clock, desk
):
    applicant, one_stop, specialist = desk
    assert one_stop.act(applicant.code, "receive", 0)[0] == 200
    path = f"/api/office/dossiers/{applicant.code}/result-upload"
    content_type, data = FILES["pdf"]
    status, reply = one_stop.post(path, {"content_type": content_type, "size": len(data)})
    assert status == 409, reply  # not done yet
    assert specialist.act(applicant.code, "done", 1)[0] == 200
    status, reply = one_stop.act(applicant.code, "return_result", 2, {"method": "truc_tuyen"})
    assert status == 422 and "/result_file" in reply["fields"], reply
    status, target = one_stop.post(path, {"content_type": content_type, "size": len(data)})
    assert status == 200, target
    result = send(server, target, data, content_type)
    assert server.request("POST", "/api/uploads/verify", {"key": result})[0] == 200
    foreign = result.rsplit("/", 1)[0] + "/" + "B" * 32 + ".pdf"  # not under this dossier's tag
    data_foreign = {"method": "truc_tuyen", "result_file": foreign}
    assert one_stop.act(applicant.code, "return_result", 2, data_foreign)[0] == 422
    status, view = one_stop.act(
        applicant.code, "return_result", 2, {"method": "truc_tuyen", "result_file": result}
    )
    assert status == 200 and view["status"] == 10, view
    assert view["files"][-1]["slot"] == "ket-qua" and view["files"][-1]["size"] == len(data)
    todo = applicant.view()["todo"]
    assert todo["method"] == "truc_tuyen" and todo["download"], todo
    with urllib.request.urlopen(todo["download"], timeout=30) as response:
        assert response.read() == data
        assert "attachment" in response.headers["Content-Disposition"]
