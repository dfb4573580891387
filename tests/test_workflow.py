"""The lifecycle state machine (chalicelib.workflow): which action is allowed when and for whom,
the law's particular cases, the clock that stands still, and the hash chain. Pure: no I/O."""

import dataclasses
import datetime as dt
from typing import Any

import pytest

from buildlib.catalogue.load import load
from chalicelib import workflow
from chalicelib.calendar import VIETNAM, WorkingCalendar
from chalicelib.errors import ActionNotAllowedError, ValidationFailedError
from chalicelib.storage.ports import NewDossier, State

from .conftest import CATALOGUE

CALENDAR = WorkingCalendar.from_documents(
    d.data for d in load(CATALOGUE, workers=1).of_kind("calendar")
)
RULES = workflow.Rules(deadline_amount=3, deadline_unit="working_days", fee=50_000)
ROLE_ACTORS = {
    role: workflow.Actor(f"{role}-1", frozenset({role}), role)
    for role in [*workflow.ROLES, workflow.APPLICANT, workflow.PROVINCIAL_SYSTEM]
}
DESK = ROLE_ACTORS["mot_cua"]
SPECIALIST = ROLE_ACTORS["chuyen_vien"]
APPLICANT = ROLE_ACTORS[workflow.APPLICANT]
# Data each action accepts (return_result: by post, which needs an address).
GOOD_DATA: dict[str, dict[str, Any]] = {
    "receive": {},
    "refuse": {"reason": "Không thuộc thẩm quyền"},
    "request_supplement": {"items": ["Bản sao CCCD"]},
    "supplement": {"uploads": ["2026/12/01/bo-sung.pdf"]},
    "transfer": {"to_unit": "lanh-dao"},
    "request_payment": {},
    "confirm_payment": {},
    "done": {},
    "return_result": {"method": "buu_chinh", "address": "12 Lạch Tray, Lê Chân"},
    "withdraw": {"reason": "Không cần nữa"},
    "stop": {"reason": "Người nộp không bổ sung"},
    "extend": {"reason": "Cần xác minh thêm", "new_due_at": "2026-12-20T17:00+07:00"},
    "forward": {"request": "withdraw", "reason": "Nộp nhầm"},  # of a handed-over dossier
    "mirror": {"status": 2, "event_id": "su-kien-0001"},  # from 1; others: mirrored_data()
}
assert GOOD_DATA.keys() == workflow.ACTIONS.keys()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


def make_filed(**overrides: Any) -> NewDossier:
    values: dict[str, Any] = {
        "agency": "T26.LC",
        "day": "261130",
        "procedure": "1.001193",
        "version": "2025-07-01",
        "catalogue": "4acdfe5",
        "answers": {"ho_ten": "Nguyễn Văn An"},
        "uploads": {"to-khai": ["2026/11/30/a.pdf"]},
        "secret_hash": "sha256:00ff",
        "received_at": "2026-11-30T08:00:00+07:00",
        "due_at": "2026-12-03T17:00:00+07:00",
        "office": "phuong-le-chan",
    }
    return NewDossier(**(values | overrides))


def state_in(status: int) -> State:
    """A dossier in `status`, received on Monday 30/11/2026, due Thursday 03/12 at 17:00; in 5
    and 6 the clock stands still since Tuesday and the dossier returns to 4 (so a refusal,
    allowed only after a supplement asked at reception, is not)."""
    base = State(
        status=status,
        version=2,
        office="phuong-le-chan",
        unit="mot-cua",
        received_at="2026-11-30T08:00:00+07:00",
        due_at="2026-12-03T17:00+07:00",
        head="sha256:ab",
    )
    if status in (5, 6):
        base = dataclasses.replace(
            base, resume_status=4, clock_stopped_at="2026-12-01T09:00:00+07:00"
        )
    if status == 9:
        base = dataclasses.replace(base, finished_at="2026-12-02T10:00:00+07:00")
    return base


