"""Random lifecycles against every adapter and a pure in-memory model: the same answers.

A hypothesis RuleBasedStateMachine files dossiers, lets time pass, and drives random actions
through workflow.apply exactly as the API does (read the state, apply, write if nobody moved):
valid and invalid actions, data and roles, and stale versions standing for an officer who acted
on a view another officer had already changed. After every step the adapter must hold what the
model (a dict) holds: the dossier, its state and its events; and every queue page and count the
adapter answers must be the model's.
"""

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from chalicelib import workflow
from chalicelib.calendar import VIETNAM
from chalicelib.errors import (
    ActionNotAllowedError,
    NotFoundError,
    ValidationFailedError,
    VersionConflictError,
)
from chalicelib.storage.dynamo import DynamoDossiers, create_table
from chalicelib.storage.ports import (
    Dossiers,
    NewDossier,
    QueueItem,
    QueueQuery,
    State,
    StoredDossier,
    format_code,
    queue_key,
)
from chalicelib.storage.postgres import PostgresDossiers
from chalicelib.storage.sqlite import SqliteDossiers

from .conftest import AWS, POSTGRES
from .test_dossiers_contract import AGENCY, DAY, make_dossier
from .test_dossiers_lifecycle import CALENDAR

OFFICES = ("phuong-le-chan", "phuong-hong-bang")
# Two procedures with different rules: the defaults, and two supplements with an unpublished fee
# and a payment that does not stop the clock.
RULES = {
    "1.001193": workflow.Rules(deadline_amount=3, deadline_unit="working_days", fee=50_000),
    "1.000656": workflow.Rules(
        deadline_amount=2,
        deadline_unit="working_days",
        supplement_limit=2,
        payment_stops_clock=False,
    ),
}
DUES = (None, "2026-12-01T17:00+07:00", "2026-12-02T17:00+07:00", "2026-12-04T17:00+07:00")
ACTORS = (
    workflow.Actor("mot-cua-1", frozenset({"mot_cua"}), "Một Cửa"),
    workflow.Actor("chuyen-vien-1", frozenset({"chuyen_vien"}), "Chuyên Viên"),
    workflow.Actor("lanh-dao-1", frozenset({"lanh_dao"}), "Lãnh Đạo"),
    workflow.Actor(workflow.APPLICANT, frozenset({workflow.APPLICANT}), "Người nộp"),
    workflow.Actor("khach", frozenset(), "Không có vai trò"),
)
# Data an officer or applicant would send for each action, and some they should not.
GOOD_DATA: dict[str, list[dict[str, Any]]] = {
    "receive": [{}],
    "refuse": [{"reason": "Hồ sơ không thuộc thẩm quyền"}],
    "request_supplement": [
        {"items": ["Bản sao CCCD"]},
        {"items": ["Tờ khai", "Ảnh"], "reason": "x"},
    ],
    "supplement": [{"uploads": ["2026/12/01/bo-sung.pdf"], "note": "Đã bổ sung"}],
    "transfer": [{"to_unit": unit} for unit in workflow.UNITS],
    "request_payment": [{}, {"amount": 50_000}, {"amount": 120_000}],
    "confirm_payment": [{}, {"note": "Đã nộp"}],
    "done": [{}],
    "return_result": [
        {"method": "truc_tiep"},
        {"method": "buu_chinh", "address": "12 Lạch Tray, Lê Chân"},
        {"method": "truc_tuyen", "result_file": "2026/12/03/ket-qua.pdf"},
    ],
    "withdraw": [{}, {"reason": "Không cần nữa"}],
    "stop": [{"reason": "Người nộp không bổ sung"}],
    "extend": [
        {"reason": "Cần xác minh", "new_due_at": "2026-12-10T17:00+07:00"},
        {"reason": "Cần xác minh", "new_due_at": "2026-11-01T17:00+07:00"},
    ],
}
# How many versions behind the read an action is computed from: mostly none, sometimes one or two.
STALE = st.sampled_from((0, 0, 0, 1, 2))
BAD_VALUES = ("", "   ", 0, -5, True, None, [], [""], ["x" * 501], "khong-co", "x" * 2001)
FIELDS = sorted({name for action in workflow.ACTIONS.values() for name in action.fields} | {"khac"})


def data_for(action: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.sampled_from(GOOD_DATA.get(action, [{}])),
        st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(BAD_VALUES), max_size=3),
    )


