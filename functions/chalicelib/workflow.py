"""A dossier's legal lifecycle as one state machine: pure functions, no I/O.

`apply(state, action, data, ...)` checks that `action` is allowed in `state` for the actor's roles
and returns the next state and the event to append; storage writes both at once, only if nobody
changed the dossier since `state` was read (storage/ports.py, optimistic locking).

Statuses are the ten of the national portal (DVCQG); the law needs a few sub-states on top
(`State.stage`: handed over between units, awaiting payment) and a clock that stands still while
the applicant owes a supplement or a payment. Rules that the sources do not settle for every
procedure (how many supplement requests, whether a payment stops the clock) are per-procedure data
(`Rules`, from the catalogue's `processing`), with the defaults documented on `Rules`.

Events form a hash chain: each event's `hash` covers its content and the previous event's hash,
and the first one's `prev` is the hash of the dossier as filed, so changing any answer, event or
their order is found by `verify_chain`.
"""

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .calendar import VIETNAM, WorkingCalendar
from .errors import ActionNotAllowedError, ValidationFailedError
from .forms import CONTROL, CONTROL_IN_LINE
from .storage.ports import NewDossier, State, dossier_json

STATUSES = {
    1: "Mới đăng ký",
    2: "Được tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}
FINAL = frozenset({3, 7, 8, 10})
OPEN = frozenset(STATUSES) - FINAL
# Units of an office a dossier is handed between (the control slip, Mẫu 06, lists each hand-over).
UNITS = {
    "mot-cua": "Bộ phận Một cửa",
    "chuyen-mon": "Bộ phận chuyên môn",
    "lanh-dao": "Lãnh đạo phê duyệt",
}
ROLES = {
    "mot_cua": "Công chức Bộ phận Một cửa",
    "chuyen_vien": "Chuyên viên xử lý",
    "lanh_dao": "Lãnh đạo",
    "quan_tri": "Quản trị",
}
APPLICANT = "nguoi_nop"  # the role of whoever holds the dossier's lookup secret
# The role of a province's own one-stop system a dossier was handed over to (handover.py): it
# only reports statuses (the `mirror` action), never acts as an officer.
PROVINCIAL_SYSTEM = "he_thong_tinh"
RETURN_METHODS = {
    "truc_tiep": "Nhận trực tiếp tại Bộ phận Một cửa",
    "buu_chinh": "Gửi qua dịch vụ bưu chính",
    "truc_tuyen": "Nhận bản điện tử trực tuyến",
}
# The forms of Thông tư 03/2025/TT-VPCP, Phụ lục I (LEGAL-FACTS.md §3: titles from one secondary
# source; the official layouts could not be read, so the pages render each form's content).
FORMS = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
    "05": "Thông báo dừng giải quyết hồ sơ",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "07": "Sổ theo dõi hồ sơ",
}
OUTCOMES = {"truoc_han": "Trước hạn", "dung_han": "Đúng hạn", "qua_han": "Quá hạn"}


@dataclass(frozen=True)
class Rules:
    """What the lifecycle needs from the procedure version the dossier was filed under.

    Defaults (documented in docs/lifecycle.md): one supplement request, as under NĐ 61/2018 and
    TT 01/2018 (what NĐ 118/2025 says is unverified here); the clock stands still while a
    supplement or a payment is awaited ("không tính vào thời hạn giải quyết")."""

    deadline_amount: int | None = None  # from the online channel; None when unpublished
    deadline_unit: str = "unpublished"  # calendar.UNITS
    fee: int | None = None  # VND the applicant pays online; None when unpublished or none
    supplement_limit: int = 1
    payment_stops_clock: bool = True


@dataclass(frozen=True)
class Actor:
    id: str  # an officer's account id, or APPLICANT
    roles: frozenset[str]
    name: str = ""


@dataclass(frozen=True)
class Action:
    label: str  # Vietnamese, for the buttons and the timeline
    sources: frozenset[int]  # statuses it is allowed in
    roles: frozenset[str]
    form: str | None = None  # the TT 03/2025 form (Phụ lục I) it issues, if any
    fields: tuple[str, ...] = field(default_factory=tuple)  # what `data` may hold