def state_for(action: str, status: int) -> State:
    """state_in(status), handed over to a province's system for `forward` (its only use)."""
    state = state_in(status)
    return dataclasses.replace(state, handed_to="he-thong-tinh") if action == "forward" else state


def apply(
    state: State,
    action: str,
    data: dict[str, Any] | None = None,
    *,
    actor: workflow.Actor = DESK,
    when: str = "2026-12-01T10:00",
    rules: workflow.Rules = RULES,
) -> tuple[State, dict[str, Any]]:
    return workflow.apply(
        state,
        action,
        GOOD_DATA[action] if data is None else data,
        actor=actor,
        at=at(when),
        rules=rules,
        calendar=CALENDAR,
    )


CASES = [
    pytest.param(action, status, role, id=f"{action}-{status}-{role}")
    for action in workflow.ACTIONS
    for status in workflow.STATUSES
    for role in ROLE_ACTORS
]


@pytest.mark.parametrize(("action", "status", "role"), CASES)
def test_an_action_is_allowed_exactly_from_its_statuses_for_its_roles(action, status, role):
    spec = workflow.ACTIONS[action]
    expected = status in spec.sources and role in spec.roles
    if action == "refuse" and status == 5:
        expected = False  # the supplement was asked after reception (state_in: resume 4)
    state = state_for(action, status)

    assert (action in workflow.allowed(state, frozenset({role}))) is expected
    if expected:
        data = mirrored_data(status) if action == "mirror" else None
        nxt, event = apply(state, action, data, actor=ROLE_ACTORS[role])
        assert (event["seq"], event["from"], event["status"]) == (3, status, nxt.status)
        assert nxt.version == 3 and nxt.head == event["hash"]
    else:
        with pytest.raises(ActionNotAllowedError):
            apply(state, action, actor=ROLE_ACTORS[role])


def mirrored_data(status: int) -> dict[str, Any]:
    """A status a province's system may report for a dossier in `status`: the first one."""
    reported = min(s for s, sources in workflow.MIRRORED.items() if status in sources)
    return {"status": reported, "event_id": "su-kien-0001"}


def test_the_statuses_each_action_leads_to():
    leads = {}
    for action in workflow.ACTIONS:
        source = min(workflow.ACTIONS[action].sources - {5}, default=5)
        role = next(iter(workflow.ACTIONS[action].roles))
        nxt, _ = apply(state_for(action, source), action, actor=ROLE_ACTORS[role])
        leads[action] = (source, nxt.status)

    assert leads == {
        "receive": (1, 2),
        "refuse": (1, 3),
        "request_supplement": (1, 5),
        "supplement": (5, 4),  # back where the request found it (state_in: 4)
        "transfer": (2, 4),
        "request_payment": (2, 6),
        "confirm_payment": (6, 4),
        "done": (2, 9),
        "return_result": (9, 10),
        "withdraw": (1, 7),
        "stop": (2, 8),
        "extend": (2, 2),
        "forward": (1, 1),  # sent to the province's system, which decides
        "mirror": (1, 2),  # as GOOD_DATA reports it; test_handover has the table
    }


def test_forward_is_only_for_a_handed_over_dossier_and_checks_the_request_it_carries():
    handed = state_for("forward", 4)
    with pytest.raises(ActionNotAllowedError):
        apply(state_in(4), "forward", actor=APPLICANT)  # processed here: withdraw is applied
    with pytest.raises(ActionNotAllowedError):  # a supplement only while one is asked
        apply(handed, "forward", {"request": "supplement", "uploads": ["a.pdf"]}, actor=APPLICANT)
    with pytest.raises(ValidationFailedError) as refused:
        apply(handed, "forward", {"request": "stop", "reason": "x"}, actor=APPLICANT)
    assert set(refused.value.fields) == {"/request"}
    with pytest.raises(ValidationFailedError):  # as `supplement` itself refuses it
        apply(state_for("forward", 5), "forward", {"request": "supplement"}, actor=APPLICANT)
    nxt, event = apply(
        state_for("forward", 5),
        "forward",
        GOOD_DATA["supplement"] | {"request": "supplement", "note": "Bản sao"},
        actor=APPLICANT,
    )
    assert (nxt.status, nxt.clock_stopped_at) == (5, state_in(5).clock_stopped_at)
    assert event["data"] == {
        "request": "supplement",
        "uploads": GOOD_DATA["supplement"]["uploads"],
        "note": "Bản sao",
    }


