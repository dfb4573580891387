"""What only the SQLite adapter promises: its queue reads an index, and files made by the schema
before the lifecycle keep working (migrated when opened)."""

import json
import sqlite3

import pytest

from chalicelib import workflow
from chalicelib.errors import IdempotencyConflictError
from chalicelib.storage.ports import NewDossier, QueueQuery, dossier_json
from chalicelib.storage.queue_sql import counts_sql
from chalicelib.storage.sqlite import SqliteDossiers, queue_sql

from .test_dossiers_contract import code, make_dossier
from .test_dossiers_lifecycle import DESK, act, file

# storage/sqlite.py's SCHEMA before the lifecycle (commit 863803e), copied as it was.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    agency TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (agency, day)
);
CREATE TABLE IF NOT EXISTS dossiers (
    code TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    procedure TEXT NOT NULL,
    status INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL,
    events TEXT NOT NULL DEFAULT '[]',
    UNIQUE (agency, day, seq)
);
CREATE INDEX IF NOT EXISTS dossiers_by_procedure ON dossiers (procedure, received_at);
CREATE INDEX IF NOT EXISTS dossiers_by_status ON dossiers (status, received_at);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    code TEXT NOT NULL REFERENCES dossiers (code)
);
"""
# A body as the old NewDossier wrote it: no office, applicant nor channel.
OLD_FIELDS = ("office", "applicant", "channel")


@pytest.fixture
def embedded(tmp_path):
    """The path of a file the adapter made (its schema and indexes)."""
    path = tmp_path / "dossiers.sqlite3"
    SqliteDossiers(path).close()
    return path


@pytest.mark.parametrize(
    "query",
    [
        QueueQuery(office="phuong-le-chan", statuses=(2,)),
        QueueQuery(office="phuong-le-chan", statuses=(2,), after="2026-12-01T17:00+07:00|x"),
        QueueQuery(office="phuong-le-chan", statuses=(1, 2, 4), procedure="1.001193"),
        QueueQuery(office="phuong-le-chan", due_to="2026-12-01T17:00+07:00", channel="truc_tiep"),
        QueueQuery(office="phuong-le-chan"),
    ],
)
def test_the_queue_reads_the_office_index_in_order_never_the_whole_table(embedded, query):
    statements = queue_sql(query)
    db = sqlite3.connect(embedded)
    try:
        plans = [
            [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            for sql, params in statements
        ]
    finally:
        db.close()

    assert len(plans) == (len(query.statuses) or 10)  # one index range per status
    for plan in plans:
        assert any("USING INDEX dossiers_queue (office=? AND status=?" in step for step in plan), (
            plan
        )
        assert not any(step.startswith("SCAN") for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan  # read in order: no sort


def test_counts_read_the_office_index(embedded):
    db = sqlite3.connect(embedded)
    try:
        plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {counts_sql('?')}", ("x",))]
    finally:
        db.close()
    assert any("COVERING INDEX dossiers_queue (office=?)" in step for step in plan), plan


def old_file(path, dossiers: list[NewDossier], events: dict[str, list[dict]]) -> None:
    """A var/motcua.sqlite3 as the adapter before the lifecycle wrote it."""
    db = sqlite3.connect(path)
    with db:
        db.executescript(OLD_SCHEMA)
        for seq, dossier in enumerate(dossiers, start=1):
            body = {
                k: v for k, v in json.loads(dossier_json(dossier)).items() if k not in OLD_FIELDS
            }
            db.execute(
                "INSERT INTO dossiers (code, agency, day, seq, procedure, status, received_at,"
                " body, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code(seq),
                    dossier.agency,
                    dossier.day,
                    seq,
                    dossier.procedure,
                    5 if events.get(code(seq)) else dossier.status,  # as tests wrote it
                    dossier.received_at,
                    json.dumps(body),
                    json.dumps(events.get(code(seq), [])),
                ),
            )
            db.execute("INSERT INTO idempotency VALUES (?, 'h', ?)", (f"k{seq}", code(seq)))
        db.execute(
            "INSERT INTO counters VALUES (?, ?, ?)", (dossiers[0].agency, dossiers[0].day, 2)
        )
    db.close()


def test_a_file_made_before_the_lifecycle_is_migrated_when_opened(tmp_path):
    path = tmp_path / "motcua.sqlite3"
    old = [make_dossier(answers={"n": 1}), make_dossier(answers={"n": 2}, due_at=None)]
    legacy_event = {"status": 2, "at": "2026-11-26T08:05:00+07:00"}
    old_file(path, old, {code(2): [legacy_event]})

    adapter = SqliteDossiers(path)
    try:
        first = adapter.get(code(1))
        assert first.dossier == old[0]
        assert first.state == workflow.initial_state(old[0])
        assert first.events == ()
        second = adapter.get(code(2))
        assert second.events == (legacy_event,)  # kept, and the chain says so
        assert workflow.verify_chain(old[1], second.events) != []
        assert (second.state.status, second.state.version) == (1, 1)
        # Old dossiers had no office: they wait in the queue of office "" until reassigned.
        assert [item.code for item in adapter.queue(QueueQuery(office=""))] == [code(1), code(2)]
        assert adapter.counts("") == {1: 2}  # the status column follows the state, not the 5
        after_legacy = act(adapter, second, "receive", actor=DESK)  # appended after it
        assert [event.get("seq") for event in after_legacy.events] == [None, 2]
        assert adapter.counts("") == {1: 1, 2: 1}

        received = act(adapter, first, "receive", actor=DESK)
        assert received.state.status == 2
        assert adapter.get(code(1)).events == received.events
        assert file(adapter, 3).code == code(3)  # the counter carried over
        assert adapter.get(code(3)).state.office == "phuong-le-chan"
    finally:
        adapter.close()

    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(dossiers)")}
    assert "events" not in columns and "queue_key" in columns
    reopened = SqliteDossiers(path)  # a migrated file is left as it is
    try:
        assert reopened.get(code(1)) == received
    finally:
        reopened.close()


def test_a_new_file_has_no_index_that_nothing_reads_and_idempotency_keyed_without_rowid(
    embedded,
):
    db = sqlite3.connect(embedded)
    try:
        indexes = {
            row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'index'")
        }
        (idempotency,) = db.execute(
            "SELECT sql FROM sqlite_schema WHERE name = 'idempotency'"
        ).fetchone()
    finally:
        db.close()
    assert "dossiers_queue" in indexes
    assert not indexes & {"dossiers_by_procedure", "dossiers_by_status"}
    assert not any(name.startswith("sqlite_autoindex_idempotency") for name in indexes)
    assert idempotency.endswith("WITHOUT ROWID")


def previous_shape(path) -> None:
    """Turns a file the adapter made back into what it made before 2026-12-08: the indexes by
    procedure and by status, and the idempotency records in a table with a rowid."""
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE INDEX dossiers_by_procedure ON dossiers (procedure, received_at)")
        db.execute("CREATE INDEX dossiers_by_status ON dossiers (status, received_at)")
        db.execute("ALTER TABLE idempotency RENAME TO new_idempotency")
        db.execute(
            "CREATE TABLE idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL,"
            " code TEXT NOT NULL REFERENCES dossiers (code))"
        )
        db.execute("INSERT INTO idempotency SELECT * FROM new_idempotency")
        db.execute("DROP TABLE new_idempotency")
    db.close()


def test_a_file_made_before_2026_12_08_keeps_its_idempotency_records_once_converted(tmp_path):
    path = tmp_path / "motcua.sqlite3"
    adapter = SqliteDossiers(path)
    try:
        first = [file(adapter, n) for n in (1, 2)]
    finally:
        adapter.close()
    previous_shape(path)

    converted = SqliteDossiers(path)
    try:
        assert [file(converted, n) for n in (1, 2)] == first  # retries: the same dossiers
        assert converted.filed_under("k2") == first[1].code
        assert file(converted, 3).code == code(3)
        with pytest.raises(IdempotencyConflictError):
            converted.create(make_dossier(answers={"n": 1}), idempotency_key="k1", request_hash="x")
    finally:
        converted.close()

    db = sqlite3.connect(path)
    try:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_schema")}
        (sql,) = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'idempotency'").fetchone()
    finally:
        db.close()
    assert sql.endswith("WITHOUT ROWID")
    assert not names & {"dossiers_by_procedure", "dossiers_by_status", "idempotency_with_rowid"}


def test_a_purge_batch_reads_the_idempotency_records_once_not_once_a_code(tmp_path):
    """The records have no index by code: 500 codes deleted one statement each read the table
    500 times (at 100,000 records the writers' lock was held 4 s). SQLite's VM instructions
    are counted through its progress handler, every 1,000."""
    path = tmp_path / "d.sqlite3"
    SqliteDossiers(path).close()
    codes = [f"000.00.31.H26-260701-{i:06d}" for i in range(3000)]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO idempotency (key, request_hash, code) VALUES (?, 'h', ?)",
            [(f"sha256:{i:064x}", c) for i, c in enumerate(codes)],
        )
    adapter = SqliteDossiers(path)
    try:
        ticks = []
        adapter._connections._for_writing().set_progress_handler(lambda: ticks.append(1), 1000)
        adapter.delete(codes[::6])  # 500 codes
        with sqlite3.connect(path) as db:
            left = {c for (c,) in db.execute("SELECT code FROM idempotency")}
    finally:
        adapter.close()
    assert left == set(codes) - set(codes[::6])
    assert len(ticks) < 500, len(ticks)  # one pass a code: ~500 passes of 3,000 records
