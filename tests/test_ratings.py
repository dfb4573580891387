"""The applicant's rating (chalicelib/ratings.py): asked once the result was returned, authorised
by the lookup secret, one per dossier, with a Vietnamese message next to each field. Real SQLite
stores; the lifecycle is the real one (Service.transition over workflow.apply).

`Office` and its helpers are also what tests/test_stats.py runs its dossiers with."""

import contextlib
import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from buildlib.bundle import bundle_command
from chalicelib import workflow
from chalicelib.bundle import Bundle
from chalicelib.calendar import VIETNAM
from chalicelib.dossiers import Service
from chalicelib.errors import (
    ActionNotAllowedError,
    AlreadyRatedError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.ratings import LEVELS, QUESTIONS, RatingDesk
from chalicelib.sealing import Sealer
from chalicelib.storage.ports import Rating, StoredDossier
from chalicelib.storage.ratings_sqlite import SqliteRatings
from chalicelib.storage.sqlite import SqliteDossiers
from tests.api.filling import answers_for
from tests.factories import make_service

from .conftest import CATALOGUE

WITH_DEADLINE = "1.001612"  # đăng ký hộ kinh doanh: 3 working days online
SEALER = Sealer([(b"\x00\x00\x00\x03", b"ratings-and-stats-tests-key-32by")])
DESK = workflow.Actor("cb-1", frozenset({"mot_cua", "chuyen_vien"}), "Nguyễn Thị Một Cửa")
APPLICANT = workflow.Actor(workflow.APPLICANT, frozenset({workflow.APPLICANT}))
ALL_GOOD = dict.fromkeys(QUESTIONS, "hai_long")


def make_bundle(folder: Path) -> Path:
    """The API's bundle of the fixture catalogue, in `folder`."""
    path = folder / "bundle.json"
    with contextlib.redirect_stdout(io.StringIO()):
        assert bundle_command(CATALOGUE, path, out=io.StringIO()) == 0
    return path


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("bundle"))


@dataclass
class Office:
    """A Service and its rating desk on SQLite in one folder, with a clock the test moves."""

    service: Service
    desk: RatingDesk
    dossiers: SqliteDossiers
    ratings: SqliteRatings
    moments: list[dt.datetime] = field(default_factory=list)

    def at(self, when: dt.datetime) -> None:
        self.moments.append(when)

    def close(self) -> None:
        self.dossiers.close()
        self.ratings.close()

    def file(self, office: str | None = None) -> tuple[str, str]:
        """Files a dossier online now, as the application page does: (code, secret)."""
        bundle = self.service.bundle
        version = bundle.version(WITH_DEADLINE, self.moments[-1].date())
        offices = [o["id"] for o in bundle.offices_for(version)]
        body = {
            "procedure": WITH_DEADLINE,
            "answers": answers_for(bundle.form(version)),
            "office": office or offices[0],
        }
        filed = self.service.submit(body, uuid.uuid4().hex)
        return filed["code"], filed["secret"]

    def act(self, code: str, action: str, data: dict | None = None, actor=DESK) -> StoredDossier:
        """An action now through the service's one transition (the officers' and applicant's
        routes go through it too)."""
        stored = self.dossiers.get(code)
        assert stored is not None and stored.state is not None
        return self.service.transition(
            stored, action, stored.state.version, data or {}, actor, None, self.service.view
        )


def make_office(folder: Path, bundle_path: Path) -> Office:
    moments: list[dt.datetime] = [dt.datetime(2026, 11, 2, 9, 0, tzinfo=VIETNAM)]
    dossiers = SqliteDossiers(folder / "motcua.sqlite3", sealer=SEALER)
    service = make_service(
        folder, Bundle.load(bundle_path), dossiers=dossiers, clock=lambda: moments[-1]
    )
    ratings = SqliteRatings(folder / "ratings.sqlite3", sealer=SEALER)
    return Office(service, RatingDesk(service, ratings), dossiers, ratings, moments)


@pytest.fixture
def office(tmp_path, bundle_path):
    made = make_office(tmp_path, bundle_path)
    yield made
    made.close()


def returned(office: Office) -> tuple[str, str]:
    code, secret = office.file()
    office.act(code, "receive")
    office.act(code, "done")
    office.act(code, "return_result", {"method": "truc_tiep"})
    return code, secret


