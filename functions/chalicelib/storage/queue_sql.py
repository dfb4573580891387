"""The dossiers' SQL shared by the SQLite and PostgreSQL adapters: a new dossier's row, and the
officers' queue (one statement per status, each one index range read in queue_key order up to the
page's limit; the adapters merge them) with the row it returns as a QueueItem. Only the
placeholder differs (`?` or `%s`).

The queue index `dossiers_queue` is partial, `WHERE handed_to = ''`: a dossier handed over to a
province's system is in no office's queue (nor its counts), and costs the queue nothing. Every
statement that reads it says `handed_to = ''` as a literal, so both databases match the index."""

from typing import Any

from chalicelib.storage.ports import (
    NO_DUE,
    NewDossier,
    QueueItem,
    QueueQuery,
    dossier_json,
    queue_key,
)

DOSSIER_COLUMNS = (
    "code, agency, day, seq, procedure, status, received_at, body, office, channel, applicant,"
    " due_at, queue_key, state, handed_to"
)
LOCAL = "handed_to = ''"  # the queue index's predicate: processed in our back office


def counts_sql(mark: str) -> str:
    """An office's dossiers per status (Dossiers.counts), from the queue index alone."""
    return (
        f"SELECT status, count(*) FROM dossiers WHERE office = {mark} AND {LOCAL} GROUP BY status"
    )


def insert_dossier_sql(mark: str) -> str:
    """The INSERT of a new dossier's row (`dossier_row`), with `mark` as the placeholder."""
    marks = ", ".join([mark] * len(DOSSIER_COLUMNS.split(",")))
    return f"INSERT INTO dossiers ({DOSSIER_COLUMNS}) VALUES ({marks})"


def dossier_row(
    code: str, seq: int, dossier: NewDossier, state: Any, body: str | None = None
) -> tuple[Any, ...]:
    """The values of DOSSIER_COLUMNS; `state` as the adapter stores JSON (text or jsonb), `body`
    the dossier's dossier_json if the caller made it already (for the state's genesis hash)."""
    return (
        code,
        dossier.agency,
        dossier.day,
        seq,
        dossier.procedure,
        dossier.status,
        dossier.received_at,
        body or dossier_json(dossier),
        dossier.office,
        dossier.channel,
        dossier.applicant,
        dossier.due_at,
        queue_key(dossier.due_at, code),
        state,
        dossier.handed_to,
    )


QUEUE_COLUMNS = "code, procedure, applicant, channel, status, unit, received_at, due_at, version"


def status_sql(query: QueueQuery, status: int, mark: str) -> tuple[str, list[Any]]:
    """The page of `query` in one status, with `mark` as the parameter placeholder."""
    where: list[str] = [f"office = {mark}", f"status = {mark}", LOCAL]
    params: list[Any] = [query.office, status]
    if query.procedure is not None:
        where.append(f"procedure = {mark}")
        params.append(query.procedure)
    if query.channel is not None:
        where.append(f"channel = {mark}")
        params.append(query.channel)
    if query.due_from is not None:  # a dossier with no due date is not due
        where.append(f"queue_key >= {mark} AND queue_key < {mark}")
        params += [query.due_from, NO_DUE]
    if query.due_to is not None:
        where.append(f"queue_key < {mark}")
        params.append(query.due_to)
    if query.after is not None:
        where.append(f"queue_key > {mark}")
        params.append(query.after)
    sql = (
        f"SELECT {QUEUE_COLUMNS}, queue_key FROM dossiers WHERE {' AND '.join(where)}"
        f" ORDER BY queue_key LIMIT {mark}"
    )
    return sql, [*params, query.limit]


def queue_item(row: tuple[Any, ...]) -> QueueItem:
    """A row of `status_sql`'s columns."""
    code, procedure, applicant, channel, status, unit, received_at, due_at, version, key = row
    return QueueItem(
        code=code,
        procedure=procedure,
        applicant=applicant,
        channel=channel,
        status=status,
        unit=unit,
        received_at=received_at,
        due_at=due_at,
        version=version,
        cursor=key,
    )
