"""The lifecycle half of the Dossiers contract (transition, queue, counts, codes), run against
SQLite and against DynamoDB in moto. The state machine itself is tests/test_workflow.py."""

import datetime as dt
import itertools
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from buildlib.catalogue.load import load
from chalicelib import workflow
from chalicelib.calendar import VIETNAM, WorkingCalendar
from chalicelib.errors import NotFoundError, VersionConflictError
from chalicelib.storage import outbox_dynamo
from chalicelib.storage.dynamo import QUEUE_ATTRIBUTES, QUEUE_INDEX, create_table
from chalicelib.storage.ports import Dossiers, QueueQuery, StoredDossier

from ..conftest import CATALOGUE, ROOT
from .test_dossiers_contract import Crash, code, crash_at, make_dossier

CALENDAR = WorkingCalendar.from_documents(
    d.data for d in load(CATALOGUE, workers=1).of_kind("calendar")
)
RULES = workflow.Rules(deadline_amount=3, deadline_unit="working_days", fee=50_000)
DESK = workflow.Actor("can-bo-1", frozenset({"mot_cua"}), "Nguyễn Thị Một Cửa")
SPECIALIST = workflow.Actor("can-bo-2", frozenset({"chuyen_vien"}), "Trần Văn Chuyên")
MONDAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=VIETNAM)
OFFICE = "phuong-le-chan"


def file(dossiers: Dossiers, number: int = 1, **overrides) -> StoredDossier:
    values = {"office": OFFICE, "applicant": f"Người nộp {number}"} | overrides
    dossier = make_dossier(answers={"n": number}, **values)
    return dossiers.create(dossier, idempotency_key=f"k{number}", request_hash="h")


def act(
    dossiers: Dossiers,
    stored: StoredDossier,
    action: str,
    data: dict | None = None,
    *,
    actor: workflow.Actor = DESK,
    at: dt.datetime = MONDAY,
) -> StoredDossier:
    """What the API does: apply the action to the state it read, write it if nobody moved."""
    assert stored.state is not None
    state, event = workflow.apply(
        stored.state, action, data or {}, actor=actor, at=at, rules=RULES, calendar=CALENDAR
    )
    return dossiers.transition(
        stored.code, expected_version=stored.state.version, event=event, state=state
    )


def test_a_new_dossier_reads_back_in_its_initial_state_in_its_office_queue(dossiers):
    stored = file(dossiers)

    read = dossiers.get(stored.code)
    assert read.state == workflow.initial_state(read.dossier)
    assert read.events == ()
    (item,) = dossiers.queue(QueueQuery(office=OFFICE))
    assert (item.code, item.status, item.version, item.due_at) == (
        stored.code,
        1,
        0,
        "2026-11-28T17:00:00+07:00",
    )
    assert (item.applicant, item.channel, item.procedure) == (
        "Người nộp 1",
        "truc_tuyen",
        "1.001193",
    )
    assert dossiers.counts(OFFICE) == {1: 1}
    assert dossiers.counts("another-office") == {}


def test_a_transition_writes_its_event_and_state_together(dossiers):
    stored = file(dossiers)

    received = act(dossiers, stored, "receive")

    assert received.state.status == 2
    assert received.state.version == 1
    assert received.state.due_at == "2026-12-03T17:00+07:00"  # three working days after Monday
    assert [event["action"] for event in received.events] == ["receive"]
    assert dossiers.get(stored.code) == received
    assert workflow.verify_chain(received.dossier, received.events) == []
    (item,) = dossiers.queue(QueueQuery(office=OFFICE, statuses=(2,)))
    assert (item.status, item.unit, item.due_at, item.version) == (
        2,
        "mot-cua",
        "2026-12-03T17:00+07:00",
        1,
    )
    assert dossiers.counts(OFFICE) == {2: 1}

    transferred = act(dossiers, received, "transfer", {"to_unit": "chuyen-mon"})
    assert [event["seq"] for event in transferred.events] == [1, 2]
    assert workflow.verify_chain(transferred.dossier, transferred.events) == []