def test_the_status_view_asks_for_a_rating_only_once_the_result_was_returned(office):
    code, secret = office.file()
    assert office.desk.lookup(code, secret, "c")["rating"] is None
    office.act(code, "receive")
    office.act(code, "done")
    assert office.desk.lookup(code, secret, "c")["rating"] is None  # ready, not yet returned

    office.act(code, "return_result", {"method": "truc_tiep"})

    rating = office.desk.lookup(code, secret, "c")["rating"]
    assert rating["given"] is False
    assert [q["id"] for q in rating["questions"]] == list(QUESTIONS)
    assert [level["label"] for level in rating["questions"][0]["levels"]] == list(LEVELS.values())


def test_a_rating_is_stored_once_and_the_view_then_says_it_was_given(office):
    code, secret = returned(office)
    office.at(dt.datetime(2026, 11, 4, 15, 30, tzinfo=VIETNAM))

    answer = office.desk.rate(code, secret, "c", {"answers": ALL_GOOD, "comment": " Tốt. "})

    assert answer == {"rating": {"given": True}}
    assert office.desk.lookup(code, secret, "c")["rating"] == {"given": True}
    stored = office.ratings.get(code)
    assert (stored.answers, stored.comment, stored.at) == (
        ALL_GOOD,
        "Tốt.",
        "2026-11-04T15:30:00+07:00",
    )
    with pytest.raises(AlreadyRatedError):
        office.desk.rate(code, secret, "c", {"answers": ALL_GOOD})
    assert office.ratings.get(code).comment == "Tốt."


def test_a_rating_before_the_result_is_returned_is_refused(office):
    code, secret = office.file()
    office.act(code, "receive")
    with pytest.raises(ActionNotAllowedError, match="sau khi hồ sơ đã trả kết quả"):
        office.desk.rate(code, secret, "c", {"answers": ALL_GOOD})
    assert office.ratings.get(code) is None


def test_a_rating_needs_the_dossiers_lookup_secret(office):
    code, _secret = returned(office)
    _other, other_secret = office.file()
    with pytest.raises(NotFoundError):
        office.desk.rate(code, other_secret, "c", {"answers": ALL_GOOD})
    assert office.ratings.get(code) is None


def test_every_missing_or_unknown_answer_has_its_own_vietnamese_message(office):
    code, secret = returned(office)
    body = {
        "answers": {"tong_the": "tuyet_voi", "thoi_gian": "hai_long", "mau_sac": "hai_long"},
        "comment": "x" * 1001,
        "ten": "Nguyễn Văn An",
    }
    with pytest.raises(ValidationFailedError) as refused:
        office.desk.rate(code, secret, "c", body)
    assert refused.value.fields == {
        "/answers/tong_the": "Chọn một mức đánh giá.",
        "/answers/can_bo": "Chọn một mức đánh giá.",
        "/answers/truc_tuyen": "Chọn một mức đánh giá.",
        "/answers/mau_sac": "Không có câu hỏi này.",
        "/comment": "Ý kiến dài tối đa 1000 ký tự.",
        "/ten": "Trường này không được nhận.",
    }
    assert office.ratings.get(code) is None


def test_a_new_data_key_seals_the_comments_again(tmp_path):
    old_key = (b"\x00\x00\x00\x01", b"old-ratings-data-key-32-bytes-ok")
    old = Sealer([old_key])
    ratings = SqliteRatings(tmp_path / "ratings.sqlite3", sealer=old)
    rating = Rating("c-1", "o", "1.001612", "2026-11-04T15:30:00+07:00", ALL_GOOD, "Tốt.")
    ratings.add(rating)
    ratings.close()
    new_key = (b"\x00\x00\x00\x02", b"new-ratings-data-key-32-bytes-ok")

    ring = SqliteRatings(tmp_path / "ratings.sqlite3", sealer=Sealer([new_key, old_key]))
    assert ring.reseal() == 1
    ring.close()

    only_new = SqliteRatings(tmp_path / "ratings.sqlite3", sealer=Sealer([new_key]))
    assert only_new.get("c-1") == rating
    only_new.close()
