"""Hand-over to a province's system (chalicelib/handover.py, handover_events.py) on real SQLite
(sealed) and a real HTTP server standing for the province's system (the example client's
`Inbox`): the filing's webhook, its retries and crashes, and the statuses pushed back, with the
refusals (wrong key, forged signature, replay, out of scope, illegal or stale, bad body)."""

import dataclasses
import datetime as dt
import json
import threading
import wsgiref.simple_server
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from chalicelib import handover, outbox, workflow
from chalicelib.backoffice import Backoffice
from chalicelib.bundle import Bundle
from chalicelib.calendar import VIETNAM
from chalicelib.config import ConfigurationError
from chalicelib.dossiers import Service
from chalicelib.errors import (
    ActionNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationFailedError,
)
from chalicelib.handover_events import (
    ApiKeyInvalidError,
    HandoverEvents,
    OutOfScopeError,
    SignatureInvalidError,
    StaleEventError,
    TimestampRefusedError,
)
from chalicelib.local.upload import LocalUploadEndpoint
from chalicelib.officers import Officer, OfficerAuth
from chalicelib.outbox import Backoff, Worker
from chalicelib.sealing import Sealer
from chalicelib.storage.accounts_sqlite import SqliteAccounts
from chalicelib.storage.files import FilesystemUploads
from chalicelib.storage.outbox_sqlite import SqliteOutbox
from chalicelib.storage.sqlite import SqliteDossiers
from examples import handover_client
from tests.factories import make_service

from .client import WITH_DEADLINE
from .filling import answers_for

WEDNESDAY = dt.datetime(2026, 12, 9, 9, 0, tzinfo=VIETNAM)
SEALER = Sealer([(b"\x00\x00\x00\x03", b"handover-tests-data-key-32-bytes")])
SECRET = "whsec_" + "aGFuZG92ZXItdGVzdHMtc2lnbmluZy1zZWNyZXQ="  # base64 of 29 bytes
API_KEY = "khoa-api-he-thong-tinh-0001"
OTHER_KEY = "khoa-api-he-thong-khac-0002"


class Crash(BaseException):
    """The process dying at this point: nothing in the code under test catches it."""


@dataclass
class Province:
    service: Service
    events: HandoverEvents
    outbox: SqliteOutbox
    client: handover.Client
    body: dict  # a submission to an office handed over to `client`
    other: dict  # a submission to an office processed in our back office
    moments: list
    path: Path  # the SQLite file

    def sender(self) -> handover.WebhookSender:
        """Signs at the real time, as the receiving side checks it against its own clock."""
        return handover.WebhookSender(
            self.service.registrations, self.service.dossiers, self.service.uploads
        )

    def now(self) -> float:
        return self.moments[-1].timestamp()

    def push(self, event: dict, *, key: str = API_KEY, secret: str = SECRET, at=None) -> dict:
        raw = json.dumps(event).encode()
        sent = handover_client.event_headers(key, secret, raw, now=at or self.now())
        return self.events.receive({k.lower(): v for k, v in sent.items()}, raw)

    def view(self, code: str) -> dict:
        stored = self.service.dossiers.get(code)
        assert stored is not None
        return self.service.view(stored)


def make_province(
    tmp_path, bundle_path, url: str = "http://127.0.0.1:9/", files_url: str = "http://127.0.0.1"
) -> Province:
    moments = [WEDNESDAY]
    bundle = Bundle.load(bundle_path)
    version = bundle.version(WITH_DEADLINE, WEDNESDAY.date())
    offices = bundle.offices_for(version)
    ours, theirs = offices[0]["id"], offices[1]["id"]
    client = handover.Client(
        id="he-thong-tinh",
        name="Hệ thống thông tin giải quyết TTHC thành phố",
        url=url,
        offices=frozenset({ours}),
        procedures=frozenset({WITH_DEADLINE}),
        secret=handover.signing_key(SECRET),
        api_key=API_KEY,
    )
    other = handover.Client(
        id="he-thong-khac",
        name="Một hệ thống khác",
        url=url,
        offices=frozenset({"khong-co-ho-so"}),
        procedures=frozenset(),
        secret=b"another secret",
        api_key=OTHER_KEY,
    )
    registrations = handover.Registrations([client, other])
    path = tmp_path / "motcua.sqlite3"
    service = make_service(
        tmp_path,
        bundle,
        dossiers=SqliteDossiers(path, sealer=SEALER),
        uploads=FilesystemUploads(tmp_path / "uploads", secret=b"s" * 32, base_url=files_url),
        clock=lambda: moments[-1],
        registrations=registrations,
    )
    body = {
        "procedure": WITH_DEADLINE,
        "answers": answers_for(bundle.form(version)),
        "office": ours,
    }
    events = HandoverEvents(service, registrations, clock=lambda: moments[-1].timestamp())
    outbox_ = SqliteOutbox(path, sealer=SEALER)
    other_body = {**body, "office": theirs}
    return Province(service, events, outbox_, client, body, other_body, moments, path)