@dataclass
class Model:
    """The contract of ports.Dossiers for one day of one agency, in a dict."""

    dossiers: dict[str, NewDossier] = field(default_factory=dict)
    states: dict[str, list[State]] = field(default_factory=dict)  # every version, in order
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def create(self, dossier: NewDossier) -> str:
        code = format_code(AGENCY, DAY, len(self.dossiers) + 1)
        self.dossiers[code] = dossier
        self.states[code] = [workflow.initial_state(dossier)]
        self.events[code] = []
        return code

    def get(self, code: str) -> StoredDossier:
        return StoredDossier(
            code, self.dossiers[code], tuple(self.events[code]), self.states[code][-1]
        )

    def transition(
        self, code: str, *, expected_version: int, event: dict[str, Any], state: State
    ) -> None:
        if code not in self.dossiers:
            raise NotFoundError()
        if self.states[code][-1].version != expected_version:
            raise VersionConflictError()
        self.events[code].append(event)
        self.states[code].append(state)

    def queue(self, query: QueueQuery) -> list[QueueItem]:
        items = []
        for code, dossier in self.dossiers.items():
            state = self.states[code][-1]
            key = queue_key(state.due_at, code)
            if state.office != query.office:
                continue
            if query.statuses and state.status not in query.statuses:
                continue
            if query.procedure is not None and dossier.procedure != query.procedure:
                continue
            if query.channel is not None and dossier.channel != query.channel:
                continue
            if query.due_from is not None and (
                state.due_at is None or state.due_at < query.due_from
            ):
                continue
            if query.due_to is not None and (state.due_at is None or state.due_at >= query.due_to):
                continue
            if query.after is not None and key <= query.after:
                continue
            items.append(
                QueueItem(
                    code=code,
                    procedure=dossier.procedure,
                    applicant=dossier.applicant,
                    channel=dossier.channel,
                    status=state.status,
                    unit=state.unit,
                    received_at=dossier.received_at,
                    due_at=state.due_at,
                    version=state.version,
                    cursor=key,
                )
            )
        return sorted(items, key=lambda item: item.cursor)[: query.limit]

    def counts(self, office: str) -> dict[int, int]:
        counts: dict[int, int] = {}
        for states in self.states.values():
            if states[-1].office == office:
                counts[states[-1].status] = counts.get(states[-1].status, 0) + 1
        return counts