def test_an_unknown_action_and_an_unknown_field_are_refused():
    with pytest.raises(ActionNotAllowedError):
        apply(state_in(1), "approve", {})
    with pytest.raises(ValidationFailedError) as refused:
        apply(state_in(1), "refuse", {"reason": "x", "points": 3})
    assert refused.value.fields == {"/points": "Trường không có trong thao tác này."}


def test_action_texts_refuse_control_and_bidi_characters_but_keep_line_breaks():
    reversed_name = "Lý do: \u202eAn Nguyễn"
    for data in ({"reason": reversed_name}, {"reason": "a\x00b"}, {"reason": "a\x1bb"}):
        with pytest.raises(ValidationFailedError) as refused:
            apply(state_in(1), "refuse", data)
        assert refused.value.fields == {"/reason": workflow.CONTROL_MESSAGE}
    with pytest.raises(ValidationFailedError) as refused:
        apply(state_in(2), "request_supplement", {"items": ["Tờ khai", "Ảnh\nthẻ"]})
    assert refused.value.fields == {"/items/1": workflow.CONTROL_MESSAGE}
    _, event = apply(state_in(1), "refuse", {"reason": "Thiếu giấy tờ.\nXem phiếu."})
    assert event["data"] == {"reason": "Thiếu giấy tờ.\nXem phiếu."}


def test_a_final_status_allows_nothing():
    for status in workflow.FINAL:
        roles = frozenset(ROLE_ACTORS)
        assert workflow.allowed(state_in(status), roles) == []


# --- supplements ---------------------------------------------------------------------------------


def test_refuses_a_second_supplement_request_with_the_default_limit():
    received, _ = apply(workflow.initial_state(make_filed()), "receive", when="2026-11-30T08:00")
    asked, _ = apply(received, "request_supplement", when="2026-12-01T09:00")
    given, _ = apply(asked, "supplement", actor=APPLICANT, when="2026-12-02T09:00")

    with pytest.raises(ActionNotAllowedError, match="chỉ cho phép yêu cầu bổ sung 1 lần"):
        apply(given, "request_supplement", when="2026-12-02T10:00")

    twice = dataclasses.replace(RULES, supplement_limit=2)
    again, event = apply(given, "request_supplement", when="2026-12-02T10:00", rules=twice)
    assert (again.status, again.supplements, event["data"]) == (5, 2, {"items": ["Bản sao CCCD"]})


def test_refuse_after_a_supplement_asked_at_reception_went_unanswered():
    filed = workflow.initial_state(make_filed())
    asked_at_reception, _ = apply(filed, "request_supplement")
    refused, event = apply(asked_at_reception, "refuse", {"reason": "Không bổ sung"})
    assert (refused.status, event["data"]) == (3, {"reason": "Không bổ sung"})

    received, _ = apply(filed, "receive")
    asked_later, _ = apply(received, "request_supplement")
    assert "refuse" not in workflow.allowed(asked_later, frozenset({"mot_cua"}))
    with pytest.raises(ActionNotAllowedError):
        apply(asked_later, "refuse", {"reason": "Không bổ sung"})


