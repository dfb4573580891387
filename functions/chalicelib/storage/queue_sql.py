"""The officers' queue in SQL, shared by the SQLite and PostgreSQL adapters: one statement per
status, each one index range read in queue_key order up to the page's limit (the adapters merge
them), and the row it returns as a QueueItem. Only the placeholder differs (`?` or `%s`)."""

from typing import Any

from chalicelib.storage.ports import NO_DUE, QueueItem, QueueQuery

QUEUE_COLUMNS = "code, procedure, applicant, channel, status, unit, received_at, due_at, version"


def status_sql(query: QueueQuery, status: int, mark: str) -> tuple[str, list[Any]]:
    """The page of `query` in one status, with `mark` as the parameter placeholder."""
    where: list[str] = [f"office = {mark}", f"status = {mark}"]
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
