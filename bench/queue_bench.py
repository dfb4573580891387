"""The officers' queue on the embedded store: one office, one status, by due date, first page.

python -m bench.queue_bench [--sizes 100000,1000000] [--queries 500] [--scan-queries 50]

For each size, a SQLite file of synthetic dossiers (about 120 offices, statuses and due dates as
a province's two years look: most dossiers returned, a few percent in each open status, some
without a due date) is generated once into build/bench/queue-<size>.sqlite3 with the adapter's
schema (a bulk executemany in one transaction, indexes built after), and reused while the schema
is the same. Then, on one SqliteDossiers, with random offices and statuses:

- `queue`, one status, first page of 50 (the officer's queue; the goal is p99 < 20 ms at 1M),
- `queue`, one status, the page after a full first one (keyset: the first page's cursor),
- `queue`, the six open statuses together, first page (the "everything to do" view),
- `counts(office)`,
- the one-status first page again as a full scan (`FROM dossiers NOT INDEXED`, the same SQL
  otherwise), fewer queries because each reads the whole table.

Wall time per call (time.perf_counter) through the adapter, Python objects included; p50, p95,
p99 and max in ms. Prints a Markdown table. See bench/README.md.
"""

import argparse
import dataclasses
import datetime as dt
import hashlib
import inspect
import json
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from chalicelib.storage.ports import QueueQuery, State, queue_key
from chalicelib.storage.sqlite import SCHEMA, SqliteDossiers, queue_sql

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
OFFICES = [f"office-{number:03d}" for number in range(1, 121)]
# Busy wards and quiet communes: the busiest office gets about seven times the quietest's share.
OFFICE_WEIGHTS = [1 / (1 + number / 20) for number in range(len(OFFICES))]
OPEN = (1, 2, 4, 5, 6, 9)
# Share of each status among two years of dossiers (most are long finished).
STATUS_WEIGHTS = {1: 2, 2: 3, 3: 4, 4: 8, 5: 3, 6: 1, 7: 2, 8: 1, 9: 4, 10: 72}
PROCEDURES = [f"1.{number:06d}" for number in range(1000, 1200)]
CHANNELS = ("truc_tuyen", "truc_tiep", "buu_chinh")
UNITS = ("mot-cua", "chuyen-mon", "lanh-dao")
START = dt.datetime(2025, 1, 1, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def rows(size: int, seed: int) -> Iterator[tuple[object, ...]]:
    """One tuple per dossier, in the dossiers table's column order of the INSERT below."""
    rng = random.Random(seed)
    sequences: dict[tuple[str, str], int] = {}
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    for number in range(size):
        office = rng.choices(OFFICES, OFFICE_WEIGHTS)[0]
        received = START + dt.timedelta(minutes=rng.randrange(700 * 24 * 60))
        day = received.strftime("%y%m%d")
        seq = sequences[office, day] = sequences.get((office, day), 0) + 1
        code = f"{office}-{day}-{seq:04d}"
        status = rng.choices(statuses, weights)[0]
        due = None
        if rng.random() > 0.04:  # procedures without a published deadline have none
            due = (received + dt.timedelta(days=rng.randrange(1, 30))).replace(hour=17, minute=0)
        due_at = due.isoformat(timespec="minutes") if due else None
        procedure = rng.choice(PROCEDURES)
        channel = rng.choice(CHANNELS)
        applicant = f"Người nộp {number}"
        unit = "" if status == 1 else rng.choice(UNITS)
        version = 0 if status == 1 else rng.randrange(1, 8)
        received_at = received.isoformat(timespec="seconds")
        body = {
            "agency": office,
            "day": day,
            "procedure": procedure,
            "version": "2025-07-01",
            "catalogue": "4acdfe5",
            "answers": {"ho_ten": applicant, "so_dinh_danh": f"{number:012d}", "dia_chi": "x" * 60},
            "uploads": {"to-khai": [f"2026/01/01/{number:08x}.pdf"]},
            "secret_hash": f"sha256:{number:064x}",
            "received_at": received_at,
            "due_at": due_at,
            "status": 1,
            "office": office,
            "applicant": applicant,
            "channel": channel,
        }
        state = State(status=status, version=version, office=office, unit=unit, due_at=due_at)
        yield (
            code,
            office,
            day,
            seq,
            procedure,
            status,
            received_at,
            json.dumps(body, ensure_ascii=False, sort_keys=True),
            office,
            unit,
            channel,
            applicant,
            due_at,
            queue_key(due_at, code),
            version,
            json.dumps(state.as_dict(), ensure_ascii=False),
        )


def generate(path: Path, size: int, seed: int) -> None:
    """Creates the file with the adapter's schema; rows in one transaction, then the indexes."""
    path.unlink(missing_ok=True)
    SqliteDossiers(path).close()  # the schema, exactly as the adapter makes it
    db = sqlite3.connect(path, isolation_level=None)
    indexes = [row[0] for row in db.execute("SELECT sql FROM sqlite_master WHERE type = 'index'")]
    names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")]
    db.execute("PRAGMA synchronous = OFF")
    for name, sql in zip(names, indexes, strict=True):
        if sql:  # autoindexes of PRIMARY KEY / UNIQUE have no SQL and stay
            db.execute(f"DROP INDEX {name}")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO dossiers (code, agency, day, seq, procedure, status, received_at, body,"
        " office, unit, channel, applicant, due_at, queue_key, version, state)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(size, seed),
    )
    db.execute("COMMIT")
    for statement in SCHEMA.split(";"):  # the indexes again, built once over every row
        db.execute(statement)
    db.execute("ANALYZE")
    db.close()


def dataset(size: int, seed: int) -> Path:
    """The cached file for this size, made again if missing or made by another schema or
    another generator (the source of rows() and generate())."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"queue-{size}-seed{seed}.sqlite3"
    marker = path.with_suffix(".made-by")
    made_by = hashlib.sha256(
        "".join([SCHEMA, inspect.getsource(rows), inspect.getsource(generate), *OFFICES]).encode()
    ).hexdigest()
    if not (path.exists() and marker.exists() and marker.read_text() == made_by):
        started = time.perf_counter()
        generate(path, size, seed)
        marker.write_text(made_by)
        print(f"generated {size:,} dossiers in {time.perf_counter() - started:.0f} s: {path}")
    return path


def timings(call: Callable[[random.Random], object], count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    spent = []
    for _ in range(count):
        started = time.perf_counter()
        call(rng)
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def summary(spent: list[float]) -> str:
    cuts = statistics.quantiles(spent, n=100, method="inclusive")
    return f"{cuts[49]:.2f} | {cuts[94]:.2f} | {cuts[98]:.2f} | {max(spent):.2f}"


def measure(path: Path, queries: int, scan_queries: int, seed: int) -> list[tuple[str, str, int]]:
    dossiers = SqliteDossiers(path)
    scan = sqlite3.connect(path)

    def one_status(rng: random.Random) -> QueueQuery:
        return QueueQuery(office=rng.choice(OFFICES), statuses=(rng.choice(OPEN),), limit=50)

    def next_page(rng: random.Random) -> float | None:
        """Seconds for the page after a full first page (None when the first was not full)."""
        query = one_status(rng)
        first = dossiers.queue(query)
        if len(first) == query.limit:  # there may be a second page
            started = time.perf_counter()
            dossiers.queue(dataclasses.replace(query, after=first[-1].cursor))
            return time.perf_counter() - started
        return None

    def scanned(rng: random.Random) -> object:
        ((sql, params),) = queue_sql(one_status(rng))
        return scan.execute(sql.replace("FROM dossiers", "FROM dossiers NOT INDEXED"), params)

    try:
        dossiers.queue(one_status(random.Random(seed)))  # open the connection, warm the cache
        variants = [
            ("queue: one status, first page of 50", one_status, queries),
            (
                "queue: the six open statuses, first page of 50",
                lambda rng: QueueQuery(office=rng.choice(OFFICES), statuses=OPEN, limit=50),
                queries,
            ),
        ]
        rows_out = []
        for label, make, count in variants:
            spent = timings(lambda rng, make=make: dossiers.queue(make(rng)), count, seed)
            rows_out.append((label, summary(spent), count))
        rng = random.Random(seed)
        second = [s * 1000 for s in (next_page(rng) for _ in range(queries)) if s is not None]
        rows_out.append(("queue: one status, second page (cursor)", summary(second), len(second)))
        spent = timings(lambda rng: dossiers.counts(rng.choice(OFFICES)), queries, seed)
        rows_out.append(("counts(office)", summary(spent), queries))
        spent = timings(lambda rng: scanned(rng).fetchall(), scan_queries, seed)
        rows_out.append(
            ("full scan: one status, first page (NOT INDEXED)", summary(spent), scan_queries)
        )
        return rows_out
    finally:
        scan.close()
        dossiers.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="100000,1000000", help="dossier counts, comma-separated")
    parser.add_argument("--queries", type=int, default=500, help="queries per indexed variant")
    parser.add_argument("--scan-queries", type=int, default=50, help="queries for the full scan")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print("| dossiers | query | p50 ms | p95 ms | p99 ms | max ms | queries |")
    print("|--:|---|--:|--:|--:|--:|--:|")
    for size in (int(text) for text in args.sizes.split(",")):
        path = dataset(size, args.seed)
        for label, cells, count in measure(path, args.queries, args.scan_queries, args.seed):
            print(f"| {size:,} | {label} | {cells} | {count} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