def test_a_supplement_list_is_one_complete_list_of_lines():
    for items in ([], "Bản sao CCCD", [""], ["x" * 501], ["ok"] * 51, [3]):
        with pytest.raises(ValidationFailedError):
            apply(state_in(2), "request_supplement", {"items": items})
    _, event = apply(state_in(2), "request_supplement", {"items": ["  Tờ khai  ", "Ảnh"]})
    assert event["data"] == {"items": ["Tờ khai", "Ảnh"]}


# --- the clock -----------------------------------------------------------------------------------


def test_the_due_date_is_set_at_reception_in_working_days():
    received, event = apply(
        workflow.initial_state(make_filed()), "receive", when="2026-11-30T09:00"
    )
    assert received.due_at == "2026-12-03T17:00+07:00"  # Mon + 3 working days
    assert event["due_at"] == received.due_at and received.unit == "mot-cua"


def test_the_clock_stands_still_during_a_supplement_across_the_national_day():
    """Received Thursday 27/08/2026: three working days are Fri 28/08, then (31/08 swapped off,
    01-02/09 the National Day) Thu 03/09 and Fri 04/09. The supplement asked on Friday 28/08 and
    given on Thursday 03/09 stood still one working day (03/09), not six calendar days: due
    Monday 07/09."""
    filed = workflow.initial_state(make_filed())
    received, _ = apply(filed, "receive", when="2026-08-27T09:00")
    assert received.due_at == "2026-09-04T17:00+07:00"

    asked, _ = apply(received, "request_supplement", when="2026-08-28T10:00")
    assert asked.clock_stopped_at == "2026-08-28T10:00:00+07:00"
    assert asked.due_at == received.due_at  # unchanged while it stands still

    given, event = apply(asked, "supplement", actor=APPLICANT, when="2026-09-03T09:00")
    assert (given.status, given.clock_stopped_at, given.resume_status) == (2, None, None)
    assert given.due_at == event["due_at"] == "2026-09-07T17:00+07:00"


def test_the_clock_stands_still_over_a_weekend_only_for_working_days():
    received, _ = apply(workflow.initial_state(make_filed()), "receive", when="2026-11-30T09:00")
    asked, _ = apply(received, "request_supplement", when="2026-12-03T09:00")  # Thursday
    given, _ = apply(asked, "supplement", actor=APPLICANT, when="2026-12-07T09:00")  # Monday
    # Fri 04 and Mon 07 stood still (the weekend is not counted): due Thu 03 -> Mon 07 12.
    assert given.due_at == "2026-12-07T17:00+07:00"


def test_a_supplement_asked_before_reception_moves_nothing():
    asked, _ = apply(workflow.initial_state(make_filed()), "request_supplement")
    assert asked.clock_stopped_at is None
    given, _ = apply(asked, "supplement", actor=APPLICANT, when="2026-12-07T09:00")
    assert (given.status, given.due_at) == (1, "2026-12-03T17:00:00+07:00")


def test_a_payment_stops_the_clock_unless_the_procedure_says_otherwise():
    received, _ = apply(workflow.initial_state(make_filed()), "receive", when="2026-11-30T09:00")
    asked, event = apply(received, "request_payment", when="2026-12-01T09:00")
    assert (asked.status, asked.stage, event["data"]) == (6, "cho_thanh_toan", {"amount": 50_000})
    paid, _ = apply(asked, "confirm_payment", when="2026-12-03T09:00")
    assert (paid.status, paid.stage) == (2, "")
    assert paid.due_at == "2026-12-07T17:00+07:00"  # Wed 02 and Thu 03 stood still

    running = dataclasses.replace(RULES, payment_stops_clock=False)
    asked, _ = apply(received, "request_payment", when="2026-12-01T09:00", rules=running)
    assert asked.clock_stopped_at is None
    paid, _ = apply(asked, "confirm_payment", when="2026-12-03T09:00", rules=running)
    assert paid.due_at == received.due_at


