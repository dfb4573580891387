"""The transactional outbox (ports.Outbox, chalicelib/outbox.py) on every store: SQLite (sealed),
PostgreSQL and DynamoDB (moto over HTTP). Deliveries are written in the transaction of the
dossier change that makes them, or not at all; a claim leases a delivery to one worker; sent,
failed and retried deliveries read back as recorded."""

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from chalicelib import workflow
from chalicelib.errors import NotFoundError, VersionConflictError
from chalicelib.storage.dynamo import DynamoDossiers
from chalicelib.storage.outbox_dynamo import DynamoOutbox
from chalicelib.storage.outbox_postgres import PostgresOutbox
from chalicelib.storage.outbox_sqlite import SqliteOutbox
from chalicelib.storage.ports import Delivery, Dossiers, Outbox, StoredDossier
from chalicelib.storage.postgres import PostgresDossiers
from chalicelib.storage.sqlite import SqliteDossiers

from .conftest import AWS, POSTGRES, SEALER, shared_store
from .test_dossiers_contract import Crash, code, crash_at, make_dossier
from .test_dossiers_lifecycle import CALENDAR, DESK, MONDAY, OFFICE, RULES

NOW = 1_800_000_000.0
LEASE = 300.0


@dataclass
class Store:
    """One store: dossier adapters opened on it (each like another process) and its outbox."""

    open_dossiers: Callable[..., Dossiers]
    outbox: Outbox
    opened: list = field(default_factory=list)

    def dossiers(self, *, after_write=None) -> Dossiers:
        self.opened.append(self.open_dossiers(after_write=after_write))
        return self.opened[-1]

    def close(self) -> None:
        for adapter in self.opened:
            if hasattr(adapter, "close"):
                adapter.close()
        self.outbox.close()


def _sqlite(path: Path) -> Store:
    return Store(
        lambda after_write=None: SqliteDossiers(path, sealer=SEALER, after_write=after_write),
        SqliteOutbox(path, sealer=SEALER),
    )


def _postgres(dsn: str) -> Store:
    return Store(
        lambda after_write=None: PostgresDossiers(dsn, after_write=after_write),
        PostgresOutbox(dsn),
    )


def _dynamo(client, table: str) -> Store:
    return Store(
        lambda after_write=None: DynamoDossiers(client, table, after_write=after_write),
        DynamoOutbox(client, table),
    )


