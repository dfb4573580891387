"""Working days and expected result dates (property tests with hypothesis)."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from buildlib.catalogue.load import load
from chalicelib.calendar import VIETNAM, WorkingCalendar

from .conftest import CATALOGUE

CALENDAR = WorkingCalendar.from_documents(
    d.data for d in load(CATALOGUE, workers=1).of_kind("calendar")
)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


def test_decreed_swaps_and_statutory_days_are_applied():
    assert not CALENDAR.is_working_day(dt.date(2025, 5, 2))  # swapped Friday
    assert CALENDAR.is_working_day(dt.date(2025, 4, 26))  # make-up Saturday
    assert not CALENDAR.is_working_day(dt.date(2026, 2, 17))  # Tết
    assert CALENDAR.is_working_day(dt.date(2026, 1, 10))  # make-up Saturday
    assert not CALENDAR.is_working_day(dt.date(2026, 1, 2))
    assert CALENDAR.is_working_day(dt.date(2026, 11, 24))  # library holiday, not in force here
    assert not CALENDAR.is_working_day(dt.date(2026, 11, 28))  # Saturday


def test_three_working_days_from_a_monday_morning_is_thursday():
    due = CALENDAR.due(at("2026-11-23T09:00"), 3, "working_days")
    assert due == at("2026-11-26T17:00")


def test_a_dossier_received_after_hours_counts_from_the_next_working_day():
    assert CALENDAR.due(at("2026-11-23T17:30"), 3, "working_days") == at("2026-11-27T17:00")
    assert CALENDAR.intake_start(at("2026-11-28T10:00")) == at("2026-11-30T07:30")


def test_working_days_skip_tet_and_count_the_make_up_saturday():
    # Friday 13/02/2026, 1 working day: Tết runs to 20/02 (Fri), weekend follows.
    assert CALENDAR.due(at("2026-02-13T08:00"), 1, "working_days") == at("2026-02-23T17:00")
    # Friday 09/01/2026, 1 working day: Saturday 10/01 is a make-up working day.
    assert CALENDAR.due(at("2026-01-09T08:00"), 1, "working_days") == at("2026-01-10T17:00")


def test_calendar_days_ending_on_a_day_off_end_on_the_next_working_day():
    # 10 days from Tuesday 2025-04-22 is Friday 2025-05-02, a swapped day off → Monday 05/05
    # (Saturday 03 and Sunday 04 are the weekend).
    assert CALENDAR.due(at("2025-04-22T08:00"), 10, "days") == at("2025-05-05T17:00")


def test_hours_count_only_office_hours():
    assert CALENDAR.due(at("2026-11-23T10:30"), 2, "hours") == at(
        "2026-11-23T13:00"
    ) + dt.timedelta(hours=1)
    assert CALENDAR.due(at("2026-11-27T16:00"), 4, "hours") == at("2026-11-30T10:30")


def test_same_day_and_unpublished_units():
    assert CALENDAR.due(at("2026-11-23T09:00"), None, "same_day") == at("2026-11-23T17:00")
    assert CALENDAR.due(at("2026-11-23T09:00"), 1, "unpublished") is None


moments = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 12, 31)).map(
    lambda m: m.replace(tzinfo=VIETNAM)
)


@given(moments, st.integers(0, 60))
def test_a_working_day_deadline_ends_on_a_working_day_after_exactly_n_of_them(received, n):
    due = CALENDAR.due(received, n, "working_days")
    start = CALENDAR.intake_start(received)
    assert CALENDAR.is_working_day(due.date())
    assert due >= start
    assert CALENDAR.working_days_between(start.date(), due.date()) == n


@given(moments, st.integers(0, 30), st.integers(0, 30))
def test_longer_deadlines_never_end_earlier(received, a, b):
    for unit in ("working_days", "days", "hours"):
        short, long = sorted((a, b))
        assert CALENDAR.due(received, short, unit) <= CALENDAR.due(received, long, unit)


@given(moments)
def test_the_clock_starts_inside_office_hours_of_a_working_day(received):
    start = CALENDAR.intake_start(received)
    assert start >= received.astimezone(VIETNAM)
    assert CALENDAR.is_working_day(start.date())
    assert any(b <= start.time() < e for b, e in CALENDAR.hours.sessions)


@given(moments, st.integers(1, 40))
def test_calendar_days_end_on_a_working_day_no_earlier_than_n_days(received, n):
    due = CALENDAR.due(received, n, "days")
    assert CALENDAR.is_working_day(due.date())
    assert due.date() >= CALENDAR.intake_start(received).date() + dt.timedelta(days=n)