def test_the_amount_comes_from_the_catalogue_or_from_the_officer_when_unpublished():
    with pytest.raises(ValidationFailedError) as refused:
        apply(state_in(2), "request_payment", {"amount": 60_000})
    assert refused.value.fields == {"/amount": "Mức thu theo danh mục là 50000 đồng."}
    unpublished = dataclasses.replace(RULES, fee=None)
    for amount in (None, 0, -1, "100", True, 10**10):
        data = {} if amount is None else {"amount": amount}
        with pytest.raises(ValidationFailedError):
            apply(state_in(2), "request_payment", data, rules=unpublished)
    _, event = apply(state_in(2), "request_payment", {"amount": 75_000}, rules=unpublished)
    assert event["data"] == {"amount": 75_000}


# --- extension and the outcome -------------------------------------------------------------------


def test_an_extension_only_before_the_due_date_and_only_to_a_later_one():
    state = state_in(4)  # due Thu 03/12/2026 17:00
    extended, event = apply(
        state,
        "extend",
        {"reason": "Cần xác minh", "new_due_at": "2026-12-10T17:00+07:00"},
        actor=SPECIALIST,
        when="2026-12-03T16:59",
    )
    assert extended.due_at == "2026-12-10T17:00+07:00"
    assert event["data"]["old_due_at"] == "2026-12-03T17:00+07:00"

    with pytest.raises(ActionNotAllowedError, match="trước thời hạn"):
        apply(state, "extend", actor=SPECIALIST, when="2026-12-03T17:00")
    for earlier in ("2026-12-03T17:00+07:00", "2026-12-02T17:00+07:00", "2026-12-10", "mai"):
        with pytest.raises(ValidationFailedError):
            apply(
                state,
                "extend",
                {"reason": "x", "new_due_at": earlier},
                actor=SPECIALIST,
                when="2026-12-01T10:00",
            )
    with pytest.raises(ActionNotAllowedError):
        apply(state_in(5), "extend", actor=SPECIALIST)  # not while the applicant owes a supplement


@pytest.mark.parametrize(
    ("finished", "outcome"),
    [
        ("2026-12-02T16:00", "truoc_han"),  # the day before the due day
        ("2026-12-03T08:00", "dung_han"),  # on the due day, before the hour
        ("2026-12-03T17:00", "dung_han"),  # at the due hour
        ("2026-12-03T17:01", "qua_han"),
        ("2026-12-07T09:00", "qua_han"),
    ],
)
def test_the_result_is_early_on_time_or_late(finished, outcome):
    done, event = apply(state_in(4), "done", actor=SPECIALIST, when=finished)
    assert (done.status, done.outcome, event["data"]["outcome"]) == (9, outcome, outcome)
    assert done.finished_at == at(finished).isoformat(timespec="seconds")


def test_returning_the_result_needs_what_its_method_needs():
    for data in ({}, {"method": "fax"}, {"method": "buu_chinh"}, {"method": "truc_tuyen"}):
        with pytest.raises(ValidationFailedError):
            apply(state_in(9), "return_result", data)
    returned, event = apply(
        state_in(9), "return_result", {"method": "truc_tuyen", "result_file": "kq.pdf"}
    )
    assert (returned.status, event["data"]) == (
        10,
        {"method": "truc_tuyen", "result_file": "kq.pdf"},
    )


def test_a_transfer_names_another_unit_and_is_recorded_from_and_to():
    with pytest.raises(ValidationFailedError):
        apply(state_in(2), "transfer", {"to_unit": "mot-cua"})  # already there
    with pytest.raises(ValidationFailedError):
        apply(state_in(2), "transfer", {"to_unit": "phong-khac"})
    moved, event = apply(state_in(2), "transfer", {"to_unit": "chuyen-mon", "note": " gấp "})
    assert (moved.status, moved.unit, moved.stage) == (4, "chuyen-mon", "chuyen")
    assert event["data"] == {"from_unit": "mot-cua", "to_unit": "chuyen-mon", "note": "gấp"}


