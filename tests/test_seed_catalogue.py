"""The seed catalogue (Hải Phòng) holds what the foundation issue asks of it.

About the published content: these tests read catalogue/, never the fixture catalogue."""

import datetime as dt

import pytest

from buildlib.catalogue.load import load
from chalicelib.forms import with_delivery
from chalicelib.versions import version_in_force

from .conftest import ROOT

# Loads all of catalogue/ (about a second): the slow tier.
pytestmark = pytest.mark.slow

TODAY = "2026-11-25"


@pytest.fixture(scope="module")
def catalogue():
    return load(ROOT / "catalogue", workers=1)


@pytest.fixture(scope="module")
def in_force(catalogue):
    out = {}
    for code, docs in catalogue.procedures().items():
        version = version_in_force([d.data for d in docs], TODAY)
        if version:
            out[code] = version
    return out


def test_at_least_40_procedures_in_force_from_at_least_8_fields(in_force):
    assert len(in_force) >= 40
    assert len({v["field"] for v in in_force.values()}) >= 8


def test_every_version_says_where_its_values_come_from(catalogue):
    for doc in catalogue.of_kind("procedure"):
        assert doc.data["sources"], doc.rel


def test_at_least_12_procedures_are_offered_online_with_a_complete_form(catalogue, in_force):
    forms = catalogue.by_id("form")
    online = [
        v
        for v in in_force.values()
        if v["online_service"]["kind"] != "none"
        and v["online_service"].get("form") in forms
        and any(c["kind"] == "online" for c in v["channels"])
    ]
    assert len(online) >= 12
    with_uploads = [
        v
        for v in online
        if any(p.get("uploads") for p in forms[v["online_service"]["form"]].data["pages"])
    ]
    assert len(with_uploads) >= 10


def test_forms_have_conditional_fields_and_some_have_two_upload_slots(catalogue):
    """As the applicant fills them (with the result question of their procedure's channels): a
    form whose procedure publishes one way only (1.010041: online) is asked nothing by
    condition, since its own 'by post' question offered what the source does not publish."""
    forms = [d.data for d in catalogue.of_kind("form")]
    versions = {
        version["online_service"].get("form"): version
        for docs in catalogue.procedures().values()
        if (version := version_in_force([d.data for d in docs], TODAY))
    }
    for form in forms:
        filled = with_delivery(form, versions[form["id"]])
        pages = filled["pages"]
        items = [i for p in pages for i in [p, *p.get("fields", []), *p.get("uploads", [])]]
        if len(versions[form["id"]]["channels"]) == 1:
            assert filled is form, form["id"]  # nothing to choose: the engine asks nothing
            continue
        assert any("when" in item for item in items), form["id"]
    two_slots = [f for f in forms if sum(len(p.get("uploads", [])) for p in f["pages"]) >= 2]
    assert len(two_slots) >= 2


def test_history_replacement_abolition_and_a_scheduled_future_version(catalogue):
    procedures = {code: [d.data for d in docs] for code, docs in catalogue.procedures().items()}
    district_then_commune = [
        code
        for code, versions in procedures.items()
        if "huyen" in versions[0]["levels"]
        and versions[0].get("effective_to") <= "2025-07-01"
        and "huyen" not in versions[-1]["levels"]
    ]
    assert len(district_then_commune) >= 3
    ended = [versions[-1].get("ended", {}).get("kind") for versions in procedures.values()]
    assert "replaced" in ended
    assert "abolished" in ended
    future = [c for c, vs in procedures.items() if any(v["effective_from"] > TODAY for v in vs)]
    assert future


def test_birth_and_death_life_events_point_to_procedures_in_the_catalogue(catalogue):
    events = catalogue.by_id("life-event")
    assert {"khai-sinh", "khai-tu"} <= set(events)
    codes = set(catalogue.procedures())
    for event in events.values():
        assert {s["procedure"] for s in event.data["steps"]} <= codes


def test_the_working_calendar_covers_2025_and_2026(catalogue):
    years = {d.data["year"]: d.data for d in catalogue.of_kind("calendar")}
    assert {2025, 2026} <= set(years)
    for data in years.values():
        for entry in data["makeup_workdays"]:
            assert dt.date.fromisoformat(entry["date"]).weekday() >= 5


def test_units_hold_the_34_provinces_and_3321_communes_of_2025(catalogue):
    units = catalogue.of_kind("units")
    assert len(units) == 34
    assert sum(len(u.data["communes"]) for u in units) == 3321