@pytest.fixture
def province(tmp_path, bundle_path) -> Province:
    return make_province(tmp_path, bundle_path)


@pytest.fixture
def inbox():
    """The province's system: the example client's receiving side on a loopback port."""
    with handover_client.receiving(SECRET) as box:
        yield box


def event(code: str, status: int, n: int, at: str = "2026-12-09T09:30:00+07:00", **more) -> dict:
    return {"id": f"su-kien-{n:04d}", "code": code, "status": status, "at": at, **more}


# --- the filing's webhook -------------------------------------------------------------------


def test_a_dossier_of_a_handed_over_office_and_procedure_gets_one_webhook_delivery(province):
    code = province.service.submit(province.body, "ma-ban-giao-0001")["code"]
    kept = province.service.submit(province.other, "ma-ban-giao-0002")["code"]

    delivery = province.outbox.get(f"{code}:0:webhook")
    assert delivery is not None
    assert (delivery.kind, delivery.channel, delivery.to) == (
        "handover",
        "webhook",
        "he-thong-tinh",
    )
    assert delivery.data["office"]["id"] == province.body["office"]
    assert province.outbox.get(f"{kept}:0:webhook") is None  # processed in our back office
    again = province.service.submit(province.body, "ma-ban-giao-0001")  # a retried submission
    assert again["code"] == code
    assert (
        len(province.outbox.of_offices([province.body["office"]], states=["pending"], limit=9)) == 1
    )


def test_the_webhook_is_signed_and_carries_the_dossier(tmp_path, bundle_path, inbox):
    province = make_province(tmp_path, bundle_path, inbox.url)
    code = province.service.submit(province.body, "ma-ban-giao-0003")["code"]

    report = Worker(province.outbox, [province.sender()], clock=province.now).run_once()

    assert (report.sent, inbox.calls) == (1, 1)
    (dossier,) = inbox.dossiers.values()
    assert list(inbox.dossiers) == [f"{code}:0:webhook"]
    assert dossier["code"] == code
    assert dossier["procedure"]["code"] == WITH_DEADLINE
    assert dossier["procedure"]["version"] == province.service.dossiers.get(code).dossier.version
    assert dossier["office"]["id"] == province.body["office"]
    assert dossier["answers"] == province.body["answers"]
    assert province.outbox.get(f"{code}:0:webhook").state == "sent"


def test_an_endpoint_that_fails_five_times_then_succeeds_gets_the_dossier_once(
    tmp_path, bundle_path, inbox
):
    province = make_province(tmp_path, bundle_path, inbox.url)
    code = province.service.submit(province.body, "ma-ban-giao-0004")["code"]
    inbox.fail_next = 5
    worker = Worker(
        province.outbox, [province.sender()], backoff=Backoff(base=60), clock=province.now
    )
    for _ in range(10):
        worker.run_once()
        province.moments.append(province.moments[-1] + dt.timedelta(hours=1))

    delivery = province.outbox.get(f"{code}:0:webhook")
    assert (delivery.state, delivery.attempts, inbox.calls) == ("sent", 6, 6)
    assert list(inbox.dossiers) == [f"{code}:0:webhook"]