# --- the hash chain ------------------------------------------------------------------------------


def history() -> tuple[NewDossier, list[dict[str, Any]]]:
    dossier = make_filed()
    state, events = workflow.initial_state(dossier), []
    steps = [
        ("receive", {}, DESK, "2026-11-30T09:00"),
        ("transfer", {"to_unit": "chuyen-mon"}, DESK, "2026-11-30T10:00"),
        ("done", {}, SPECIALIST, "2026-12-01T10:00"),
        ("return_result", {"method": "truc_tiep"}, DESK, "2026-12-02T10:00"),
    ]
    for action, data, actor, when in steps:
        state, event = apply(state, action, data, actor=actor, when=when)
        events.append(event)
    return dossier, events


def test_a_whole_chain_verifies_and_starts_at_the_dossier_as_filed():
    dossier, events = history()
    assert workflow.verify_chain(dossier, events) == []
    assert events[0]["prev"] == workflow.genesis(dossier)
    assert [event["prev"] for event in events[1:]] == [event["hash"] for event in events[:-1]]


def test_the_chain_finds_a_changed_event():
    dossier, events = history()
    events[1] = {**events[1], "at": "2026-11-30T09:30:00+07:00"}
    assert workflow.verify_chain(dossier, events) == [
        "sự kiện 2: nội dung đã bị thay đổi (hash sai)"
    ]


def test_the_chain_finds_a_changed_event_whose_hash_was_recomputed():
    dossier, events = history()
    forged = {**events[1], "data": {"from_unit": "mot-cua", "to_unit": "lanh-dao"}}
    forged["hash"] = workflow.event_hash(forged)
    events[1] = forged
    assert workflow.verify_chain(dossier, events) == [
        "sự kiện 3: không nối với sự kiện trước (prev sai)"
    ]


def test_the_chain_finds_a_removed_event():
    dossier, events = history()
    del events[1]
    problems = workflow.verify_chain(dossier, events)
    assert "sự kiện 2: số thứ tự 3 không liền mạch" in problems
    assert "sự kiện 2: không nối với sự kiện trước (prev sai)" in problems


def test_the_chain_finds_two_events_swapped():
    dossier, events = history()
    events[1], events[2] = events[2], events[1]
    problems = workflow.verify_chain(dossier, events)
    assert "sự kiện 2: số thứ tự 3 không liền mạch" in problems
    assert any("prev sai" in problem for problem in problems)


def test_the_chain_finds_a_changed_answer():
    dossier, events = history()
    changed = dataclasses.replace(dossier, answers={"ho_ten": "Nguyễn Văn Bình"})
    assert workflow.verify_chain(changed, events) == [
        "sự kiện 1: không nối với sự kiện trước (prev sai)"
    ]


def test_allowed_given_the_moment_and_rules_offers_only_what_apply_accepts():
    officer = frozenset({"chuyen_vien"})
    state = state_in(4)  # due Thu 03/12/2026 17:00, no supplement asked yet
    assert "extend" in workflow.allowed(state, officer)  # without the moment: by status only
    assert "extend" in workflow.allowed(state, officer, at=at("2026-12-03T16:59"))
    assert "extend" not in workflow.allowed(state, officer, at=at("2026-12-03T17:00"))
    undated = dataclasses.replace(state, due_at=None)
    assert "extend" not in workflow.allowed(undated, officer, at=at("2026-12-01T10:00"))

    asked_once = dataclasses.replace(state, supplements=1)
    assert "request_supplement" not in workflow.allowed(asked_once, officer, rules=RULES)
    twice = dataclasses.replace(RULES, supplement_limit=2)
    assert "request_supplement" in workflow.allowed(asked_once, officer, rules=twice)
    for name in workflow.allowed(asked_once, officer, at=at("2026-12-03T17:00"), rules=RULES):
        apply(asked_once, name, actor=SPECIALIST, when="2026-12-03T17:00")  # none is refused
