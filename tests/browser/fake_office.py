"""Recorded answers of the officer API (docs/lifecycle.md, section API), served to the back office
pages through Playwright's `page.route`, for the tests that check rendering, focus and axe in
every state without the real officer routes. The states come from the real state machine
(`chalicelib.workflow.apply`), so a view's status, unit, due date and timeline are those the API
would compute; only the HTTP side is recorded. The end-to-end test (test_backoffice_e2e.py)
drives the real API."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalicelib import workflow
from chalicelib.calendar import VIETNAM, WorkingCalendar
from chalicelib.errors import ApiError
from chalicelib.handover import HandedOverError
from chalicelib.storage.ports import State

CODE = "cong-an-phuong-le-chan-261207-0001"
SECRET = "k7q2mfrggzdfmztwq2lknnwg"
APPLICANT_KEYS = (
    "code",
    "procedure",
    "procedure_name",
    "status",
    "status_label",
    "office",
    "unit",
    "unit_label",
    "received_at",
    "due_at",
    "clock_stopped_at",
    "outcome",
    "version",
    "timeline",
)
OFFICE = {"id": "cong-an-phuong-le-chan", "name": "Công an Phường Lê Chân"}
OTHER_OFFICE = {
    "id": "ttpvhcc-phuong-le-chan",
    "name": "Trung tâm Phục vụ hành chính công Phường Lê Chân",
}
RULES = workflow.Rules(deadline_amount=3, deadline_unit="working_days", fee=None)
CALENDAR = WorkingCalendar()
FILED_AT = dt.datetime(2026, 12, 7, 8, 30, tzinfo=VIETNAM)
ROLES = frozenset({"mot_cua", "chuyen_vien", "lanh_dao"})
ANSWERS = [
    {"id": "ho_ten", "label": "Họ, chữ đệm và tên", "value": "Nguyễn Văn An"},
    {"id": "so_dinh_danh", "label": "Số định danh cá nhân", "value": "031090001234"},
    {
        "id": "dia_chi_tam_tru",
        "label": "Địa chỉ nơi đề nghị đăng ký tạm trú",
        "value": {"province": "31", "commune": "11383", "street": "Số 12 Lạch Tray"},
        "text": "Số 12 Lạch Tray, Phường Lê Chân, Thành phố Hải Phòng",
    },
]
FILES = [
    {
        "n": 0,
        "slot": "giay_to_cho_o",
        "label": "Giấy tờ chứng minh chỗ ở hợp pháp",
        "key": "1.004194/abc.pdf",
        "size": 245_761,
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "download": f"/api/office/dossiers/{CODE}/files/0",
    }
]


def queue_item(n: int, **overrides: Any) -> dict[str, Any]:
    item = {
        "code": f"cong-an-phuong-le-chan-261207-{n:04d}",
        "procedure": "1.004194",
        "procedure_name": "Đăng ký tạm trú",
        "applicant": f"Người nộp số {n}",
        "channel": "truc_tuyen",
        "status": 2,
        "status_label": workflow.STATUSES[2],
        "unit": "mot-cua",
        "unit_label": workflow.UNITS["mot-cua"],
        "received_at": "2026-12-07T08:30:00+07:00",
        "due_at": f"2026-12-{10 + n % 5:02d}T08:30+07:00",
        "due_flag": None,
        "version": 1,
    }
    item.update(overrides)
    return item


@dataclass
class FakeOfficeApi:
    """One officer, one dossier moved by the real state machine, a queue of `queue_size`."""

    offices: list[dict[str, str]] = field(default_factory=lambda: [OFFICE])
    state: State = field(default_factory=lambda: State(office=OFFICE["id"], due_at=None))
    events: list[dict[str, Any]] = field(default_factory=list)
    clock: dt.datetime = FILED_AT
    queue_size: int = 60
    logged_in: bool = True
    locked: bool = False
    conflict_next: bool = False  # the next action answers 409 version_conflict
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    uploaded: int = 0
    handed_over: dict[str, str] | None = None  # the province's system it went to (read-only)

    # --- the state machine -------------------------------------------------------------------
    def act(self, action: str, data: dict[str, Any], *, actor: str = "Trần Thị Bình") -> None:
        self.clock += dt.timedelta(hours=1)
        roles = frozenset({workflow.APPLICANT}) if actor == "applicant" else ROLES
        self.state, event = workflow.apply(
            self.state,
            action,
            data,
            actor=workflow.Actor(id="u1", roles=roles, name=actor),
            at=self.clock,
            rules=RULES,
            calendar=CALENDAR,
        )
        self.events.append(event)

    def view(self) -> dict[str, Any]:
        s = self.state
        timeline = [
            {
                "seq": 0,
                "action": "file",
                "label": "Nộp hồ sơ",
                "status": 1,
                "status_label": workflow.STATUSES[1],
                "at": FILED_AT.isoformat(),
                "unit_label": "",
                "data": {},
            }
        ]
        for e in self.events:
            timeline.append(
                {
                    "seq": e["seq"],
                    "action": e["action"],
                    "label": workflow.ACTIONS[e["action"]].label,
                    "status": e["status"],
                    "status_label": workflow.STATUSES[e["status"]],
                    "at": e["at"],
                    "unit": e["unit"],
                    "unit_label": workflow.UNITS.get(e["unit"], ""),
                    "actor": e["actor"],
                    "data": e["data"],
                }
            )
        allowed = [] if self.handed_over else workflow.allowed(s, ROLES)
        return {
            "code": CODE,
            "procedure": "1.004194",
            "procedure_name": "Đăng ký tạm trú",
            "applicant": "Nguyễn Văn An",
            "status": s.status,
            "status_label": workflow.STATUSES[s.status],
            "office": OFFICE,
            "unit": s.unit,
            "unit_label": workflow.UNITS.get(s.unit, ""),
            "received_at": FILED_AT.isoformat(),
            "accepted_at": s.received_at,
            "due_at": s.due_at,
            "clock_stopped_at": s.clock_stopped_at,
            "outcome": s.outcome,
            "version": s.version,
            "timeline": timeline,
            "todo": None,
            "answers": ANSWERS,
            "files": FILES,
            "actions": [
                {
                    "name": name,
                    "label": workflow.ACTIONS[name].label,
                    "fields": list(workflow.ACTIONS[name].fields),
                    "form": workflow.ACTIONS[name].form,
                }
                for name in allowed
            ],
            "rules": {"supplement_limit": 1, "fee": None},
            "handed_over": self.handed_over,
            "printable": [
                {"form": form, "label": workflow.ACTIONS[e["action"]].label, "seq": e["seq"]}
                for e in self.events
                if (form := workflow.ACTIONS[e["action"]].form)
            ],
        }

    # --- HTTP ----------------------------------------------------------------------------------
    def applicant_view(self) -> dict[str, Any]:
        """The status view (GET /api/dossiers/<code> with the lookup secret)."""
        full = self.view()
        view = {k: full[k] for k in APPLICANT_KEYS}
        s, last = self.state, (self.events[-1] if self.events else {})
        todo: dict[str, Any] | None = None
        if s.status == 5:
            todo = {"kind": "supplement", **last["data"]}
        elif s.status == 6:
            todo = {"kind": "payment", "amount": last["data"]["amount"]}
        elif s.status == 9:
            todo = {"kind": "collect", "method": None}
        elif s.status == 10:
            method = last["data"]["method"]
            todo = {"kind": "collect", "method": method, "label": workflow.RETURN_METHODS[method]}
        view["todo"] = todo
        view["actions"] = [
            a for a in workflow.allowed(s, frozenset({workflow.APPLICANT})) if a != "forward"
        ]
        view["handed_over"] = self.handed_over
        for step in view["timeline"]:
            step.pop("actor", None)
        return view

    def install(self, page: Any) -> None:
        page.route(re.compile(r".*/api/office/.*"), self._handle)
        page.route(re.compile(r".*/api/(dossiers|uploads|fake-upload)(/.*)?$"), self._applicant)

    def _applicant(self, route: Any) -> None:
        request = route.request
        path = urlsplit(request.url).path.removeprefix("/api/")
        body = (
            json.loads(request.post_data) if request.post_data and path != "fake-upload" else None
        )
        self.requests.append((request.method, path, body))
        if path == "fake-upload":
            route.fulfill(status=204, body="")
            return
        if path == "uploads/verify":
            route.fulfill(status=200, json={"key": body["key"], "size": 1000})
            return
        if request.headers.get("x-lookup-secret") != SECRET or not path.startswith(
            f"dossiers/{CODE}"
        ):
            route.fulfill(
                status=404, json={"code": "not_found", "message": "Không tìm thấy.", "fields": {}}
            )
            return
        rest = path.removeprefix(f"dossiers/{CODE}")
        if rest == "/supplement-uploads":
            self.uploaded += 1
            key = f"1.004194/bo-sung/{self.uploaded}.pdf"
            route.fulfill(
                status=200, json={"url": "/api/fake-upload", "fields": {"key": key}, "key": key}
            )
            return
        if rest.startswith("/actions/"):
            if body["version"] != self.state.version:
                answer = {
                    "code": "version_conflict",
                    "message": "",
                    "fields": {},
                    "dossier": self.applicant_view(),
                }
                route.fulfill(status=409, json=answer)
                return
            action = rest.removeprefix("/actions/")
            if self.handed_over:  # sent to the province's system, not applied (dossiers.py)
                self.act("forward", {**body["data"], "request": action}, actor="applicant")
                label = workflow.ACTIONS[action].label
                message = (
                    f"Yêu cầu “{label}” đã được gửi tới {self.handed_over['name']}. Trạng thái"
                    " hồ sơ chỉ thay đổi khi hệ thống đó xử lý và báo lại."
                )
                route.fulfill(status=200, json={**self.applicant_view(), "message": message})
                return
            try:
                self.act(action, body["data"], actor="applicant")
            except ApiError as error:
                answer = {"code": error.code, "message": error.message, "fields": error.fields}
                route.fulfill(status=error.status, json=answer)
                return
        route.fulfill(status=200, json=self.applicant_view())

    def _handle(self, route: Any) -> None:
        request = route.request
        url = urlsplit(request.url)
        path = url.path.removeprefix("/api/office/")
        body = json.loads(request.post_data) if request.post_data else None
        self.requests.append((request.method, path, body))
        status, answer = self._answer(request.method, path, parse_qs(url.query), body, request)
        route.fulfill(status=status, json=answer)

    def _answer(self, method, path, query, body, request) -> tuple[int, dict[str, Any]]:
        officer = {
            "id": "u1",
            "name": "Trần Thị Bình",
            "roles": sorted(ROLES),
            "role_labels": [workflow.ROLES[r] for r in sorted(ROLES)],
            "offices": self.offices,
            "csrf": "csrf-token",
        }
        if path == "login":
            if self.locked:
                return 429, {
                    "code": "account_locked",
                    "message": "Tài khoản tạm khóa 15 phút.",
                    "fields": {},
                }
            if body["password"] != "mat-khau-dung-12":
                return 401, {"code": "login_failed", "message": "Sai.", "fields": {}}
            self.logged_in = True
            return 200, {"officer": officer, "csrf": "csrf-token"}
        if not self.logged_in:
            return 401, {"code": "not_authenticated", "message": "Chưa đăng nhập.", "fields": {}}
        if method == "POST" and request.headers.get("x-csrf-token") != "csrf-token":
            return 403, {"code": "csrf_failed", "message": "CSRF.", "fields": {}}
        if path == "me":
            return 200, officer
        if path == "logout":
            self.logged_in = False
            return 200, {}
        if path == "queue":
            return 200, self._queue(query)
        match = re.fullmatch(r"dossiers/([^/]+)(?:/(actions|files)/(\w+)|/(result-upload))?", path)
        if not match or match[1] != CODE:
            return 404, {"code": "not_found", "message": "Không tìm thấy hồ sơ.", "fields": {}}
        if match[4] == "result-upload":
            key = "1.004194/ket-qua/1.pdf"
            return 200, {"url": "/api/fake-upload", "fields": {"key": key}, "key": key}
        if match[2] == "files":
            return 200, {
                "url": "/api/office/files/signed",
                "expires_at": "2026-12-07T09:35:00+07:00",
            }
        if match[2] == "actions":
            if self.handed_over:
                error = HandedOverError()
                return error.status, error.body()
            if self.conflict_next:
                self.conflict_next = False
                self.act("receive", {}, actor="Lê Văn Cường")
                return 409, {
                    "code": "version_conflict",
                    "message": "Hồ sơ vừa được người khác xử lý.",
                    "fields": {},
                    "dossier": self.view(),
                }
            if body["version"] != self.state.version:
                return 409, {
                    "code": "version_conflict",
                    "message": "",
                    "fields": {},
                    "dossier": self.view(),
                }
            try:
                self.act(match[3], body["data"])
            except ApiError as error:
                return error.status, {
                    "code": error.code,
                    "message": error.message,
                    "fields": error.fields,
                }
            return 200, self.view()
        return 200, self.view()

    def _queue(self, query: dict[str, list[str]]) -> dict[str, Any]:
        items = [queue_item(n) for n in range(1, self.queue_size + 1)]
        items[0].update(due_flag="overdue", due_at="2026-12-04T08:30+07:00")
        items[1].update(due_flag="soon")
        status = query.get("status", [""])[0]
        if status:
            items = [i for i in items if str(i["status"]) == status]
        due = query.get("due", [""])[0]
        if due:
            items = [i for i in items if i["due_flag"] == due]
        start = int(query.get("after", ["0"])[0])
        limit = int(query.get("limit", ["50"])[0])
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "office": next(
                (o for o in self.offices if o["id"] == query.get("office", [""])[0]),
                self.offices[0],
            ),
            "items": page,
            "next": str(start + limit) if more else None,
            "counts": {"2": self.queue_size, "overdue": 1, "soon": 1},
        }