def test_failures_keep_their_last_error_for_officers(province):
    code = province.service.submit(province.body, "ma-ban-giao-0005")["code"]
    Worker(province.outbox, [province.sender()], clock=province.now).run_once()  # nobody on :9

    delivery = province.outbox.get(f"{code}:0:webhook")
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.last_error.startswith("he-thong-tinh: ")


class DiesAfterSending:
    """A webhook sender whose process dies right after the send, before it is marked `sent`."""

    channel = "webhook"

    def __init__(self, sender):
        self.sender = sender

    def send(self, delivery, message):
        self.sender.send(delivery, message)
        raise Crash


def test_a_crash_before_or_after_the_send_still_delivers_the_dossier_once(
    tmp_path, bundle_path, inbox
):
    province = make_province(tmp_path, bundle_path, inbox.url)
    code = province.service.submit(province.body, "ma-ban-giao-0006")["code"]
    # The filing committed; the process dies before any worker runs: nothing was sent.
    assert inbox.calls == 0

    with pytest.raises(Crash):
        Worker(
            province.outbox, [DiesAfterSending(province.sender())], clock=province.now
        ).run_once()
    assert inbox.calls == 1
    # Restarted: the lease ends, the same webhook-id is sent again and recognised.
    province.moments.append(province.moments[-1] + dt.timedelta(minutes=6))
    Worker(province.outbox, [province.sender()], clock=province.now).run_once()

    assert inbox.calls == 2
    assert list(inbox.dossiers) == [f"{code}:0:webhook"]
    assert province.outbox.get(f"{code}:0:webhook").state == "sent"


# --- statuses pushed back ---------------------------------------------------------------------


def test_the_status_page_follows_the_statuses_pushed_back(province):
    code = province.service.submit(province.body, "ma-ban-giao-0010")["code"]
    pushed = [
        event(code, 2, 1, "2026-12-09T09:10:00+07:00"),
        event(code, 4, 2, "2026-12-09T10:00:00+07:00", note="Chuyển phòng chuyên môn"),
        event(code, 5, 3, "2026-12-09T11:00:00+07:00", items=["Bản sao giấy tờ nhà"]),
    ]
    for sent in pushed:
        answer = province.push(sent)
        assert (answer["status"], answer["duplicate"]) == (sent["status"], False)

    view = province.view(code)
    assert (view["status"], view["status_label"]) == (5, workflow.STATUSES[5])
    assert view["todo"] == {"kind": "supplement", "items": ["Bản sao giấy tờ nhà"], "reason": None}
    assert [entry["status"] for entry in view["timeline"]] == [1, 2, 4, 5]
    assert view["timeline"][2]["label"] == workflow.ACTIONS["mirror"].label
    assert view["timeline"][2]["data"]["note"] == "Chuyển phòng chuyên môn"
    assert view["accepted_at"] and view["due_at"]  # reception started the clock here too

    for n, status in ((4, 4), (5, 9), (6, 10)):
        province.push(event(code, status, n, f"2026-12-10T0{n}:00:00+07:00"))
    view = province.view(code)
    assert view["status"] == 10 and view["outcome"] in workflow.OUTCOMES


def test_the_same_event_twice_is_one_transition_and_the_second_answer_says_so(province):
    code = province.service.submit(province.body, "ma-ban-giao-0011")["code"]

    first = province.push(event(code, 2, 1))
    second = province.push(event(code, 2, 1))

    assert (first["duplicate"], second["duplicate"]) == (False, True)
    assert first["seq"] == second["seq"] == 1
    assert len(province.service.dossiers.get(code).events) == 1