def test_a_transition_on_an_unknown_code_is_not_found(dossiers):
    stored = file(dossiers)
    state, event = workflow.apply(
        stored.state, "receive", {}, actor=DESK, at=MONDAY, rules=RULES, calendar=CALENDAR
    )

    with pytest.raises(NotFoundError):
        dossiers.transition(code(99), expected_version=0, event=event, state=state)
    assert dossiers.get(code(99)) is None


def test_a_stale_version_is_a_conflict_and_writes_nothing(dossiers):
    stored = file(dossiers)
    received = act(dossiers, stored, "receive")

    with pytest.raises(VersionConflictError):
        act(dossiers, stored, "refuse", {"reason": "Thiếu giấy tờ"})  # computed from version 0

    assert dossiers.get(stored.code) == received
    assert dossiers.counts(OFFICE) == {2: 1}


def test_two_hundred_rounds_of_two_concurrent_transitions_one_wins_each_round(dossiers):
    """Two officers act on the version they both read; the store lets exactly one through."""
    stored = file(dossiers)
    start = threading.Barrier(2)

    def race(current: StoredDossier, action: str, data: dict) -> str:
        start.wait(timeout=30)
        try:
            act(dossiers, current, action, data, actor=SPECIALIST)
        except VersionConflictError:
            return "lost"
        return action

    current = act(dossiers, stored, "receive")
    with ThreadPoolExecutor(max_workers=2) as pool:
        for round_ in range(200):
            left, right = ("chuyen-mon", "lanh-dao") if round_ % 2 else ("lanh-dao", "chuyen-mon")
            if current.state.unit == left:
                left = "mot-cua"
            if current.state.unit == right:
                right = "mot-cua"
            outcomes = list(
                pool.map(
                    race,
                    [current, current],
                    ["transfer", "transfer"],
                    [{"to_unit": left, "note": "a"}, {"to_unit": right, "note": "b"}],
                )
            )
            assert sorted(outcomes) == ["lost", "transfer"], f"round {round_}: {outcomes}"
            current = dossiers.get(stored.code)
            assert current.state.version == round_ + 2
            assert len(current.events) == round_ + 2

    assert workflow.verify_chain(current.dossier, current.events) == []


def test_a_crash_after_any_write_of_a_transition_leaves_all_or_nothing(make_dossiers):
    stored = file(make_dossiers())
    before = make_dossiers().get(stored.code)
    crashed_at: list[str] = []
    for write in itertools.count(1):
        adapter = make_dossiers(after_write=crash_at(write, crashed_at))
        try:
            act(adapter, before, "receive")
        except Crash:
            left = make_dossiers().get(stored.code)
            assert left == before or (left.state.version, len(left.events)) == (1, 1), (
                f"a crash after {crashed_at[-1]} left half a transition"
            )
            if left != before:  # the crash came after the commit: the transition is whole
                assert left.state.status == 2
                break
            continue
        break

    assert crashed_at, "the adapter never called after_write"
    after = make_dossiers().get(stored.code)
    assert after.state.status == 2
    assert len(after.events) == 1
    assert workflow.verify_chain(after.dossier, after.events) == []


