"""What only the PostgreSQL adapter promises: its schema comes from the migrate command (run twice,
the second run changes nothing), an adapter on a database that was not migrated says to run it,
and the queue reads one range of the office index per status, in order."""

import json
import re
import subprocess
import sys

import psycopg
import pytest

from chalicelib.errors import StorageError
from chalicelib.storage import postgres
from chalicelib.storage.ports import QueueQuery
from chalicelib.storage.postgres import PostgresDossiers, queue_sql

pytestmark = pytest.mark.slow  # a PostgreSQL cluster


def migrate_command(dsn: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.storage.postgres", "migrate", "--dsn", dsn],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def empty_database(postgres_cluster):
    dsn = postgres_cluster.new_database(migrated=False)
    yield dsn
    postgres_cluster.drop(dsn)


def test_migrate_applies_every_migration_once_and_then_nothing(empty_database):
    first = migrate_command(empty_database)
    assert first.returncode == 0, first.stderr
    names = [path.name for _version, path in postgres.migrations()]
    assert names[0] == "0001_dossiers.sql"
    assert all(name in first.stdout for name in names)

    second = migrate_command(empty_database)
    assert second.returncode == 0, second.stderr
    assert not any(name in second.stdout for name in names)
    with psycopg.connect(empty_database) as conn:
        rows = conn.execute(
            "SELECT version, name FROM schema_migrations ORDER BY version"
        ).fetchall()
    assert rows == [(version, path.name) for version, path in postgres.migrations()]
    PostgresDossiers(empty_database).close()  # the adapter accepts the migrated schema


def test_the_dossiers_have_only_the_indexes_a_statement_reads(empty_database):
    migrate_command(empty_database).check_returncode()
    with psycopg.connect(empty_database) as conn:
        rows = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'dossiers'")
        names = {name for (name,) in rows}
    # the key, the (agency, day, seq) uniqueness the counters rely on, the offices' queue
    assert names == {"dossiers_pkey", "dossiers_agency_day_seq_key", "dossiers_queue"}


def test_an_adapter_on_a_database_not_migrated_says_to_run_migrate(empty_database):
    with pytest.raises(
        StorageError, match=re.escape("python -m chalicelib.storage.postgres migrate")
    ):
        PostgresDossiers(empty_database)
    with psycopg.connect(empty_database) as conn:  # and it created nothing
        assert conn.execute("SELECT to_regclass('dossiers')").fetchone() == (None,)


def test_migrate_on_an_unreachable_database_fails_with_the_reason(postgres_cluster):
    result = migrate_command(postgres_cluster.dsn("no_such_database"))
    assert result.returncode == 1
    assert "no_such_database" in result.stderr


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
def test_the_queue_reads_the_office_index_in_order_never_the_whole_table(postgres_cluster, query):
    """With sequential scans priced out (the test table is empty), a plan still exists that reads
    one range of dossiers_queue per status and merges them without sorting: the index gives the
    queue_key order (its "C" collation is the order ports.queue_key promises)."""
    sql, params = queue_sql(query)
    dsn = postgres_cluster.new_database()
    try:
        with psycopg.connect(dsn) as conn:
            conn.execute("SET enable_seqscan = off")
            conn.execute("SET enable_bitmapscan = off")
            (plan,) = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()
    finally:
        postgres_cluster.drop(dsn)
    nodes = list(plan_nodes(plan[0]["Plan"]))
    scans = [node for node in nodes if "Scan" in node["Node Type"]]
    assert len(scans) == (len(query.statuses) or 10), nodes  # one index range per status
    assert all(node.get("Index Name") == "dossiers_queue" for node in scans), json.dumps(plan)
    assert all("Index Cond" in node and "status" in node["Index Cond"] for node in scans)
    assert not any(node["Node Type"] == "Sort" for node in nodes), json.dumps(plan)


def plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)