def test_a_wrong_key_a_forged_signature_and_a_replay_are_refused(province):
    code = province.service.submit(province.body, "ma-ban-giao-0012")["code"]
    with pytest.raises(ApiKeyInvalidError):
        province.push(event(code, 2, 1), key="khoa-sai-0000000000")
    with pytest.raises(SignatureInvalidError):
        province.push(event(code, 2, 1), secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQQ==")
    old = province.now() - handover.TOLERANCE - 1
    with pytest.raises(TimestampRefusedError):
        province.push(event(code, 2, 1), at=old)
    raw = json.dumps(event(code, 2, 1)).encode()
    sent = handover_client.event_headers(API_KEY, SECRET, raw, now=province.now())
    tampered = raw.replace(b'"status": 2', b'"status": 3')
    with pytest.raises(SignatureInvalidError):
        province.events.receive({k.lower(): v for k, v in sent.items()}, tampered)
    assert province.service.dossiers.get(code).events == ()


def test_a_client_reports_only_on_dossiers_handed_to_it(province):
    theirs = province.service.submit(province.body, "ma-ban-giao-0013")["code"]
    ours = province.service.submit(province.other, "ma-ban-giao-0014")["code"]

    with pytest.raises(OutOfScopeError):
        province.push(event(ours, 2, 1))  # our back office processes it
    with pytest.raises(OutOfScopeError):
        province.push(event(theirs, 2, 2), key=OTHER_KEY, secret="another secret")
    with pytest.raises(NotFoundError):
        province.push(event(theirs.replace("-0001", "-0999"), 2, 3))


def test_an_illegal_or_stale_status_is_409_and_a_bad_body_422(province):
    code = province.service.submit(province.body, "ma-ban-giao-0015")["code"]
    with pytest.raises(ActionNotAllowedError):
        province.push(event(code, 10, 1))  # not from 1
    with pytest.raises(ActionNotAllowedError):
        province.push(event(code, 1, 2))  # the filing is ours
    province.push(event(code, 2, 3, "2026-12-09T10:00:00+07:00"))
    with pytest.raises(StaleEventError):
        province.push(event(code, 4, 4, "2026-12-09T09:59:00+07:00"))
    with pytest.raises(ValidationFailedError) as refused:
        province.push({"id": "x", "code": code, "status": 11, "at": "hôm nay", "more": 1})
    assert set(refused.value.fields) == {"/id", "/status", "/at", "/more"}
    with pytest.raises(ValidationFailedError):
        province.push(event(code, 5, 5, "2026-12-09T11:00:00+07:00", items="không là danh sách"))
    raw = b"[" * 100_000
    sent = handover_client.event_headers(API_KEY, SECRET, raw, now=province.now())
    with pytest.raises(ValidationFailedError):
        province.events.receive({k.lower(): v for k, v in sent.items()}, raw)
    with pytest.raises(PayloadTooLargeError):
        province.events.receive({}, b" " * (300 * 1024))
    assert [e["status"] for e in province.service.dossiers.get(code).events] == [2]


def test_clients_come_from_a_file_whose_secrets_are_named_not_written(tmp_path):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "tinh-ky").write_text(SECRET + "\n")
    path = tmp_path / "handover.json"
    path.write_text(
        json.dumps(
            {
                "clients": [
                    {
                        "id": "he-thong-tinh",
                        "name": "Hệ thống của tỉnh",
                        "url": "https://igate.tinh.gov.vn/motcua/webhook",
                        "offices": ["11383.HCC"],
                        "procedures": ["1.001612"],
                        "secret": "tinh-ky",
                        "api_key": "tinh-khoa",
                    }
                ]
            }
        )
    )
    env = {"MOTCUA_SECRET_TINH_KHOA": API_KEY}
    registrations = handover.load_registrations(path, tmp_path / "secrets", env)

    client = registrations.target("11383.HCC", "1.001612")
    assert client is not None and client.api_key == API_KEY
    assert client.secret == handover.signing_key(SECRET)
    assert registrations.target("11383.HCC", "1.000894") is None  # another procedure: ours
    assert registrations.target("11384.HCC", "1.001612") is None
    with pytest.raises(ConfigurationError, match="tinh-khoa"):
        handover.load_registrations(path, tmp_path / "secrets", {})
    assert handover.load_registrations(None, None).clients == {}


