"""The anonymised event export behind the open statistics (issue 16, deliverable 5):
`motcua export-events FILE` writes it, `build.py build --stats FILE` publishes it
(buildlib/site/stats.py), and `scripts/recompute_stats.py` recomputes every published figure
from the published copy alone. docs/statistics.md is the contract.

One JSON object per line, one line per event the statistics count:
  received               a dossier was filed: `channel` (truc_tuyen, truc_tiep, buu_chinh)
  supplement_requested   an officer asked for a supplement (form 02)
  finished               the result was ready (status 9): `outcome` (truoc_han, dung_han,
                         qua_han; "" without a due date) and `working_days` (working days from
                         reception to the result, less those the clock stood still)
  rated                  the applicant rated the dossier: one level per question (ratings.py)
each with `month` (yyyy-mm, Asia/Ho_Chi_Minh), `office` (the office register's id) and
`procedure` (the national code): public catalogue data.

What is left out, so that a line cannot be traced back to a person or a dossier: the dossier
code (not even hashed: no statistic needs to link two events of one dossier), names, contacts,
answers, files, officers, comments, exact dates and times (the month only), and every event
the statistics do not count. Lines are sorted by their content, so their order says nothing
about the order of the dossiers.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from .calendar import VIETNAM, WorkingCalendar
from .ratings import QUESTIONS
from .storage.ports import Dossiers, NewDossier, Ratings, StoredDossier
from .workflow import Rules

KINDS = ("received", "supplement_requested", "finished", "rated")
# Every line has every column ("" where it does not apply), in this order: the published CSV's.
COLUMNS = ("kind", "month", "office", "procedure", "channel", "outcome", "working_days", *QUESTIONS)
CHANNELS = ("truc_tuyen", "truc_tiep", "buu_chinh")
OUTCOMES = ("truoc_han", "dung_han", "qua_han")


def export_events(
    dossiers: Dossiers,
    ratings: Ratings,
    *,
    calendar: WorkingCalendar,
    rules_of: Callable[[NewDossier], Rules],
) -> list[dict[str, Any]]:
    """Every counted event of every dossier and rating in the stores, anonymised and sorted."""
    events: list[dict[str, Any]] = []
    for code in dossiers.codes():
        stored = dossiers.get(code)
        if stored is not None:
            events.extend(dossier_events(stored, calendar, rules_of(stored.dossier)))
    for rating in ratings.all():
        events.append(_event("rated", rating.at, rating.office, rating.procedure, **rating.answers))
    return sorted(events, key=_order)


def dossier_events(
    stored: StoredDossier, calendar: WorkingCalendar, rules: Rules
) -> Iterator[dict[str, Any]]:
    dossier = stored.dossier
    office, procedure = dossier.office, dossier.procedure
    yield _event("received", dossier.received_at, office, procedure, channel=dossier.channel)
    received: dt.date | None = None
    stopped: dt.date | None = None
    paused = 0
    for event in stored.events:
        action, day = event["action"], _day(event["at"])
        if action == "request_supplement":
            yield _event("supplement_requested", event["at"], office, procedure)
        if action == "receive":
            received = day
        elif received is None:  # the clock has not started: nothing stands still
            continue
        elif action == "request_supplement" or (
            action == "request_payment" and rules.payment_stops_clock
        ):
            stopped = day
        elif action in ("supplement", "confirm_payment") and stopped is not None:
            paused += calendar.working_days_between(stopped, day)
            stopped = None
        elif action == "done":
            yield _event(
                "finished",
                event["at"],
                office,
                procedure,
                outcome=event.get("data", {}).get("outcome") or "",
                working_days=calendar.working_days_between(received, day) - paused,
            )


def write_events(events: Iterable[dict[str, Any]], out: TextIO) -> int:
    """JSON Lines, one event a line; how many."""
    count = 0
    for event in events:
        out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def _event(kind: str, at: str, office: str, procedure: str, **values: Any) -> dict[str, Any]:
    event: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    event.update(kind=kind, month=_day(at).strftime("%Y-%m"), office=office, procedure=procedure)
    event.update({k: v for k, v in values.items() if k in COLUMNS})
    return event


def _day(at: str) -> dt.date:
    return dt.datetime.fromisoformat(at).astimezone(VIETNAM).date()


def _order(event: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(event[column]) for column in COLUMNS)
