"""The officers' side of the API: an office's queue, the officer's view of a dossier, actions,
file links and the result's upload target.

A dossier handed over to a province's system (handover.py) is not processed here: it is in no
queue, its view offers no action and says where it went, and every action on it is refused
(409 `handed_over`).

Who the officer is comes from officers.OfficerAuth (`signed_in` resolves the session, and the
CSRF token for a state-changing request, before a route does anything else). Every method about
a dossier starts from the object-level rule: an officer sees and acts only on dossiers whose
`office` is one of their offices; any other dossier is NotFoundError, exactly as an unknown code,
so an officer cannot even learn that a code exists elsewhere.
"""

import datetime as dt
import mimetypes
from dataclasses import asdict, replace
from typing import Any, Protocol

from . import forms, handover, outbox, workflow
from .calendar import VIETNAM
from .dossiers import (
    DOSSIER_SLOTS,
    Service,
    action_body,
    is_dossier_code,
    state_of,
    timeline,
)
from .errors import ActionNotAllowedError, NotFoundError, ValidationFailedError
from .officers import OfficerAuth
from .storage.ports import Delivery, Outbox, QueueItem, QueueQuery, StoredDossier

QUEUE_LIMIT = 50
QUEUE_MAX = 200
FLAG_COUNT_LIMIT = 1000  # counts of `soon` and `overdue` stop here (one indexed page each)
DOWNLOAD_TTL = 120  # seconds a file link lives
# Deliveries officers are shown: failed for good, or still pending this long after they were
# made (the channel is down, or none is configured).
PENDING_TOO_LONG = 15 * 60
DELIVERIES_SHOWN = 200
CLOCK_RUNNING = (1, 2, 4)  # statuses in which a due date can be near or past
CHANNELS = {"truc_tiep": "Trực tiếp", "truc_tuyen": "Trực tuyến", "buu_chinh": "Bưu chính"}
DUE_FLAGS = {"soon": "Sắp đến hạn (trong 1 ngày làm việc)", "overdue": "Quá hạn"}
# What an action's data fields are, for the pages' forms: (label, input kind).
FIELDS = {
    "reason": ("Lý do", "textarea"),
    "items": ("Danh sách giấy tờ cần bổ sung (đầy đủ, một lần)", "list"),
    "note": ("Ghi chú", "textarea"),
    "to_unit": ("Chuyển đến bộ phận", "unit"),
    "amount": ("Số tiền (đồng)", "number"),
    "method": ("Cách trả kết quả", "method"),
    "address": ("Địa chỉ nhận qua bưu chính", "textarea"),
    "result_file": ("Tệp kết quả điện tử", "upload"),
    "new_due_at": ("Ngày hẹn trả mới", "datetime"),
}