def test_the_applicant_is_told_what_a_reported_status_asks_as_if_our_office_asked(province):
    body = {**province.body, "notify": {"email": "an.nguyen@vidu.vn"}}
    code = province.service.submit(body, "ma-ban-giao-0016")["code"]
    province.push(event(code, 2, 1, "2026-12-09T09:10:00+07:00"))
    province.push(event(code, 5, 2, "2026-12-09T09:20:00+07:00", items=["Bản sao sổ đỏ"]))
    province.push(event(code, 4, 3, "2026-12-09T09:30:00+07:00"))
    province.push(event(code, 6, 4, "2026-12-09T09:40:00+07:00"))  # no amount: nothing to say
    province.push(event(code, 4, 5, "2026-12-09T09:50:00+07:00"))
    province.push(event(code, 9, 6, "2026-12-09T10:00:00+07:00"))

    told = {
        d.id: d.kind
        for d in province.outbox.of_offices([body["office"]], states=["pending"], limit=20)
        if d.channel == "email"
    }
    assert told == {
        f"{code}:0:email": "receipt",
        f"{code}:2:email": "supplement",
        f"{code}:6:email": "result",
    }
    supplement = province.outbox.get(f"{code}:2:email")
    assert "Bản sao sổ đỏ" in outbox.render(supplement).text
    assert code in outbox.render(province.outbox.get(f"{code}:6:email")).text


# --- a handed-over dossier is processed there, not here ------------------------------------------

ALL_ROLES = frozenset({"mot_cua", "chuyen_vien", "lanh_dao"})
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def office_of(province: Province, office: str) -> tuple[Backoffice, Officer]:
    auth = OfficerAuth(
        SqliteAccounts(province.path.parent / "officers.sqlite3"), secret_key=b"k" * 32
    )
    officer = Officer("cb1", "cb1", "Cán bộ", ALL_ROLES, frozenset({office}))
    return Backoffice(province.service, auth, province.outbox), officer


def reconfigured(province: Province, clients: list[handover.Client]) -> Province:
    """The same stores after MOTCUA_HANDOVER_FILE changed (a restart with another file)."""
    registrations = handover.Registrations(clients)
    old = province.service
    service = Service(
        old.bundle,
        old.dossiers,
        old.uploads,
        secret_key=old.secret_key,
        public_url=old.public_url,
        limiter=old.limiter,
        clock=old.now,
        registrations=registrations,
    )
    events = HandoverEvents(service, registrations, clock=province.now)
    return replace(province, service=service, events=events)


def test_an_officers_action_on_a_handed_over_dossier_is_refused_409_handed_over(province):
    code = province.service.submit(province.body, "ma-ban-giao-0020")["code"]
    backoffice, officer = office_of(province, province.body["office"])

    view = backoffice.dossier(officer, code)
    assert view["actions"] == []  # read-only: nothing is offered
    assert view["handed_over"]["name"] == province.client.name
    assert view["handed_over"]["message"].startswith(
        f"Hồ sơ được chuyển sang {province.client.name}"
    )
    for action, data in (
        ("receive", {}),
        ("refuse", {"reason": "Thiếu"}),
        ("stop", {"reason": "x"}),
    ):
        with pytest.raises(handover.HandedOverError) as refused:
            backoffice.act(officer, code, action, {"version": 0, "data": data})
        assert (refused.value.status, refused.value.code) == (409, "handed_over")
        assert refused.value.body()["message"].startswith("Hồ sơ này đã được chuyển sang")
    with pytest.raises(handover.HandedOverError):
        backoffice.result_target(officer, code, {"content_type": "application/pdf", "size": 9})
    assert province.service.dossiers.get(code).events == ()

    province.push(event(code, 2, 1))  # only the province's system moves it
    view = backoffice.dossier(officer, code)
    assert (view["status"], view["actions"]) == (2, [])


def test_a_handed_over_dossier_is_not_in_its_offices_queue(province):
    office = province.body["office"]
    handed, secret = secret_of(province, province.body, "ma-ban-giao-0021")
    here = reconfigured(province, [])  # hand-over switched off: the next one stays here
    local = here.service.submit(province.body, "ma-ban-giao-0022")["code"]
    backoffice, officer = office_of(here, office)

    queue = backoffice.queue(officer, {"office": office})
    assert [item["code"] for item in queue["items"]] == [local]
    assert queue["counts"]["1"] == 1
    assert (
        backoffice.queue(officer, {"office": office, "status": "1,2"})["items"][0]["code"] == local
    )
    assert handed != local
    with pytest.raises(ActionNotAllowedError, match="hiện không nhận được yêu cầu"):
        # its system is gone from the configuration: nobody would hear the request
        here.service.applicant_act(handed, secret, "c", "withdraw", {"version": 0}, None)
    assert here.view(handed)["version"] == 0
    view = backoffice.act(officer, local, "receive", {"version": 0, "data": {}})
    assert view["status"] == 2 and "handed_over" in view and view["handed_over"] is None