_OFFICERS = frozenset({"mot_cua", "chuyen_vien", "lanh_dao"})
_DESK = frozenset({"mot_cua", "lanh_dao"})
_PROCESSING = frozenset({"chuyen_vien", "lanh_dao"})
ACTIONS: dict[str, Action] = {
    "receive": Action("Tiếp nhận hồ sơ", frozenset({1}), _DESK, "01"),
    "refuse": Action("Từ chối tiếp nhận", frozenset({1, 5}), _DESK, "03", ("reason",)),
    "request_supplement": Action(
        "Yêu cầu bổ sung, hoàn thiện hồ sơ",
        frozenset({1, 2, 4}),
        _OFFICERS,
        "02",
        ("items", "reason"),
    ),
    "supplement": Action(
        "Bổ sung hồ sơ", frozenset({5}), frozenset({APPLICANT}), None, ("uploads", "note")
    ),
    "transfer": Action("Chuyển xử lý", frozenset({2, 4}), _OFFICERS, "06", ("to_unit", "note")),
    "request_payment": Action(
        "Yêu cầu thực hiện nghĩa vụ tài chính",
        frozenset({2, 4}),
        _OFFICERS,
        None,
        ("amount", "note"),
    ),
    "confirm_payment": Action("Xác nhận đã nộp phí", frozenset({6}), _OFFICERS, None, ("note",)),
    "done": Action("Hoàn thành xử lý", frozenset({2, 4}), _PROCESSING, None, ("note",)),
    "return_result": Action(
        "Trả kết quả", frozenset({9}), _DESK, None, ("method", "address", "result_file", "note")
    ),
    "withdraw": Action(
        "Rút hồ sơ", frozenset({1, 2, 4, 5, 6}), frozenset({APPLICANT}), None, ("reason",)
    ),
    "stop": Action("Dừng xử lý", frozenset({2, 4, 5, 6}), _PROCESSING, "05", ("reason",)),
    "extend": Action(
        "Xin lỗi và gia hạn", frozenset({2, 4}), _PROCESSING, "04", ("reason", "new_due_at")
    ),
    # The applicant's withdraw or supplement on a dossier handed over to a province's system:
    # sent to that system (handover.py), recorded here, the status unchanged until it reports.
    "forward": Action(
        "Đã gửi tới hệ thống giải quyết TTHC của tỉnh",
        frozenset({1, 2, 4, 5, 6}),
        frozenset({APPLICANT}),
        None,
        ("request", "reason", "uploads", "note"),
    ),
    "mirror": Action(
        "Cập nhật từ hệ thống giải quyết TTHC của tỉnh",
        OPEN,
        frozenset({PROVINCIAL_SYSTEM}),
        None,
        ("status", "event_id", "occurred_at", "note", "items", "amount"),
    ),
}
TEXT_LIMIT = 2000
# A status (DVCQG code) a province's system reports for a dossier handed over to it, and the
# statuses here it may follow: those of the actions above that lead to it (4 also after a
# supplement or a payment, as `supplement` and `confirm_payment` resume; 4 again is a hand-over
# between that system's units). Status 1 is never reported: the filing is ours. The one table of
# the hand-over's vocabulary (docs/ban-giao.md); anything else is 409 action_not_allowed.
MIRRORED: dict[int, frozenset[int]] = {
    2: frozenset({1}),
    3: frozenset({1, 5}),
    4: frozenset({2, 4, 5, 6}),
    5: frozenset({1, 2, 4}),
    6: frozenset({2, 4}),
    7: frozenset({1, 2, 4, 5, 6}),
    8: frozenset({2, 4, 5, 6}),
    9: frozenset({2, 4}),
    10: frozenset({9}),
}


def initial_state(dossier: NewDossier, body: str | None = None) -> State:
    """The state of a dossier as filed: no event yet, the due date the receipt estimated.
    `body`: its dossier_json, if the caller has it already (it stores it too)."""
    return State(
        status=dossier.status,
        office=dossier.office,
        due_at=dossier.due_at,
        head=genesis(dossier, body),
        handed_to=dossier.handed_to,
    )


def allowed(
    state: State,
    roles: frozenset[str],
    *,
    at: dt.datetime | None = None,
    rules: Rules | None = None,
) -> list[str]:
    """The actions an actor with `roles` may take in `state`, in ACTIONS order. Given the moment
    and the procedure's rules, it also leaves out what `apply` would refuse for them (so a page
    offers no button that can only fail): an extension once the due time has come, a supplement
    request past the procedure's limit."""
    return [
        name
        for name in _candidates(state.status, roles)
        if _precondition(name, state) and _in_time_and_rules(name, state, at, rules)
    ]


