"""The two tools on procedure pages (theme/assets/tthc.js) in a real Chromium: the "as of date"
version picker and the expected-result-date calculator. The calculator is checked against the
API's working-day calendar (functions/chalicelib/calendar.py) on the catalogue's calendar."""

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from buildlib.catalogue import labels
from buildlib.catalogue.yamlsource import load_text
from chalicelib.calendar import VIETNAM, WorkingCalendar

ROOT = Path(__file__).resolve().parents[2]
SCHEDULED = "1.014063"  # a version in force and one scheduled
RESIDENCE = "1.004222"  # Đăng ký thường trú: deadlines in working days


def working_calendar() -> WorkingCalendar:
    docs = [
        load_text(p.read_text(encoding="utf-8"), p.name)[0]
        for p in sorted((ROOT / "catalogue" / "calendar").glob("*.yaml"))
    ]
    return WorkingCalendar.from_documents(docs)


def test_as_of_date_picker_opens_the_version_in_force_on_that_date(page, server, facts):
    versions = facts.versions(SCHEDULED)
    assert len(versions) >= 2
    shown = facts.shown(SCHEDULED)
    page.goto(f"{server.url}/thu-tuc/{SCHEDULED}/")
    picker = page.get_by_label("Xem thủ tục áp dụng vào ngày")
    for v in versions:
        day = dt.date.fromisoformat(v["effective_from"]) + dt.timedelta(days=20)
        assert "effective_to" not in v or day.isoformat() < v["effective_to"]
        picker.fill(day.isoformat())
        permalink = f"**/thu-tuc/{SCHEDULED}/{v['effective_from']}/"
        with page.expect_request(permalink):
            page.get_by_role("button", name="Xem", exact=True).click()
        if v["effective_from"] == shown["effective_from"]:  # its permalink points to this page
            page.wait_for_url(f"**/thu-tuc/{SCHEDULED}/")
            expect(page.get_by_role("heading", level=1)).to_have_text(v["name"])
        else:
            page.wait_for_url(permalink)
            expect(page.locator(".tthc-version")).to_contain_text(labels.date(v["effective_from"]))
        picker = page.get_by_label("Xem thủ tục áp dụng vào ngày")

    before = dt.date.fromisoformat(versions[0]["effective_from"]) - dt.timedelta(days=1)
    picker.fill(before.isoformat())
    page.get_by_role("button", name="Xem", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        f"Không có phiên bản nào áp dụng vào ngày {labels.date(before.isoformat())}."
    )


def test_calculator_counts_working_days_around_a_public_holiday(page, server, facts):
    v = facts.shown(RESIDENCE)
    deadlines = [c["deadline"] for c in v["channels"]]
    assert all(d["unit"] == "working_days" for d in deadlines)
    calendar = working_calendar()
    # The first filing day from tomorrow whose deadline spans a weekday that is not worked.
    day = dt.date.fromisoformat(facts.today) + dt.timedelta(days=1)
    while True:
        received = dt.datetime.combine(day, dt.time(8), tzinfo=VIETNAM)
        due = calendar.due(received, deadlines[0]["amount"], "working_days").date()
        span = [day + dt.timedelta(days=n) for n in range((due - day).days)]
        if calendar.is_working_day(day) and any(
            d.weekday() < 5 and not calendar.is_working_day(d) for d in span
        ):
            break
        day += dt.timedelta(days=1)

    page.goto(f"{server.url}/thu-tuc/{RESIDENCE}/")
    page.get_by_label("Ngày nộp hồ sơ").fill(day.isoformat())
    items = page.locator("#ket-qua-du-kien > li")
    expected = []
    for channel in v["channels"]:
        received = dt.datetime.combine(day, dt.time(8), tzinfo=VIETNAM)
        end = calendar.due(received, channel["deadline"]["amount"], "working_days").date()
        expected.append(f"Nộp {labels.CHANNELS[channel['kind']]}: {end:%d/%m/%Y}")
    expect(items).to_have_text(expected)


@pytest.mark.parametrize("hour", [6, 23])
def test_calculator_starts_from_the_readers_local_date(make_page, server, facts, hour):
    # 06:00 in Vietnam is still the previous day in UTC; 23:00 is the same day in both.
    tomorrow = dt.date.fromisoformat(facts.today) + dt.timedelta(days=1)
    page = make_page()
    page.clock.install(time=dt.datetime.combine(tomorrow, dt.time(hour), tzinfo=VIETNAM))
    page.goto(f"{server.url}/thu-tuc/{RESIDENCE}/")
    expect(page.get_by_label("Ngày nộp hồ sơ")).to_have_value(tomorrow.isoformat())
    channels = facts.shown(RESIDENCE)["channels"]
    expect(page.locator("#ket-qua-du-kien > li")).to_have_count(len(channels))
