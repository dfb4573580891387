"""The hand-over on every store: SQLite (sealed), PostgreSQL and DynamoDB (moto over HTTP,
conditional writes). The target a dossier was handed to is recorded with it and keeps it out of
its office's queue and counts, also after the statuses pushed back. Statuses pushed back by a
province's system (chalicelib/handover_events.record): an event id makes one transition however
often it comes: again after an answer, from several processes at once, and again after a crash
at any write of its transition."""

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chalicelib import handover
from chalicelib.handover_events import StatusEvent, record
from chalicelib.storage.dynamo import DynamoDossiers
from chalicelib.storage.outbox_dynamo import DynamoOutbox
from chalicelib.storage.outbox_postgres import PostgresOutbox
from chalicelib.storage.outbox_sqlite import SqliteOutbox
from chalicelib.storage.ports import Dossiers, QueueQuery
from chalicelib.storage.postgres import PostgresDossiers
from chalicelib.storage.sqlite import SqliteDossiers

from .conftest import AWS, POSTGRES, SEALER, shared_store
from .test_dossiers_contract import Crash, crash_at, make_dossier
from .test_dossiers_lifecycle import CALENDAR, MONDAY, OFFICE, RULES
from .test_outbox_contract import Store, file

CLIENT = handover.Client(
    id="he-thong-tinh",
    name="Hệ thống thông tin giải quyết TTHC thành phố",
    url="http://127.0.0.1:9/",
    offices=frozenset({OFFICE}),
    procedures=frozenset(),
    secret=b"secret",
    api_key="khoa",
)


@pytest.fixture(params=["embedded", POSTGRES, AWS])
def make_store(request, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Each call: adapters on the same store (SQLite file, PostgreSQL database, table on moto)."""
    yield from shared_store(
        request,
        tmp_path,
        lambda path: Store(
            lambda after_write=None: SqliteDossiers(path, sealer=SEALER, after_write=after_write),
            SqliteOutbox(path, sealer=SEALER),
        ),
        lambda dsn: Store(
            lambda after_write=None: PostgresDossiers(dsn, after_write=after_write),
            PostgresOutbox(dsn),
        ),
        lambda client, table: Store(
            lambda after_write=None: DynamoDossiers(client, table, after_write=after_write),
            DynamoOutbox(client, table),
        ),
    )


def received(code: str, event_id: str = "su-kien-0001") -> StatusEvent:
    return StatusEvent(id=event_id, code=code, status=2, at="2026-11-30T09:05:00+07:00", data={})


def push(dossiers: Dossiers, code: str, event: StatusEvent) -> dict:
    stored = dossiers.get(code)
    assert stored is not None
    return record(dossiers, stored, CLIENT, event, rules=RULES, calendar=CALENDAR, at=MONDAY)


def mirrored(dossiers: Dossiers, code: str) -> list[tuple[str, int]]:
    stored = dossiers.get(code)
    assert stored is not None
    return [(e["data"]["event_id"], e["status"]) for e in stored.events]


def test_an_event_sent_again_is_recorded_once_and_answered_as_a_duplicate(make_store):
    store = make_store()
    dossiers = store.dossiers()
    code = file(dossiers, deliveries=None).code

    first = push(dossiers, code, received(code))
    again = push(store.dossiers(), code, received(code))  # another process

    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert first["seq"] == again["seq"] == 1
    assert mirrored(dossiers, code) == [("su-kien-0001", 2)]


def test_one_event_from_several_processes_at_once_is_one_transition(make_store):
    store = make_store()
    code = file(store.dossiers(), deliveries=None).code
    adapters = [store.dossiers() for _ in range(6)]

    with ThreadPoolExecutor(len(adapters)) as pool:
        answers = list(pool.map(lambda d: push(d, code, received(code)), adapters))

    assert sorted(answer["duplicate"] for answer in answers) == [False] + [True] * 5
    assert mirrored(store.dossiers(), code) == [("su-kien-0001", 2)]


def test_a_crash_at_any_write_then_the_retry_records_the_event_once(make_store):
    store = make_store()
    crashed_at: list[str] = []
    for write in itertools.count(1):
        code = file(store.dossiers(), write, deliveries=None).code  # a new dossier each time
        try:
            push(store.dossiers(after_write=crash_at(write, crashed_at)), code, received(code))
        except Crash:
            # No answer reached the province's system: it sends the event again.
            answer = push(store.dossiers(), code, received(code))
            assert mirrored(store.dossiers(), code) == [("su-kien-0001", 2)], crashed_at[-1]
            assert answer["seq"] == 1
            continue
        break
    assert crashed_at, "the adapter never called after_write"
    assert mirrored(store.dossiers(), code) == [("su-kien-0001", 2)]


def test_the_target_is_recorded_with_the_dossier_and_keeps_it_out_of_the_queue(make_store):
    store = make_store()
    dossiers = store.dossiers()
    handed = dossiers.create(
        make_dossier(office=OFFICE, handed_to=CLIENT.id), idempotency_key="k1", request_hash="h"
    )
    local = dossiers.create(make_dossier(office=OFFICE), idempotency_key="k2", request_hash="h")

    def queued() -> list[str]:
        return [item.code for item in store.dossiers().queue(QueueQuery(office=OFFICE))]

    again = store.dossiers().get(handed.code)  # another process reads what was stored
    assert again is not None and again.state is not None
    assert (again.dossier.handed_to, again.state.handed_to) == (CLIENT.id, CLIENT.id)
    assert store.dossiers().get(local.code).dossier.handed_to == ""
    assert queued() == [local.code]
    assert store.dossiers().counts(OFFICE) == {1: 1}

    push(dossiers, handed.code, received(handed.code))  # its statuses come from that system
    after = store.dossiers().get(handed.code)
    assert after is not None and after.state is not None
    assert (after.state.status, after.state.handed_to) == (2, CLIENT.id)
    assert after.dossier.handed_to == CLIENT.id
    assert queued() == [local.code]
    assert store.dossiers().counts(OFFICE) == {1: 1}
    assert store.dossiers().queue(QueueQuery(office=OFFICE, statuses=(2,))) == []
