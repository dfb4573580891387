"""Working days and expected result dates for dossiers.

A working day is Monday to Friday that is not a statutory holiday (the `holidays` package, Bộ luật
Lao động 2019 Điều 112, with its observed days) nor a decreed day off, plus every decreed make-up
Saturday; the yearly decisions come from catalogue/calendar/<year>.yaml. A dossier received after
office hours or on a day off counts from the start of the next working day. A period in calendar
days whose last day is a day off ends on the next working day (Bộ luật Dân sự 2015, Điều 148).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = ("working_days", "days", "hours", "same_day")


@dataclass(frozen=True)
class OfficeHours:
    """Intake hours of a one-stop desk (morning and afternoon sessions)."""

    sessions: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(7, 30), dt.time(11, 30)),
        (dt.time(13, 0), dt.time(17, 0)),
    )

    @property
    def opens(self) -> dt.time:
        return self.sessions[0][0]

    @property
    def closes(self) -> dt.time:
        return self.sessions[-1][1]


@dataclass(frozen=True)
class WorkingCalendar:
    days_off: frozenset[dt.date] = frozenset()
    makeup_workdays: frozenset[dt.date] = frozenset()
    not_days_off: frozenset[dt.date] = frozenset()
    hours: OfficeHours = field(default_factory=OfficeHours)

    @classmethod
    def from_documents(
        cls, documents: Iterable[dict[str, Any]], hours: OfficeHours | None = None
    ) -> "WorkingCalendar":
        """From catalogue/calendar/<year>.yaml documents (already validated by the schema)."""
        days_off, makeup, not_off = set(), set(), set()
        for doc in documents:
            days_off |= {dt.date.fromisoformat(e["date"]) for e in doc.get("days_off", [])}
            makeup |= {dt.date.fromisoformat(e["date"]) for e in doc.get("makeup_workdays", [])}
            not_off |= {dt.date.fromisoformat(e["date"]) for e in doc.get("not_days_off", [])}
        return cls(
            frozenset(days_off), frozenset(makeup), frozenset(not_off), hours or OfficeHours()
        )

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day.weekday() >= 5:
            return False
        if day in self.days_off:
            return False
        return day in self.not_days_off or day not in _statutory(day.year)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def intake_start(self, received: dt.datetime) -> dt.datetime:
        """When the clock starts: the moment itself if inside office hours of a working day,
        else the opening of the next working session."""
        local = received.astimezone(VIETNAM)
        day, now = local.date(), local.time()
        if self.is_working_day(day):
            for start, end in self.hours.sessions:
                if now < start:
                    return _at(day, start)
                if now < end:
                    return local
        return _at(self.next_working_day(day), self.hours.opens)

    def due(self, received: dt.datetime, amount: int | None, unit: str) -> dt.datetime | None:
        """The expected result time for a deadline, or None when the unit is not published."""
        if unit not in UNITS:
            return None
        start = self.intake_start(received)
        day = start.date()
        if unit == "same_day":
            return _at(day, self.hours.closes)
        if amount is None or amount < 0:
            return None
        if unit == "working_days":
            for _ in range(amount):
                day = self.next_working_day(day)
            return _at(day, self.hours.closes)
        if unit == "days":
            last = day + dt.timedelta(days=amount)
            if not self.is_working_day(last):
                last = self.next_working_day(last)
            return _at(last, self.hours.closes)
        return self._add_office_hours(start, amount)

    def _add_office_hours(self, start: dt.datetime, hours: int) -> dt.datetime:
        remaining = dt.timedelta(hours=hours)
        moment = start
        while True:
            day = moment.date()
            for begin, end in self.hours.sessions:
                session_end = _at(day, end)
                cursor = max(moment, _at(day, begin))
                if cursor >= session_end:
                    continue
                available = session_end - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            moment = _at(self.next_working_day(day), self.hours.opens)

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days in (first, last]: how many days of a deadline have been used."""
        count, day = 0, first
        while day < last:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=VIETNAM)


@lru_cache(maxsize=64)
def _statutory(year: int) -> frozenset[dt.date]:
    import holidays  # ~17 ms: not imported by a build that asks for no working day

    return frozenset(holidays.country_holidays("VN", years=year))