@pytest.fixture(params=["embedded", POSTGRES, AWS])
def make_store(request, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    yield from shared_store(request, tmp_path, _sqlite, _postgres, _dynamo)


def delivery(
    code_: str, seq: str = "0", channel: str = "email", *, next_at: float = NOW, **overrides
) -> Delivery:
    values = {
        "id": f"{code_}:{seq}:{channel}",
        "code": code_,
        "office": OFFICE,
        "kind": "receipt" if seq == "0" else "supplement",
        "channel": channel,
        "to": "an@vidu.vn" if channel == "email" else "0912345678",
        "data": {  # what templates/notify/receipt and supplement name
            "code": code_,
            "procedure_name": "Đăng ký thường trú",
            "office_name": "Công an Phường Lê Chân",
            "received_at": "2026-11-25T09:30:00+07:00",
            "due_at": "2026-11-28T17:00+07:00",
            "status_url": "https://dichvucong.tinh.gov.vn/tra-cuu/",
            "items": ["Tờ khai"],
        },
        "created_at": NOW,
        "next_at": next_at,
    }
    return Delivery(**(values | overrides))


def receipts(code_: str) -> list[Delivery]:
    return [delivery(code_, channel="email"), delivery(code_, channel="sms")]


def file(dossiers: Dossiers, number: int = 1, deliveries=receipts) -> StoredDossier:
    dossier = make_dossier(office=OFFICE, answers={"n": number})
    return dossiers.create(
        dossier, idempotency_key=f"k{number}", request_hash="h", deliveries=deliveries
    )


def request_supplement(dossiers: Dossiers, stored: StoredDossier, **kwargs) -> StoredDossier:
    assert stored.state is not None
    state, event = workflow.apply(
        stored.state,
        "request_supplement",
        {"items": ["Tờ khai"]},
        actor=DESK,
        at=MONDAY,
        rules=RULES,
        calendar=CALENDAR,
    )
    return dossiers.transition(
        stored.code,
        expected_version=stored.state.version,
        event=event,
        state=state,
        deliveries=[delivery(stored.code, str(event["seq"]))],
        **kwargs,
    )


def claim(outbox: Outbox, now: float = NOW, channels=("email", "sms"), limit=50):
    return outbox.claim(now, channels=list(channels), limit=limit, lease=LEASE)


def test_a_create_writes_its_deliveries_with_the_dossier_and_a_retry_none_again(make_store):
    store = make_store()
    dossiers = store.dossiers()
    stored = file(dossiers)

    assert store.outbox.get(f"{stored.code}:0:email") == receipts(stored.code)[0]
    assert store.outbox.get(f"{stored.code}:0:sms") == receipts(stored.code)[1]

    def never(_code: str) -> list[Delivery]:
        raise AssertionError("a retry of a create made deliveries again")

    assert file(dossiers, deliveries=never).code == stored.code


def test_a_crash_before_a_create_commits_leaves_neither_dossier_nor_delivery(make_store):
    store = make_store()
    crashed_at: list[str] = []
    for write in itertools.count(1):
        try:
            file(store.dossiers(after_write=crash_at(write, crashed_at)))
        except Crash:
            filed = store.dossiers().filed_under("k1")
            left = store.outbox.get(f"{code(1)}:0:email")
            assert (filed is None) == (left is None), f"a crash after {crashed_at[-1]}"
            if filed is not None:
                break
            continue
        break
    assert crashed_at, "the adapter never called after_write"
    assert store.outbox.get(f"{code(1)}:0:sms") is not None


def test_a_transition_writes_its_deliveries_with_the_event_or_none_at_all(make_store):
    store = make_store()
    stored = file(store.dossiers(), deliveries=None)
    supplement = f"{stored.code}:1:email"
    crashed_at: list[str] = []
    for write in itertools.count(1):
        try:
            request_supplement(store.dossiers(after_write=crash_at(write, crashed_at)), stored)
        except Crash:
            events = store.dossiers().get(stored.code).events
            assert bool(events) == (store.outbox.get(supplement) is not None), crashed_at[-1]
            if events:
                break
            continue
        break
    assert store.outbox.get(supplement) == delivery(stored.code, "1")

    with pytest.raises(VersionConflictError):  # `stored` is stale now: nothing is written
        request_supplement(store.dossiers(), replace(stored, code=stored.code))
    assert [d.id for d in claim(store.outbox)] == [supplement]


def test_a_claim_leases_each_due_delivery_to_one_claimant_until_the_lease_ends(make_store):
    store = make_store()
    stored = file(store.dossiers())
    file(store.dossiers(), 2, deliveries=lambda c: [delivery(c, next_at=NOW + 60)])

    first = claim(store.outbox)
    assert sorted(d.id for d in first) == [f"{stored.code}:0:email", f"{stored.code}:0:sms"]
    assert {(d.attempts, d.next_at) for d in first} == {(1, NOW + LEASE)}
    assert claim(store.outbox, NOW + 1) == []  # leased, and the other is not due yet
    assert [d.id for d in claim(store.outbox, NOW + 60)] == [f"{code(2)}:0:email"]

    again = claim(store.outbox, NOW + LEASE, channels=["sms"])  # a worker died: the lease ended
    assert [(d.id, d.attempts) for d in again] == [(f"{stored.code}:0:sms", 2)]


def test_workers_claiming_at_once_never_get_the_same_delivery(make_store):
    stores = [make_store() for _ in range(4)]
    for number in range(1, 11):
        file(stores[0].dossiers(), number)

    def take(index: int) -> list[str]:
        return [d.id for d in claim(stores[index % 4].outbox, limit=3)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        taken = [ids for batch in pool.map(take, range(12)) for ids in batch]
    assert len(taken) == len(set(taken))
    leftover = [d.id for d in claim(stores[0].outbox)]
    assert sorted(taken + leftover) == sorted(
        f"{code(n)}:0:{channel}" for n in range(1, 11) for channel in ("email", "sms")
    )


def test_sent_failed_and_retried_deliveries_read_back_as_recorded(make_store):
    store = make_store()
    outbox = store.outbox
    stored = file(store.dossiers())
    email, sms = f"{stored.code}:0:email", f"{stored.code}:0:sms"
    claim(outbox)

    outbox.sent(email, NOW + 2)
    outbox.failed(sms, error="503 từ cổng SMS", retry_at=NOW + 90)
    assert (outbox.get(email).state, outbox.get(email).sent_at) == ("sent", NOW + 2)
    failed = outbox.get(sms)
    assert (failed.state, failed.next_at, failed.last_error) == (
        "pending",
        NOW + 90,
        "503 từ cổng SMS",
    )
    assert claim(outbox, NOW + 89) == []
    assert [d.attempts for d in claim(outbox, NOW + 90)] == [2]

    outbox.failed(sms, error="hết lượt thử", retry_at=None)
    assert (outbox.get(sms).state, outbox.get(sms).last_error) == ("failed", "hết lượt thử")
    assert claim(outbox, NOW + 10_000) == []
    assert [d.id for d in outbox.of_offices([OFFICE], states=["failed"], limit=10)] == [sms]
    assert outbox.of_offices(["another-office"], states=["failed", "pending"], limit=10) == []

    assert outbox.retry(sms, NOW + 20_000) is True  # an officer's "Gửi lại"
    assert outbox.retry(email, NOW + 20_000) is False  # sent: nothing to retry
    assert outbox.retry("no-such-delivery", NOW) is False
    retried = claim(outbox, NOW + 20_000)
    assert [(d.id, d.attempts, d.last_error) for d in retried] == [(sms, 1, "hết lượt thử")]


def test_deleting_a_dossier_deletes_its_deliveries(make_store):
    store = make_store()
    stored = file(store.dossiers())
    assert store.dossiers().delete([stored.code]) == 1
    assert store.outbox.get(f"{stored.code}:0:email") is None
    assert claim(store.outbox) == []


def test_a_new_secret_replaces_the_filings_with_its_delivery_or_neither(make_store):
    store = make_store()
    dossiers = store.dossiers()
    stored = file(dossiers, deliveries=None)
    sent = delivery(stored.code, "secret-1", kind="secret")

    with pytest.raises(VersionConflictError):
        dossiers.replace_secret(stored.code, expected_version=1, secret_hash="x", deliveries=[sent])
    assert store.outbox.get(sent.id) is None
    with pytest.raises(NotFoundError):
        dossiers.replace_secret(code(99), expected_version=0, secret_hash="x", deliveries=[])

    dossiers.replace_secret(
        stored.code, expected_version=0, secret_hash="argon2id:moi", deliveries=[sent]
    )
    again = store.dossiers().get(stored.code)
    assert again.state.secret_hash == "argon2id:moi" and again.state.version == 0
    assert store.outbox.get(sent.id) == sent
    moved = request_supplement(store.dossiers(), again)  # the next transition keeps it
    assert moved.state.secret_hash == "argon2id:moi"
    assert workflow.verify_chain(moved.dossier, moved.events) == []