def test_a_configuration_changed_after_filing_moves_no_dossier(province):
    handed, secret = secret_of(province, province.body, "ma-ban-giao-0023")
    kept = province.service.submit(province.other, "ma-ban-giao-0024")["code"]
    # Restarted with the client taking the other office instead of this one.
    moved = dataclasses.replace(province.client, offices=frozenset({province.other["office"]}))
    later = reconfigured(province, [moved])

    assert later.push(event(handed, 2, 1))["status"] == 2  # still that system's dossier
    with pytest.raises(OutOfScopeError):
        later.push(event(kept, 2, 2))  # filed for our back office: stays ours
    assert later.view(handed)["handed_over"]["id"] == province.client.id
    assert later.view(kept)["handed_over"] is None
    backoffice, officer = office_of(later, province.other["office"])
    assert backoffice.act(officer, kept, "receive", {"version": 0, "data": {}})["status"] == 2
    # The applicant's request goes to the system the dossier was handed to, as recorded.
    later.service.applicant_act(handed, secret, "c", "withdraw", {"version": 1}, "rut-0009-abc")
    assert later.outbox.get(f"{handed}:2:webhook").to == province.client.id
    assert later.view(handed)["status"] == 2


def secret_of(province: Province, body: dict, key: str) -> tuple[str, str]:
    filed = province.service.submit(body, key)
    return filed["code"], filed["secret"]


def supplement_file(province: Province, code: str) -> str:
    """A verified supplement file uploaded for this dossier (its owned key)."""
    stored = province.service.dossiers.get(code)
    key = province.service.owned_key(stored, "bo-sung") + "AbCdEfGhIjKlMnOp.pdf"
    with province.service.uploads.incoming(key) as out:
        out.write(PDF)
    province.service.uploads.accept(key)
    return key


def webhooks(province: Province, code: str) -> list[str]:
    found = province.outbox.of_offices([province.body["office"]], states=["pending"], limit=50)
    return sorted(d.id for d in found if d.code == code and d.channel == "webhook")


def test_the_applicants_withdraw_is_sent_to_the_province_not_applied(tmp_path, bundle_path, inbox):
    province = make_province(tmp_path, bundle_path, inbox.url)
    code, secret = secret_of(province, province.body, "ma-ban-giao-0025")
    Worker(province.outbox, [province.sender()], clock=province.now).run_once()  # the filing

    answer = province.service.applicant_act(
        code,
        secret,
        "c",
        "withdraw",
        {"version": 0, "data": {"reason": "Nộp nhầm"}},
        "rut-0001-abc",
    )
    assert answer["status"] == 1 and answer["actions"] == []  # nothing changed here yet
    assert answer["message"].startswith("Yêu cầu “Rút hồ sơ” đã được gửi tới")
    assert answer["timeline"][-1]["label"] == "Đã gửi tới hệ thống giải quyết TTHC của tỉnh"
    assert webhooks(province, code) == [f"{code}:1:webhook"]
    again = province.service.applicant_act(  # the same request again (a lost answer)
        code,
        secret,
        "c",
        "withdraw",
        {"version": 0, "data": {"reason": "Nộp nhầm"}},
        "rut-0001-abc",
    )
    assert again["version"] == 1
    with pytest.raises(ActionNotAllowedError, match="đã được gửi tới hệ thống"):
        province.service.applicant_act(
            code, secret, "c", "withdraw", {"version": 1, "data": {}}, "rut-0002-abc"
        )
    assert webhooks(province, code) == [f"{code}:1:webhook"]

    Worker(province.outbox, [province.sender()], clock=province.now).run_once()
    (request,) = inbox.requests.values()
    assert request == {
        "type": "dossier.withdrawal_requested",
        "id": f"{code}:1:webhook",
        "code": code,
        "at": answer["timeline"][-1]["at"],
        "reason": "Nộp nhầm",
    }
    assert province.view(code)["status"] == 1
    province.push(event(code, 7, 1))  # the province's system decides
    assert province.view(code)["status"] == 7


