"""The officers' service without HTTP: due flags by the working calendar, on real SQLite and real
files, with a clock the test moves (the routes are tested over HTTP in test_lifecycle_http)."""

import datetime as dt

import pytest

from chalicelib import forms
from chalicelib.backoffice import Backoffice
from chalicelib.bundle import Bundle
from chalicelib.calendar import VIETNAM
from chalicelib.officers import Officer, OfficerAuth
from chalicelib.storage.accounts_sqlite import SqliteAccounts
from tests.factories import make_service

from .client import WITH_DEADLINE
from .filling import answers_for

WEDNESDAY = dt.datetime(2026, 12, 9, 9, 0, tzinfo=VIETNAM)


@pytest.fixture
def desk(tmp_path, bundle_path):
    """A service on a clock, the office of a dossier filed on Wednesday and a one-stop officer."""
    moments = [WEDNESDAY]
    bundle = Bundle.load(bundle_path)
    service = make_service(tmp_path, bundle, clock=lambda: moments[-1])
    version = bundle.version(WITH_DEADLINE, WEDNESDAY.date())
    office = bundle.offices_for(version)[0]["id"]
    body = {
        "procedure": WITH_DEADLINE,
        "answers": answers_for(bundle.form(version)),
        "office": office,
    }
    filed = service.submit(body, "ma-thu-nghiem-0001")
    officer = Officer("cb1", "cb1", "Cán bộ", frozenset({"mot_cua"}), frozenset({office}))
    auth = OfficerAuth(SqliteAccounts(tmp_path / "officers.sqlite3"), secret_key=b"k" * 32)
    return Backoffice(service, auth), officer, filed["code"], office, moments


def flag(backoffice, officer, code, office):
    queue = backoffice.queue(officer, {"office": office})
    return next(item["due_flag"] for item in queue["items"] if item["code"] == code), queue


def test_due_flags_count_working_days_across_a_weekend(desk):
    backoffice, officer, code, office, moments = desk
    view = backoffice.act(officer, code, "receive", {"version": 0})
    assert view["due_at"] == "2026-12-14T17:00+07:00"  # Thursday, Friday, Monday
    moments.append(dt.datetime(2026, 12, 10, 16, 0, tzinfo=VIETNAM))  # Thursday
    assert flag(backoffice, officer, code, office)[0] is None
    moments.append(dt.datetime(2026, 12, 11, 10, 0, tzinfo=VIETNAM))  # Friday: due next working day
    due_flag, queue = flag(backoffice, officer, code, office)
    assert due_flag == "soon" and queue["counts"]["soon"] == 1 and queue["counts"]["overdue"] == 0
    moments.append(dt.datetime(2026, 12, 14, 17, 1, tzinfo=VIETNAM))  # Monday, after closing
    due_flag, queue = flag(backoffice, officer, code, office)
    assert due_flag == "overdue" and queue["counts"]["overdue"] == 1
    assert backoffice.dossier(officer, code)["due_flag"] == "overdue"
    overdue = backoffice.queue(officer, {"office": office, "due": "overdue"})
    assert [item["code"] for item in overdue["items"]] == [code]
    assert backoffice.queue(officer, {"office": office, "due": "soon"})["items"] == []


def test_a_dossier_waiting_for_the_applicant_is_not_flagged(desk):
    backoffice, officer, code, office, moments = desk
    backoffice.act(officer, code, "receive", {"version": 0})
    backoffice.act(officer, code, "request_supplement", {"version": 1, "data": {"items": ["Ảnh"]}})
    moments.append(dt.datetime(2026, 12, 21, 9, 0, tzinfo=VIETNAM))  # a week past the due date
    due_flag, queue = flag(backoffice, officer, code, office)
    assert due_flag is None and queue["counts"]["overdue"] == 0 and queue["counts"]["5"] == 1


def test_the_dossier_page_says_how_the_applicant_receives_the_result(desk):
    backoffice, officer, code, _, _ = desk
    answers = {a["id"]: a for a in backoffice.dossier(officer, code)["answers"]}
    delivery = answers[forms.DELIVERY_FIELD]
    assert delivery["page"] == "Nhận kết quả"
    assert delivery["label"] == "Bạn muốn nhận kết quả bằng cách nào?"
    assert delivery["text"] == forms.DELIVERY["in_person"][1]  # the option's label, not its code