@functools.lru_cache(maxsize=256)
def _candidates(status: int, roles: frozenset[str]) -> tuple[str, ...]:
    """The actions that `roles` may take from `status`, before any precondition (ACTIONS is
    fixed, so each pair is computed once: every status view lists them)."""
    return tuple(
        name
        for name, action in ACTIONS.items()
        if status in action.sources and action.roles & roles
    )


def _in_time_and_rules(
    name: str, state: State, at: dt.datetime | None, rules: Rules | None
) -> bool:
    if name == "extend" and at is not None:
        return state.due_at is not None and at < dt.datetime.fromisoformat(state.due_at)
    if name == "request_supplement" and rules is not None:
        return state.supplements < rules.supplement_limit
    return True


def _precondition(name: str, state: State) -> bool:
    if name == "refuse" and state.status == 5:
        return state.resume_status == 1  # a supplement asked at reception was never given
    if name == "forward":
        return bool(state.handed_to)  # only a handed-over dossier's requests go elsewhere
    return True


def apply(
    state: State,
    action: str,
    data: Mapping[str, Any],
    *,
    actor: Actor,
    at: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    request_id: str | None = None,
) -> tuple[State, dict[str, Any]]:
    """The next state and the event that records it, or ActionNotAllowedError /
    ValidationFailedError with a Vietnamese message per field. `request_id` (the client's
    Idempotency-Key) is recorded in the event's data, so a retry finds the event it made."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise ActionNotAllowedError("Thao tác không tồn tại.")
    if not spec.roles & actor.roles:
        raise ActionNotAllowedError("Vai trò của bạn không được thực hiện thao tác này.")
    _check_request(spec, state, data, precondition=_precondition(action, state))
    now = at.astimezone(VIETNAM).isoformat(timespec="seconds")
    step = _STEPS[action]
    nxt, recorded = step(state, dict(data), _Context(now, at, rules, calendar))
    if request_id:
        recorded["request_id"] = request_id
    event: dict[str, Any] = {
        "seq": state.version + 1,
        "action": action,
        "at": now,
        "actor": {"id": actor.id, "name": actor.name},
        "from": state.status,
        "status": nxt.status,
        "unit": nxt.unit,
        "due_at": nxt.due_at,
        "data": recorded,
        "prev": state.head,
    }
    digest = event["hash"] = event_hash(event)
    return replace(nxt, version=state.version + 1, head=digest), event


@dataclass(frozen=True)
class _Context:
    now: str
    at: dt.datetime
    rules: Rules
    calendar: WorkingCalendar


def _receive(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    due = c.calendar.due(c.at, c.rules.deadline_amount, c.rules.deadline_unit)
    due_at = due.isoformat(timespec="minutes") if due else None
    return replace(state, status=2, unit="mot-cua", received_at=c.now, due_at=due_at), {}


def _refuse(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    reason = _required_text(data, "reason")
    return _finish(state, 3, c), {"reason": reason}


def _request_supplement(
    state: State, data: dict[str, Any], c: _Context
) -> tuple[State, dict[str, Any]]:
    if state.supplements >= c.rules.supplement_limit:
        raise ActionNotAllowedError(
            f"Thủ tục này chỉ cho phép yêu cầu bổ sung {c.rules.supplement_limit} lần;"
            " hãy giải quyết hoặc từ chối với lý do."
        )
    recorded: dict[str, Any] = {"items": _supplement_items(data)}
    if data.get("reason"):
        recorded["reason"] = _required_text(data, "reason")
    nxt = replace(
        state,
        status=5,
        resume_status=state.status,
        supplements=state.supplements + 1,
        clock_stopped_at=c.now if state.received_at else None,
    )
    return nxt, recorded


def _supplement_items(data: Mapping[str, Any]) -> list[str]:
    """The one complete list of what is missing: 1 to 50 lines of text."""
    items = data.get("items")
    if not isinstance(items, list) or not items or len(items) > 50:
        raise ValidationFailedError(
            fields={"/items": "Liệt kê đầy đủ, cụ thể từng giấy tờ cần bổ sung (1–50 mục)."}
        )
    cleaned = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip() or len(item) > 500:
            raise ValidationFailedError(
                fields={f"/items/{index}": "Mỗi mục là một dòng chữ, tối đa 500 ký tự."}
            )
        if CONTROL_IN_LINE.search(item):
            raise ValidationFailedError(fields={f"/items/{index}": CONTROL_MESSAGE})
        cleaned.append(item.strip())
    return cleaned


def _supplement(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    uploads = data.get("uploads")
    if not isinstance(uploads, list) or not uploads or not all(isinstance(k, str) for k in uploads):
        raise ValidationFailedError(fields={"/uploads": "Tải lên ít nhất một tệp bổ sung."})
    recorded: dict[str, Any] = {"uploads": uploads}
    if data.get("note"):
        recorded["note"] = _required_text(data, "note")
    return _resume(state, state.resume_status or 1, c), recorded


def _transfer(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    unit = data.get("to_unit")
    if unit not in UNITS:
        raise ValidationFailedError(fields={"/to_unit": "Chọn bộ phận nhận hồ sơ."})
    if unit == state.unit:
        raise ValidationFailedError(fields={"/to_unit": "Hồ sơ đang ở bộ phận này."})
    recorded: dict[str, Any] = {"from_unit": state.unit, "to_unit": unit}
    if data.get("note"):
        recorded["note"] = _required_text(data, "note")
    return replace(state, status=4, unit=unit, stage="chuyen"), recorded


def _request_payment(
    state: State, data: dict[str, Any], c: _Context
) -> tuple[State, dict[str, Any]]:
    amount = c.rules.fee
    if amount is None:  # the catalogue publishes no amount: the officer states it
        amount = data.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount < 10**10:
            raise ValidationFailedError(
                fields={"/amount": "Nhập số tiền (đồng) theo văn bản quy định phí, lệ phí."}
            )
    elif "amount" in data and data["amount"] != amount:
        raise ValidationFailedError(fields={"/amount": f"Mức thu theo danh mục là {amount} đồng."})
    recorded: dict[str, Any] = {"amount": amount}
    if data.get("note"):
        recorded["note"] = _required_text(data, "note")
    stopped = c.now if c.rules.payment_stops_clock else None
    nxt = replace(
        state,
        status=6,
        stage="cho_thanh_toan",
        resume_status=state.status,
        clock_stopped_at=stopped,
    )
    return nxt, recorded


def _confirm_payment(
    state: State, data: dict[str, Any], c: _Context
) -> tuple[State, dict[str, Any]]:
    recorded = {"note": _required_text(data, "note")} if data.get("note") else {}
    return replace(_resume(state, state.resume_status or 4, c), stage=""), recorded


def _done(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    recorded = {"note": _required_text(data, "note")} if data.get("note") else {}
    outcome = None
    if state.due_at:
        due = dt.datetime.fromisoformat(state.due_at)
        if c.at.astimezone(VIETNAM).date() < due.date():
            outcome = "truoc_han"
        else:
            outcome = "dung_han" if c.at <= due else "qua_han"
    nxt = replace(state, status=9, stage="", finished_at=c.now, outcome=outcome)
    return nxt, {**recorded, "outcome": outcome}


def _return_result(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    method = data.get("method")
    if method not in RETURN_METHODS:
        raise ValidationFailedError(fields={"/method": "Chọn cách trả kết quả."})
    recorded: dict[str, Any] = {"method": method}
    if method == "buu_chinh":
        recorded["address"] = _required_text(
            data, "address", "Nhập địa chỉ nhận kết quả qua bưu chính."
        )
    if method == "truc_tuyen":
        result_file = data.get("result_file")
        if not isinstance(result_file, str) or not result_file:
            raise ValidationFailedError(fields={"/result_file": "Tải lên tệp kết quả điện tử."})
        recorded["result_file"] = result_file
    if data.get("note"):
        recorded["note"] = _required_text(data, "note")
    return replace(state, status=10, unit="mot-cua"), recorded


def _withdraw(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    recorded = {"reason": _required_text(data, "reason")} if data.get("reason") else {}
    return _finish(state, 7, c), recorded


def _stop(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    return _finish(state, 8, c), {"reason": _required_text(data, "reason")}


def _extend(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    reason = _required_text(data, "reason", "Nêu lý do chậm trễ (nội dung văn bản xin lỗi).")
    if not state.due_at:
        raise ActionNotAllowedError("Hồ sơ chưa có hạn giải quyết để gia hạn.")
    due = dt.datetime.fromisoformat(state.due_at)
    if c.at >= due:
        raise ActionNotAllowedError("Chỉ gia hạn được trước thời hạn giải quyết; hồ sơ đã quá hạn.")
    try:
        new_due = dt.datetime.fromisoformat(str(data.get("new_due_at")))
    except ValueError:
        new_due = None
    if new_due is None or new_due.tzinfo is None or new_due <= due:
        raise ValidationFailedError(fields={"/new_due_at": "Chọn ngày hẹn mới, sau hạn hiện tại."})
    new = new_due.astimezone(VIETNAM).isoformat(timespec="minutes")
    return replace(state, due_at=new), {
        "reason": reason,
        "old_due_at": state.due_at,
        "new_due_at": new,
    }


# What the applicant may ask of a handed-over dossier, sent to the province's system (`forward`).
FORWARDED = ("withdraw", "supplement")


def _check_request(
    spec: Action, state: State, data: Mapping[str, Any], *, precondition: bool = True
) -> None:
    """ActionNotAllowedError unless `spec` may be taken from `state` (and its precondition
    holds); ValidationFailedError for a field the action does not take."""
    if state.status not in spec.sources or not precondition:
        raise ActionNotAllowedError(
            f"Không thể “{spec.label}” khi hồ sơ ở trạng thái “{STATUSES[state.status]}”."
        )
    unknown = set(data) - set(spec.fields)
    if unknown:
        raise ValidationFailedError(
            fields={f"/{name}"[:100]: "Trường không có trong thao tác này." for name in unknown}
        )


def _forward(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    """The applicant's `request` (withdraw, supplement) checked as that action would be, and
    recorded with what it carries; the state stays as it is: the province's system decides, and
    its report (`mirror`) changes the status."""
    request = data.pop("request", None)
    if request not in FORWARDED:
        raise ValidationFailedError(fields={"/request": "Rút hồ sơ hoặc bổ sung hồ sơ."})
    _check_request(ACTIONS[request], state, data)
    _, recorded = _STEPS[request](state, data, c)
    return state, {"request": request, **recorded}


def _mirror(state: State, data: dict[str, Any], c: _Context) -> tuple[State, dict[str, Any]]:
    """A status reported by the province's system the dossier was handed over to: the same
    state as the action here that leads to it (the clock, the outcome), with what it sent."""
    status = data.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or status not in STATUSES:
        raise ValidationFailedError(fields={"/status": "Trạng thái là số từ 1 đến 10 (DVCQG)."})
    if state.status not in MIRRORED.get(status, frozenset()):
        raise ActionNotAllowedError(
            f"Không thể chuyển hồ sơ từ “{STATUSES[state.status]}” sang “{STATUSES[status]}”."
        )
    recorded: dict[str, Any] = {
        "status": status,
        "event_id": str(data.get("event_id", "")),
        "occurred_at": data.get("occurred_at"),
    }
    if data.get("note"):
        recorded["note"] = _required_text(data, "note")
    if status == 5 and data.get("items") is not None:
        recorded["items"] = _supplement_items(data)
    if status == 6 and data.get("amount") is not None:
        amount = data["amount"]
        if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount < 10**10:
            raise ValidationFailedError(fields={"/amount": "Số tiền (đồng), số nguyên dương."})
        recorded["amount"] = amount
    return _MIRROR_STEPS[status](state, c), recorded


def _mirrored_processing(state: State, c: _Context) -> State:
    if state.status in (5, 6):  # the supplement given, the payment made: the clock runs again
        return replace(_resume(state, 4, c), stage="")
    return replace(state, status=4, stage="")


_MIRROR_STEPS: dict[int, Callable[[State, _Context], State]] = {
    2: lambda state, c: _receive(state, {}, c)[0],
    3: lambda state, c: _finish(state, 3, c),
    4: _mirrored_processing,
    5: lambda state, c: replace(
        state,
        status=5,
        resume_status=state.status,
        supplements=state.supplements + 1,
        clock_stopped_at=c.now if state.received_at else None,
    ),
    6: lambda state, c: replace(
        state,
        status=6,
        stage="cho_thanh_toan",
        resume_status=state.status,
        clock_stopped_at=c.now if c.rules.payment_stops_clock else None,
    ),
    7: lambda state, c: _finish(state, 7, c),
    8: lambda state, c: _finish(state, 8, c),
    9: lambda state, c: _done(state, {}, c)[0],
    10: lambda state, c: replace(state, status=10),
}
assert _MIRROR_STEPS.keys() == MIRRORED.keys()


_STEPS = {
    "receive": _receive,
    "refuse": _refuse,
    "request_supplement": _request_supplement,
    "supplement": _supplement,
    "transfer": _transfer,
    "request_payment": _request_payment,
    "confirm_payment": _confirm_payment,
    "done": _done,
    "return_result": _return_result,
    "withdraw": _withdraw,
    "stop": _stop,
    "extend": _extend,
    "forward": _forward,
    "mirror": _mirror,
}
assert _STEPS.keys() == ACTIONS.keys()


def _resume(state: State, status: int, c: _Context) -> State:
    """Back to `status`; if the clock stood still, the due date moves by the working days it
    stood still: each working day after the stop day up to and including the resume day."""
    due_at = state.due_at
    if state.clock_stopped_at and due_at:
        stopped = dt.datetime.fromisoformat(state.clock_stopped_at).date()
        paused = c.calendar.working_days_between(stopped, c.at.astimezone(VIETNAM).date())
        due = dt.datetime.fromisoformat(due_at)
        day = due.date()
        for _ in range(paused):
            day = c.calendar.next_working_day(day)
        due_at = dt.datetime.combine(day, due.timetz()).isoformat(timespec="minutes")
    return replace(state, status=status, resume_status=None, clock_stopped_at=None, due_at=due_at)


def _finish(state: State, status: int, c: _Context) -> State:
    return replace(state, status=status, stage="", clock_stopped_at=None, finished_at=c.now)


# The form answers' rule (forms.CONTROL): what an officer or applicant writes in an action is
# shown and printed to the other side, so it may not read differently from what it stores.
CONTROL_MESSAGE = "Có ký tự điều khiển hoặc ký tự đảo chiều văn bản, không được phép."


def _required_text(data: Mapping[str, Any], name: str, message: str | None = None) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT_LIMIT:
        raise ValidationFailedError(
            fields={f"/{name}": message or f"Bắt buộc, tối đa {TEXT_LIMIT} ký tự."}
        )
    if CONTROL.search(value):  # line breaks are fine in a reason or a note
        raise ValidationFailedError(fields={f"/{name}": CONTROL_MESSAGE})
    return value.strip()


# --- the hash chain ------------------------------------------------------------------------------


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def genesis(dossier: NewDossier, body: str | None = None) -> str:
    """The chain's first `prev`: the hash of the dossier as filed (`body`: its dossier_json)."""
    return "sha256:" + hashlib.sha256((body or dossier_json(dossier)).encode()).hexdigest()