def test_the_queue_filters_sorts_by_due_date_then_code_and_pages(dossiers):
    # Due dates out of filing order, one without a due date, two on the same due date.
    dues = {
        1: "2026-12-03T17:00+07:00",
        2: None,
        3: "2026-12-01T17:00+07:00",
        4: "2026-12-03T17:00+07:00",
        5: "2026-12-02T17:00+07:00",
    }
    for number, due in dues.items():
        file(dossiers, number, due_at=due)
    file(dossiers, 6, due_at="2026-12-01T08:00+07:00", channel="truc_tiep")
    file(dossiers, 7, due_at="2026-12-01T08:00+07:00", procedure="1.000656")
    file(dossiers, 8, office="phuong-hong-bang")
    act(dossiers, dossiers.get(code(5)), "receive")  # status 2, due 2026-12-03T17:00

    def codes(**query) -> list[str]:
        return [item.code for item in dossiers.queue(QueueQuery(office=OFFICE, **query))]

    assert codes() == [code(n) for n in (6, 7, 3, 1, 4, 5, 2)]
    assert codes(statuses=(1,)) == [code(n) for n in (6, 7, 3, 1, 4, 2)]
    assert codes(statuses=(2,)) == [code(5)]
    assert codes(statuses=(1, 2)) == codes()
    assert codes(statuses=(9,)) == []
    assert codes(procedure="1.000656") == [code(7)]
    assert codes(channel="truc_tiep") == [code(6)]
    assert codes(due_to="2026-12-03T17:00+07:00") == [code(n) for n in (6, 7, 3)]
    assert codes(due_from="2026-12-03T17:00+07:00") == [code(n) for n in (1, 4, 5)]
    assert codes(due_from="2026-12-02", due_to="2026-12-04") == [code(n) for n in (1, 4, 5)]
    assert codes(limit=2) == [code(6), code(7)]

    pages, after = [], None
    while True:
        page = dossiers.queue(QueueQuery(office=OFFICE, limit=3, after=after))
        if not page:
            break
        pages.append([item.code for item in page])
        after = page[-1].cursor
    assert pages == [[code(n) for n in chunk] for chunk in ((6, 7, 3), (1, 4, 5), (2,))]

    assert dossiers.counts(OFFICE) == {1: 6, 2: 1}
    assert dossiers.counts("phuong-hong-bang") == {1: 1}


def test_codes_lists_every_dossier_once(dossiers):
    for number in (1, 2, 3):
        file(dossiers, number, office=f"office-{number}")

    assert sorted(dossiers.codes()) == [code(1), code(2), code(3)]


@pytest.mark.slow
def test_the_deployed_table_has_the_queue_index_create_table_makes(dynamodb):
    """functions/resources.json (what `chalice package` deploys) and create_table (what the tests
    and a fresh account use) describe the same table."""
    template = json.loads((ROOT / "functions" / "resources.json").read_text())
    deployed = template["Resources"]["DossiersTable"]["Properties"]
    table = f"dossiers-{uuid.uuid4().hex}"
    create_table(dynamodb, table)
    try:
        made = dynamodb.describe_table(TableName=table)["Table"]
    finally:
        dynamodb.delete_table(TableName=table)

    assert sorted(deployed["AttributeDefinitions"], key=str) == sorted(
        made["AttributeDefinitions"], key=str
    )
    assert deployed["KeySchema"] == made["KeySchema"]
    indexes = {index["IndexName"]: index for index in deployed["GlobalSecondaryIndexes"]}
    made_indexes = {index["IndexName"]: index for index in made["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == sorted(made_indexes) == sorted([QUEUE_INDEX, outbox_dynamo.INDEX])
    for name, index in indexes.items():
        made_index = made_indexes[name]
        assert index["KeySchema"] == made_index["KeySchema"]
        assert index["Projection"]["ProjectionType"] == made_index["Projection"]["ProjectionType"]
        assert sorted(index["Projection"]["NonKeyAttributes"]) == sorted(
            made_index["Projection"]["NonKeyAttributes"]
        )
    assert indexes[QUEUE_INDEX]["Projection"]["NonKeyAttributes"] == QUEUE_ATTRIBUTES


def test_delete_removes_dossiers_with_their_events_and_idempotency_records(dossiers):
    """Retention (`motcua purge`): a deleted dossier is gone whole; its code is never reused."""
    first, second = file(dossiers, 1), file(dossiers, 2)
    act(dossiers, first, "receive")

    assert dossiers.delete([first.code, code(99)]) == 1

    assert dossiers.get(first.code) is None
    assert dossiers.get(second.code).code == second.code
    assert set(dossiers.codes()) == {second.code}
    assert [item.code for item in dossiers.queue(QueueQuery(office=OFFICE))] == [second.code]
    again = file(dossiers, 1)  # its idempotency key is free again; the day's counter goes on
    assert again.code not in (first.code, second.code)
    assert dossiers.delete([]) == 0