class Lifecycles(RuleBasedStateMachine):
    """Subclassed per adapter with `open_store`: () -> an empty Dossiers."""

    open_store: Callable[[], Dossiers]
    codes = Bundle("codes")

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).open_store()
        self.model = Model()
        self.now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=VIETNAM)
        self.touched: str | None = None

    @initialize(target=codes)
    def file_a_first_dossier(self) -> str:
        return self._file(OFFICES[0], "1.001193", DUES[1], "truc_tuyen")

    @rule(
        target=codes,
        office=st.sampled_from(OFFICES),
        procedure=st.sampled_from(sorted(RULES)),
        due_at=st.sampled_from(DUES),
        channel=st.sampled_from(("truc_tuyen", "truc_tiep", "buu_chinh")),
    )
    def file(self, office: str, procedure: str, due_at: str | None, channel: str) -> str:
        return self._file(office, procedure, due_at, channel)

    def _file(self, office: str, procedure: str, due_at: str | None, channel: str) -> str:
        number = len(self.model.dossiers) + 1
        dossier = make_dossier(
            answers={"n": number},
            office=office,
            procedure=procedure,
            due_at=due_at,
            channel=channel,
            applicant=f"Người nộp {number}",
            received_at=self.now.isoformat(timespec="seconds"),
        )
        stored = self.store.create(dossier, idempotency_key=f"k{number}", request_hash="h")
        assert stored.code == self.model.create(dossier)
        self.touched = stored.code
        return stored.code

    @rule(hours=st.integers(min_value=1, max_value=72))
    def time_passes(self, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)

    @rule(
        code=codes,
        action=st.sampled_from([*workflow.ACTIONS, "khong_co"]),
        actor=st.sampled_from(ACTORS),
        stale=STALE,
        data=st.data(),
    )
    def act(self, code: str, action: str, actor: workflow.Actor, stale: int, data) -> None:
        """Any action by anyone with any data: mostly refused by the domain."""
        self._act(code, stale, lambda _state: (action, actor, data_for(action)), data)

    @rule(code=codes, stale=STALE, steps=st.integers(min_value=1, max_value=4), data=st.data())
    def act_as_allowed(self, code: str, stale: int, steps: int, data) -> None:
        """`steps` actions allowed in the dossier's state, by someone allowed to take them, with
        the data an officer would send (still refused sometimes: an extension after the due date);
        the first one computed from a version `stale` behind."""

        def choose(state: State) -> tuple[str, workflow.Actor, st.SearchStrategy]:
            allowed = [(n, a) for a in ACTORS for n in workflow.allowed(state, a.roles)]
            if not allowed:  # a final status: try anything
                return "receive", ACTORS[0], st.just({})
            name, actor = data.draw(st.sampled_from(allowed), label="action")
            return name, actor, st.sampled_from(GOOD_DATA[name])

        for step in range(steps):
            self._act(code, stale if step == 0 else 0, choose, data)

    def _act(self, code: str, stale: int, choose, data) -> None:
        """Reads the state from the adapter (as the API does); `stale` > 0 acts on an older
        version instead, as an officer whose page was loaded before someone else acted."""
        self.touched = code
        stored = self.store.get(code)
        assert stored is not None
        states = self.model.states[code]
        state = stored.state if stale == 0 else states[max(0, len(states) - 1 - stale)]
        assert state is not None
        action, actor, payloads = choose(state)
        payload = data.draw(payloads, label="data")
        rules = RULES[stored.dossier.procedure]
        try:
            nxt, event = workflow.apply(
                state, action, payload, actor=actor, at=self.now, rules=rules, calendar=CALENDAR
            )
        except (ActionNotAllowedError, ValidationFailedError) as error:
            hypothesis.event(f"refused: {type(error).__name__}")
            return  # refused by the domain: nothing reaches storage
        outcomes = []
        for side in (self.store, self.model):
            try:
                side.transition(code, expected_version=state.version, event=event, state=nxt)
                outcomes.append("written")
            except VersionConflictError:
                outcomes.append("conflict")
        assert outcomes[0] == outcomes[1], outcomes
        hypothesis.event(f"{action}: {outcomes[0]}")  # see --hypothesis-show-statistics

    @rule(code=st.sampled_from([format_code(AGENCY, DAY, 999), "khong-co-ma"]))
    def act_on_an_unknown_code(self, code: str) -> None:
        state = workflow.initial_state(make_dossier())
        nxt, event = workflow.apply(
            state,
            "receive",
            {},
            actor=ACTORS[0],
            at=self.now,
            rules=RULES["1.001193"],
            calendar=CALENDAR,
        )
        with pytest.raises(NotFoundError):
            self.store.transition(code, expected_version=0, event=event, state=nxt)
        assert self.store.get(code) is None

    @rule(
        office=st.sampled_from(OFFICES),
        statuses=st.sets(st.integers(min_value=1, max_value=10), max_size=3),
        procedure=st.sampled_from([None, *sorted(RULES)]),
        channel=st.sampled_from([None, "truc_tiep"]),
        due_from=st.sampled_from([None, "2026-12-01T17:00+07:00", "2026-12-03"]),
        due_to=st.sampled_from([None, "2026-12-02T17:00+07:00", "2026-12-08"]),
        limit=st.integers(min_value=1, max_value=4),
    )
    def read_the_queue(self, office, statuses, procedure, channel, due_from, due_to, limit):
        """Every page, following the cursors, and the counts."""
        after = None
        for _ in range(len(self.model.dossiers) + 1):
            query = QueueQuery(
                office=office,
                statuses=tuple(sorted(statuses)),
                procedure=procedure,
                channel=channel,
                due_from=due_from,
                due_to=due_to,
                limit=limit,
                after=after,
            )
            page = self.store.queue(query)
            assert page == self.model.queue(query)
            if len(page) < limit:
                break
            after = page[-1].cursor
        assert self.store.counts(office) == self.model.counts(office)

    @invariant()
    def the_touched_dossier_is_the_models(self) -> None:
        if self.touched is not None:
            assert self.store.get(self.touched) == self.model.get(self.touched)

    def teardown(self) -> None:
        for code in self.model.dossiers:
            stored = self.store.get(code)
            assert stored == self.model.get(code)
            assert workflow.verify_chain(stored.dossier, stored.events) == []
        assert sorted(self.store.codes()) == sorted(self.model.dossiers)
        close = getattr(self.store, "close", None)
        if close is not None:
            close()


@pytest.fixture(params=["embedded", POSTGRES, AWS])
def open_store(request, tmp_path: Path) -> Iterator[Callable[[], Dossiers]]:
    """Opens an empty store each call (a new SQLite file, PostgreSQL database or DynamoDB table)."""
    numbers = itertools.count()
    if request.param == "embedded":
        yield lambda: SqliteDossiers(tmp_path / f"model-{next(numbers)}.sqlite3")
        return
    if request.param == "postgres":
        cluster = request.getfixturevalue("postgres_cluster")
        databases: list[str] = []

        def postgres() -> Dossiers:
            databases.append(cluster.new_database())
            return PostgresDossiers(databases[-1])

        yield postgres
        for dsn in databases:
            cluster.drop(dsn)
        return
    client = request.getfixturevalue("dynamodb")
    tables: list[str] = []

    def dynamo() -> Dossiers:
        tables.append(f"dossiers-{uuid.uuid4().hex}")
        create_table(client, tables[-1])
        return DynamoDossiers(client, tables[-1])

    yield dynamo
    for table in tables:
        client.delete_table(TableName=table)


@pytest.mark.slow  # about 10 s for each adapter
def test_random_lifecycles_store_what_the_model_stores(open_store, request):
    aws = "aws" in request.node.callspec.id
    machine = type("LifecyclesOnStore", (Lifecycles,), {"open_store": staticmethod(open_store)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            settings.get_profile("ci"),
            max_examples=15 if aws else 60,
            stateful_step_count=40,
        ),
    )