def event_hash(event: Mapping[str, Any]) -> str:
    body = {key: value for key, value in event.items() if key != "hash"}
    return "sha256:" + hashlib.sha256(_canonical(body)).hexdigest()


def verify_chain(
    dossier: NewDossier, events: tuple[dict[str, Any], ...] | list[dict[str, Any]]
) -> list[str]:
    """Every break in a dossier's chain, as Vietnamese sentences; empty when it is whole."""
    problems, prev = [], genesis(dossier)
    for index, event in enumerate(events, start=1):
        if event.get("seq") != index:
            problems.append(f"sự kiện {index}: số thứ tự {event.get('seq')} không liền mạch")
        if event.get("prev") != prev:
            problems.append(f"sự kiện {index}: không nối với sự kiện trước (prev sai)")
        if event.get("hash") != event_hash(event):
            problems.append(f"sự kiện {index}: nội dung đã bị thay đổi (hash sai)")
        prev = str(event.get("hash"))
    return problems


__all__ = [
    "ACTIONS",
    "APPLICANT",
    "FINAL",
    "FORMS",
    "FORWARDED",
    "MIRRORED",
    "OPEN",
    "OUTCOMES",
    "PROVINCIAL_SYSTEM",
    "RETURN_METHODS",
    "ROLES",
    "STATUSES",
    "UNITS",
    "Action",
    "Actor",
    "Rules",
    "allowed",
    "apply",
    "event_hash",
    "genesis",
    "initial_state",
    "verify_chain",
]