class Officer(Protocol):
    """What this module needs of officers.Officer."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def offices(self) -> frozenset[str]: ...


class Backoffice:
    def __init__(self, service: Service, auth: OfficerAuth, outbox: Outbox | None = None):
        self.service, self.auth, self.outbox = service, auth, outbox
        self.bundle, self.dossiers = service.bundle, service.dossiers

    # --- who -----------------------------------------------------------------------------------

    def login(self, body: Any, client: str) -> tuple[str, dict[str, Any]]:
        """(session token for the cookie, `{officer, csrf}`)."""
        if not isinstance(body, dict):
            raise ValidationFailedError(fields={"": "Phải là một đối tượng JSON."})
        fields = {
            name: "Bắt buộc."
            for name in ("username", "password")
            if not isinstance(body.get(name), str) or not body[name]
        }
        if fields:
            raise ValidationFailedError(
                "Nhập tên đăng nhập và mật khẩu.", fields={f"/{k}": v for k, v in fields.items()}
            )
        officer, token, csrf = self.auth.login(body["username"], body["password"], client)
        return token, {"officer": self.me(officer, csrf), "csrf": csrf}

    def signed_in(
        self, session: str | None, *, changing: bool = False, csrf: str | None = None
    ) -> Officer:
        """The officer of a live session (NotAuthenticatedError otherwise); for a request that
        changes anything, also CsrfFailedError unless `csrf` is the session's token."""
        officer = self.auth.current(session)[0]
        if changing:
            self.auth.check_csrf(session, csrf)
        return officer

    def logout(self, session: str | None, csrf: str | None) -> dict[str, Any]:
        self.signed_in(session, changing=True, csrf=csrf)
        self.auth.logout(session)
        return {"ok": True}

    def whoami(self, session: str | None) -> dict[str, Any]:
        officer, csrf = self.auth.current(session)
        return self.me(officer, csrf)

    def me(self, officer: Officer, csrf: str) -> dict[str, Any]:
        return {
            "id": officer.id,
            "name": officer.name,
            "roles": sorted(officer.roles),
            "role_labels": [workflow.ROLES[role] for role in sorted(officer.roles)],
            "offices": [self._office(office) for office in sorted(officer.offices)],
            "csrf": csrf,
        }

    def _office(self, office_id: str) -> dict[str, str]:
        try:
            return {"id": office_id, "name": str(self.bundle.office(office_id).get("name", ""))}
        except NotFoundError:
            return {"id": office_id, "name": office_id}

    # --- the queue -----------------------------------------------------------------------------

    def queue(self, officer: Officer, params: dict[str, str]) -> dict[str, Any]:
        """One page of an office's queue, sorted by due date, with the counts per status and of
        dossiers due within one working day and overdue."""
        office = params.get("office") or min(officer.offices, default="")
        if office not in officer.offices:
            raise NotFoundError()
        now, soon_until = self._now()
        query = QueueQuery(
            office=office,
            statuses=_statuses(params.get("status")),
            procedure=params.get("procedure") or None,
            channel=_choice(params, "channel", CHANNELS),
            limit=_limit(params.get("limit")),
            after=params.get("after") or None,
        )
        due = _choice(params, "due", DUE_FLAGS)
        items = []
        if due:  # only where the clock runs; an empty intersection with `status` finds nothing
            running = tuple(s for s in query.statuses or CLOCK_RUNNING if s in CLOCK_RUNNING)
            query = replace(
                query,
                statuses=running,
                due_from=None if due == "overdue" else _minutes(now),
                due_to=_minutes(now if due == "overdue" else soon_until),
            )
        if query.statuses or not due:
            items = self.dossiers.queue(query)
        counts = {str(status): n for status, n in sorted(self.dossiers.counts(office).items())}
        counts["overdue"] = self._flagged(office, due_to=now)
        counts["soon"] = self._flagged(office, due_from=now, due_to=soon_until)
        return {
            "office": self._office(office),
            "items": [self._item(item, now, soon_until) for item in items],
            "next": items[-1].cursor if len(items) == query.limit else None,
            "counts": counts,
        }

    # --- deliveries that did not leave (outbox.py) ----------------------------------------------

    def deliveries(self, officer: Officer, params: dict[str, str]) -> dict[str, Any]:
        """An office's deliveries that failed for good, failed once and wait for their next
        attempt, or have waited too long, oldest first, with their last error."""
        office = params.get("office") or min(officer.offices, default="")
        if office not in officer.offices:
            raise NotFoundError()
        now = self.service.now().timestamp()
        found = self._outbox().of_offices(
            [office], states=["failed", "pending"], limit=DELIVERIES_SHOWN
        )
        shown = [
            d
            for d in found
            if d.state == "failed" or d.last_error or now - d.created_at > PENDING_TOO_LONG
        ]
        return {
            "office": self._office(office),
            "items": [delivery_view(d) for d in shown],
            "pending_after_minutes": PENDING_TOO_LONG // 60,
        }

    def retry_delivery(self, officer: Officer, body: Any) -> dict[str, Any]:
        """ "Gửi lại": a failed or waiting delivery of the officer's office is due now, its
        attempts counted again from 0. Another office's delivery is 404, as an unknown one."""
        delivery_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(delivery_id, str) or not 0 < len(delivery_id) <= 200:
            raise ValidationFailedError(fields={"/id": "Bắt buộc."})
        delivery = self._outbox().get(delivery_id)
        if delivery is None or delivery.office not in officer.offices:
            raise NotFoundError("Không tìm thấy thông báo này ở cơ quan của bạn.")
        if not self._outbox().retry(delivery_id, self.service.now().timestamp()):
            raise ActionNotAllowedError("Thông báo này đã được gửi.")
        again = self._outbox().get(delivery_id)
        assert again is not None
        return {"ok": True, "item": delivery_view(again)}

    def _outbox(self) -> Outbox:
        if self.outbox is None:
            raise NotFoundError()
        return self.outbox

    def _now(self) -> tuple[dt.datetime, dt.datetime]:
        """Now, to the minute as due dates are kept (so a flag and a filter agree), and the end
        of "due within 1 working day": the close of the next working day, excluded (a dossier
        due by tomorrow evening is flagged today)."""
        now = self.service.now().astimezone(VIETNAM).replace(second=0, microsecond=0)
        calendar = self.bundle.calendar
        day = calendar.next_working_day(now.date())
        closes = dt.datetime.combine(day, calendar.hours.closes, tzinfo=now.tzinfo)
        return now, closes + dt.timedelta(minutes=1)

    def _flagged(
        self, office: str, *, due_to: dt.datetime, due_from: dt.datetime | None = None
    ) -> int:
        query = QueueQuery(
            office=office,
            statuses=CLOCK_RUNNING,
            due_from=_minutes(due_from) if due_from else None,
            due_to=_minutes(due_to),
            limit=FLAG_COUNT_LIMIT,
        )
        return len(self.dossiers.queue(query))

    @staticmethod
    def _flag(
        status: int, due_at: str | None, now: dt.datetime, soon_until: dt.datetime
    ) -> str | None:
        """`overdue`, `soon` or None; only where the clock runs."""
        if not due_at or status not in CLOCK_RUNNING:
            return None
        due = dt.datetime.fromisoformat(due_at)
        return "overdue" if due < now else "soon" if due < soon_until else None

    def _item(self, item: QueueItem, now: dt.datetime, soon_until: dt.datetime) -> dict[str, Any]:
        flag = self._flag(item.status, item.due_at, now, soon_until)
        return {
            "code": item.code,
            "procedure": item.procedure,
            "procedure_name": self._procedure_name(item.procedure),
            "applicant": item.applicant,
            "channel": item.channel,
            "status": item.status,
            "status_label": workflow.STATUSES[item.status],
            "unit": item.unit,
            "unit_label": workflow.UNITS.get(item.unit, ""),
            "received_at": item.received_at,
            "due_at": item.due_at,
            "due_flag": flag,
            "version": item.version,
        }

    def _procedure_name(self, code: str) -> str:
        versions = self.bundle.data["procedures"].get(code, [])
        return str(versions[-1]["name"]) if versions else ""

    # --- one dossier ---------------------------------------------------------------------------

    def dossier(self, officer: Officer, code: str) -> dict[str, Any]:
        return self.view(officer, self._visible(officer, code))

    def act(
        self,
        officer: Officer,
        code: str,
        action: str,
        body: Any,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        stored = self._visible(officer, code)
        handover.refuse_local(stored.dossier)  # the province's system processes it
        version, data = action_body(body)
        roles = frozenset(officer.roles)
        if (
            action == "return_result"
            and data.get("method") == "truc_tuyen"
            and action in workflow.allowed(state_of(stored), roles)
        ):
            files = [data.get("result_file")]
            self.service.check_owned(stored, "ket-qua", files, "/result_file")
        actor = workflow.Actor(officer.id, roles, officer.name)
        stored = self.service.transition(
            stored, action, version, data, actor, request_id, lambda s: self.view(officer, s)
        )
        return self.view(officer, stored)

    def file_link(self, officer: Officer, code: str, number: str) -> dict[str, Any]:
        """A short-lived link to the dossier's file `number` (as listed in the view), served
        as an attachment."""
        stored = self._visible(officer, code)
        files = _files(stored)
        if not number.isdigit() or not 0 <= int(number) < len(files):
            raise NotFoundError("Hồ sơ không có tệp này.")
        slot, key = files[int(number)]
        extension = key.rsplit(".", 1)[-1]
        filename = f"{stored.code}-{slot}-{number}.{extension}"
        expires = self.service.now() + dt.timedelta(seconds=DOWNLOAD_TTL)
        url = self.service.uploads.download_url(key, filename=filename, expires_in=DOWNLOAD_TTL)
        return {"url": url, "expires_at": expires.isoformat(timespec="seconds")}

    def result_target(self, officer: Officer, code: str, body: Any) -> dict[str, Any]:
        """An upload target for the electronic result, under a key this dossier owns."""
        stored = self._visible(officer, code)
        handover.refuse_local(stored.dossier)
        if state_of(stored).status != 9:
            raise ActionNotAllowedError("Chỉ tải kết quả lên khi hồ sơ đã xử lý xong.")
        if not isinstance(body, dict):
            raise ValidationFailedError(fields={"": "Phải là một đối tượng JSON."})
        return self.service.owned_target(stored, "ket-qua", body)

    def _visible(self, officer: Officer, code: str) -> StoredDossier:
        """The dossier if it is filed with one of the officer's offices, else NotFoundError,
        exactly as for an unknown code."""
        stored = self.dossiers.get(code) if is_dossier_code(code) else None
        if stored is None or stored.dossier.office not in officer.offices:
            raise NotFoundError("Không tìm thấy hồ sơ.")
        return stored

    # --- the officer's view --------------------------------------------------------------------

    def view(self, officer: Officer, stored: StoredDossier) -> dict[str, Any]:
        """The status view plus what an officer needs to decide: labelled answers, the files
        with size and SHA-256, the actions their roles allow now, the rules, the forms issued."""
        state = state_of(stored)
        version = self.service.procedure_version(stored.dossier)
        rules = self.bundle.rules(version)
        base = self.service.view(stored)
        return {
            **base,
            "due_flag": self._flag(state.status, state.due_at, *self._now()),
            "applicant": stored.dossier.applicant,
            "timeline": timeline(stored, actors=True),
            "answers": _answers(self.bundle.form(version), stored.dossier.answers, self.bundle),
            "files": self._files(stored),
            "actions": [
                _action(name)
                for name in workflow.allowed(
                    state, frozenset(officer.roles), at=self.service.now(), rules=rules
                )
                if not stored.dossier.handed_to  # read-only here: its system processes it
            ],
            "rules": asdict(rules),
            "printable": _printable(stored),
        }

    def _files(self, stored: StoredDossier) -> list[dict[str, Any]]:
        labels = {
            slot["id"]: slot.get("label", slot["id"])
            for _, slot in forms.slots(
                self.bundle.form(self.service.procedure_version(stored.dossier))
            )
        }
        labels.update({slot_id: slot["label"] for slot_id, slot in DOSSIER_SLOTS.items()})
        listed = []
        for number, (slot, key) in enumerate(_files(stored)):
            size, sha256 = self.service.uploads.describe(key)
            listed.append(
                {
                    "n": number,
                    "slot": slot,
                    "label": labels.get(slot, slot),
                    "key": key,
                    "content_type": mimetypes.guess_type(key)[0] or "application/octet-stream",
                    "size": size,
                    "sha256": sha256,
                    "download": f"/api/office/dossiers/{stored.code}/files/{number}",
                }
            )
        return listed


def _files(stored: StoredDossier) -> list[tuple[str, str]]:
    """(slot, key) of every file of a dossier, in a stable order: the form's, then each
    supplement's, then the result."""
    files = [(slot, key) for slot, keys in stored.dossier.uploads.items() for key in keys]
    for event in stored.events:
        data = event.get("data", {})
        files += [("bo-sung", key) for key in data.get("uploads", [])]
        if data.get("result_file"):
            files.append(("ket-qua", data["result_file"]))
    return files


def _action(name: str) -> dict[str, Any]:
    spec = workflow.ACTIONS[name]
    return {
        "name": name,
        "label": spec.label,
        "form": spec.form,
        "fields": [
            {"name": field, "label": FIELDS[field][0], "kind": FIELDS[field][1]}
            for field in spec.fields
        ],
    }


def _printable(stored: StoredDossier) -> list[dict[str, Any]]:
    """The TT 03/2025 forms issued so far, one per event that issued one."""
    printable = []
    for event in stored.events:
        form = workflow.ACTIONS[event["action"]].form
        if form:
            printable.append({"form": form, "label": workflow.FORMS[form], "seq": event["seq"]})
    return printable


def _answers(form: dict[str, Any], answers: dict[str, Any], bundle: Any) -> list[dict[str, Any]]:
    """Each answer with its question's label and its value as a person reads it."""
    labelled = []
    for page, item in forms.fields(form):
        if item["id"] not in answers:
            continue
        labelled.append(
            {
                "id": item["id"],
                "page": page.get("title", ""),
                "label": item.get("label", item["id"]),
                "value": answers[item["id"]],
                "text": _text(item, answers[item["id"]], bundle.units),
            }
        )
    return labelled


def _text(item: dict[str, Any], value: Any, units: dict[str, Any]) -> str:
    if item["type"] == "select":
        options = {option["value"]: option["label"] for option in item.get("options", [])}
        return str(options.get(value, value))
    if item["type"] == "yes_no":
        return "Có" if value else "Không"
    if item["type"] == "address" and isinstance(value, dict):
        province = units.get(str(value.get("province")), {})
        commune = province.get("communes", {}).get(str(value.get("commune")), "")
        parts = [value.get("street", ""), commune, province.get("name", "")]
        return ", ".join(str(part) for part in parts if part)
    return str(value)


def _minutes(moment: dt.datetime) -> str:
    """A time as due dates are stored (workflow: ISO to the minute, Vietnam's offset)."""
    return moment.isoformat(timespec="minutes")


def _statuses(raw: str | None) -> tuple[int, ...]:
    if not raw:
        return ()
    parts = raw.split(",")
    if not all(part.isdigit() and int(part) in workflow.STATUSES for part in parts):
        raise ValidationFailedError(fields={"/status": "Trạng thái là số từ 1 đến 10."})
    return tuple(sorted({int(part) for part in parts}))


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    def moment(at: float | None) -> str | None:
        if at is None:
            return None
        return dt.datetime.fromtimestamp(at, VIETNAM).isoformat(timespec="seconds")

    return {
        "id": delivery.id,
        "code": delivery.code,
        "kind": delivery.kind,
        "kind_label": outbox.KIND_LABELS.get(delivery.kind, delivery.kind),
        "channel": delivery.channel,
        "channel_label": outbox.CHANNEL_LABELS.get(delivery.channel, delivery.channel),
        "to": outbox.masked(delivery.to),
        "state": delivery.state,
        "state_label": outbox.STATE_LABELS.get(delivery.state, delivery.state),
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "created_at": moment(delivery.created_at),
        "next_at": moment(delivery.next_at) if delivery.state == "pending" else None,
    }


def _choice(params: dict[str, str], name: str, choices: dict[str, str]) -> str | None:
    value = params.get(name) or None
    if value is not None and value not in choices:
        raise ValidationFailedError(fields={f"/{name}": "Giá trị không hợp lệ."})
    return value


def _limit(raw: str | None) -> int:
    if not raw:
        return QUEUE_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= QUEUE_MAX:
        raise ValidationFailedError(fields={"/limit": f"Từ 1 đến {QUEUE_MAX}."})
    return int(raw)


__all__ = ["Backoffice", "Officer"]