@pytest.fixture
def files_url(tmp_path):
    """The local download endpoint (serve.py's) of the uploads folder make_province uses, so
    the province's system fetches a webhook's file links for real."""
    server = wsgiref.simple_server.make_server(
        "127.0.0.1",
        0,
        LocalUploadEndpoint(
            FilesystemUploads(tmp_path / "uploads", secret=b"s" * 32, base_url="http://x")
        ),
        handler_class=Quiet,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_the_applicants_supplement_is_sent_with_its_files_once_even_after_a_crash(
    tmp_path, bundle_path, inbox, files_url
):
    province = make_province(tmp_path, bundle_path, inbox.url, files_url)
    code, secret = secret_of(province, province.body, "ma-ban-giao-0026")
    province.push(event(code, 2, 1, "2026-12-09T09:10:00+07:00"))
    province.push(event(code, 5, 2, "2026-12-09T09:20:00+07:00", items=["Bản sao sổ đỏ"]))
    key = supplement_file(province, code)

    data = {"uploads": [key], "note": "Bản sao có chứng thực"}
    answer = province.service.applicant_act(
        code, secret, "c", "supplement", {"version": 2, "data": data}, "bo-sung-0001"
    )
    assert (
        answer["status"] == 5 and answer["todo"] is None and "supplement" not in answer["actions"]
    )
    assert webhooks(province, code) == [f"{code}:0:webhook", f"{code}:3:webhook"]

    with pytest.raises(Crash):
        Worker(
            province.outbox, [DiesAfterSending(province.sender())], clock=province.now
        ).run_once()
    province.moments.append(province.moments[-1] + dt.timedelta(minutes=6))
    Worker(province.outbox, [province.sender()], clock=province.now).run_once()

    assert sorted(inbox.dossiers) == [f"{code}:0:webhook"]
    (request,) = inbox.requests.values()
    assert (request["type"], request["id"], request["note"]) == (
        "dossier.supplemented",
        f"{code}:3:webhook",
        "Bản sao có chứng thực",
    )
    (sent,) = request["files"]
    assert inbox.files[sent["name"]] == PDF and sent["expires_at"] <= province.now() + 300
    assert province.outbox.get(f"{code}:3:webhook").state == "sent"
    assert province.view(code)["status"] == 5  # until the province's system says
    province.push(event(code, 4, 3, "2026-12-09T09:40:00+07:00"))
    assert province.view(code)["status"] == 4


def test_a_crash_after_the_withdraws_commit_still_sends_one_webhook(tmp_path, bundle_path, inbox):
    province = make_province(tmp_path, bundle_path, inbox.url)
    code, secret = secret_of(province, province.body, "ma-ban-giao-0027")

    def dies_after_commit(label: str) -> None:
        if label == "commit":
            raise Crash  # the event and its delivery are committed; no answer, nothing sent

    dying = reconfigured(province, list(province.service.registrations.clients.values()))
    dying.service.dossiers = SqliteDossiers(
        province.path, sealer=SEALER, after_write=dies_after_commit
    )
    body = {"version": 0, "data": {"reason": "Nộp nhầm"}}
    with pytest.raises(Crash):
        dying.service.applicant_act(code, secret, "c", "withdraw", body, "rut-0003-abc")
    assert inbox.calls == 0 and webhooks(province, code) == [
        f"{code}:0:webhook",
        f"{code}:1:webhook",
    ]

    # Restarted: the applicant sends the same request again, the worker sends what is due.
    again = province.service.applicant_act(code, secret, "c", "withdraw", body, "rut-0003-abc")
    assert again["version"] == 1 and [e["action"] for e in again["timeline"]] == ["file", "forward"]
    Worker(province.outbox, [province.sender()], clock=province.now).run_once()
    Worker(province.outbox, [province.sender()], clock=province.now).run_once()

    assert inbox.calls == 2  # the filing and the withdrawal, once each
    assert list(inbox.requests) == [f"{code}:1:webhook"]
    assert province.view(code)["status"] == 1
