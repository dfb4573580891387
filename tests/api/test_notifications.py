"""Notifications to the applicant through the transactional outbox (chalicelib/outbox.py), on
real SQLite (sealed), a real SMTP server (aiosmtpd) and a local HTTP server standing for the SMS
gateway: what each change queues, and that a crash anywhere between the change's commit and the
worker's `sent` still ends in one message, under one id."""

import datetime as dt
from dataclasses import dataclass

import pytest

from chalicelib import outbox
from chalicelib.backoffice import Backoffice
from chalicelib.bundle import Bundle
from chalicelib.calendar import VIETNAM
from chalicelib.dossiers import RESENT, Service
from chalicelib.errors import (
    ActionNotAllowedError,
    NotFoundError,
    RateLimitedError,
    ValidationFailedError,
)
from chalicelib.notify.sms import HttpSmsSender
from chalicelib.notify.smtp import SmtpSender
from chalicelib.officers import Officer, OfficerAuth
from chalicelib.outbox import Backoff, Worker
from chalicelib.ratelimit import RESEND, RESEND_CODE, Limit, RateLimiter
from chalicelib.sealing import Sealer
from chalicelib.storage.accounts_sqlite import SqliteAccounts
from chalicelib.storage.outbox_sqlite import SqliteOutbox
from chalicelib.storage.rates_mapped import MappedRateCounts
from chalicelib.storage.sqlite import SqliteDossiers
from tests.factories import make_service
from tests.notify_servers import sms_gateway, smtp_server

from .client import WITH_DEADLINE
from .filling import answers_for

WEDNESDAY = dt.datetime(2026, 12, 9, 9, 0, tzinfo=VIETNAM)
SEALER_KEYS = [(b"\x00\x00\x00\x02", b"notification-tests-data-key-32by")]
SEALER = Sealer(SEALER_KEYS)
CONTACT = {"email": "an.nguyen@vidu.vn", "phone": "0912 345 678"}


class Crash(BaseException):
    """The process dying at this point: nothing in the code under test catches it."""


@dataclass
class Office:
    service: Service
    backoffice: Backoffice
    officer: Officer
    outbox: SqliteOutbox
    body: dict
    moments: list


def make_office(tmp_path, bundle_path, *, after_write=None) -> Office:
    moments = [WEDNESDAY]
    bundle = Bundle.load(bundle_path)
    path = tmp_path / "motcua.sqlite3"
    service = make_service(
        tmp_path,
        bundle,
        dossiers=SqliteDossiers(path, sealer=SEALER, after_write=after_write),
        clock=lambda: moments[-1],
    )
    version = bundle.version(WITH_DEADLINE, WEDNESDAY.date())
    office = bundle.offices_for(version)[0]["id"]
    body = {
        "procedure": WITH_DEADLINE,
        "answers": answers_for(bundle.form(version)),
        "office": office,
        "notify": CONTACT,
    }
    officer = Officer(
        "cb1", "cb1", "Cán bộ", frozenset({"mot_cua", "chuyen_vien"}), frozenset({office})
    )
    auth = OfficerAuth(SqliteAccounts(tmp_path / "officers.sqlite3"), secret_key=b"k" * 32)
    outbox_ = SqliteOutbox(path, sealer=SEALER)
    return Office(service, Backoffice(service, auth, outbox_), officer, outbox_, body, moments)


@pytest.fixture
def office(tmp_path, bundle_path) -> Office:
    return make_office(tmp_path, bundle_path)


def pending(office: Office) -> list:
    return office.outbox.of_offices([office.body["office"]], states=["pending"], limit=100)


def smtp(port: int) -> SmtpSender:
    return SmtpSender("127.0.0.1", port, sender="Một cửa Hải Phòng <motcua@haiphong.gov.vn>")


class Clock:
    def __init__(self) -> None:
        self.now = WEDNESDAY.timestamp()

    def __call__(self) -> float:
        return self.now


def test_a_submission_with_a_contact_queues_its_receipt_without_the_secret(office):
    filed = office.service.submit(office.body, "ma-thu-nghiem-0001")

    queued = pending(office)
    assert sorted((d.id, d.kind, d.to) for d in queued) == [
        (f"{filed['code']}:0:email", "receipt", "an.nguyen@vidu.vn"),
        (f"{filed['code']}:0:sms", "receipt", "0912345678"),
    ]
    for delivery in queued:
        text = outbox.render(delivery).text
        assert filed["code"] in text
        assert filed["secret"] not in text and filed["secret"].replace("-", "") not in text
    email = outbox.render(queued[0])
    assert email.subject == f"Đã nhận hồ sơ {filed['code']}"

    without = {key: value for key, value in office.body.items() if key != "notify"}
    office.service.submit(without, "ma-thu-nghiem-0002")
    assert len(pending(office)) == 2  # no contact, no delivery


def test_a_contact_that_is_no_address_or_phone_number_is_refused_by_field(office):
    body = {**office.body, "notify": {"email": "khong-phai-email", "phone": "12345", "fax": "1"}}
    with pytest.raises(ValidationFailedError) as refused:
        office.service.submit(body, "ma-thu-nghiem-0003")
    assert set(refused.value.fields) >= {"/notify/email", "/notify/phone", "/notify/fax"}


def test_each_event_the_applicant_must_know_queues_its_notice_with_its_data(office):
    code = office.service.submit(office.body, "ma-thu-nghiem-0004")["code"]
    act = office.backoffice.act
    act(office.officer, code, "receive", {"version": 0})
    items = ["Bản sao giấy khai sinh", "Ảnh 4x6"]
    act(office.officer, code, "request_supplement", {"version": 1, "data": {"items": items}})
    asked = [d for d in pending(office) if d.kind == "supplement"]
    assert [d.id for d in asked] == [f"{code}:2:email", f"{code}:2:sms"]
    text = outbox.render(asked[0]).text
    assert "1. Bản sao giấy khai sinh" in text and "2. Ảnh 4x6" in text
    assert "2 giay to" in outbox.render(asked[1]).text

    code = office.service.submit(office.body, "ma-thu-nghiem-0011")["code"]
    act(office.officer, code, "receive", {"version": 0})
    due = office.service.dossiers.get(code).state.due_at
    new_due = (dt.datetime.fromisoformat(due) + dt.timedelta(days=7)).isoformat()
    extension = {"reason": "Cần xác minh thêm", "new_due_at": new_due}
    act(office.officer, code, "extend", {"version": 1, "data": extension})
    stored = office.service.dossiers.get(code)
    fee = office.service.bundle.rules(office.service.procedure_version(stored.dossier)).fee
    act(office.officer, code, "request_payment", {"version": 2, "data": {"amount": fee or 150000}})
    act(office.officer, code, "confirm_payment", {"version": 3})
    act(office.officer, code, "done", {"version": 4})

    mine = {(d.kind, d.channel): d for d in pending(office) if d.code == code}
    assert sorted(mine) == sorted(
        (kind, channel)
        for kind in ("receipt", "extension", "payment", "result")
        for channel in ("email", "sms")
    )
    text = outbox.render(mine["extension", "email"]).text
    assert "Cần xác minh thêm" in text and "xin lỗi" in text
    assert dt.datetime.fromisoformat(new_due).strftime("%d/%m/%Y") in text
    amount = f"{fee or 150000:,}".replace(",", ".")
    assert f"{amount} đồng" in outbox.render(mine["payment", "email"]).text
    assert "đã có kết quả" in outbox.render(mine["result", "email"]).text


def test_a_crash_after_the_commit_still_ends_in_exactly_one_email(tmp_path, bundle_path):
    """The process dies right after the submission's COMMIT, before anything is sent: after the
    restart the worker sends the receipt once; running it again sends nothing more."""

    def die_after_commit(label: str) -> None:
        if label == "commit":
            raise Crash(label)

    crashing = make_office(tmp_path, bundle_path, after_write=die_after_commit)
    with pytest.raises(Crash):
        crashing.service.submit(crashing.body, "ma-thu-nghiem-0005")

    restarted = make_office(tmp_path, bundle_path)
    with smtp_server() as (inbox, port):
        worker = Worker(restarted.outbox, [smtp(port)], clock=Clock())
        assert worker.run_once().sent == 1
        assert worker.run_once().sent == 0

    assert len(inbox.messages) == 1
    (delivery,) = restarted.outbox.of_offices([restarted.body["office"]], states=["sent"], limit=9)
    assert delivery.channel == "email" and delivery.attempts == 1
    assert inbox.message_ids() == [f"<{delivery.id.replace(':', '.')}@haiphong.gov.vn>"]
    assert inbox.messages[0]["X-MotCua-Delivery"] == delivery.id
    assert [d.channel for d in pending(restarted)] == ["sms"]  # no SMS channel: it waits


def test_a_crash_between_the_send_and_sent_sends_again_under_the_same_message_id(office):
    code = office.service.submit(office.body, "ma-thu-nghiem-0006")["code"]
    clock = Clock()
    with smtp_server() as (inbox, port):
        sender = smtp(port)

        class DiesAfterSending:
            channel = "email"

            def send(self, delivery, message) -> None:
                sender.send(delivery, message)
                raise Crash("after the send, before sent")

        with pytest.raises(Crash):
            Worker(office.outbox, [DiesAfterSending()], clock=clock, lease=300).run_once()
        restarted = Worker(office.outbox, [sender], clock=clock, lease=300)
        assert restarted.run_once().sent == 0  # still leased to the worker that died
        clock.now += 300
        assert restarted.run_once().sent == 1

    assert len(inbox.messages) == 2
    assert set(inbox.message_ids()) == {f"<{code}.0.email@haiphong.gov.vn>"}  # one in effect
    sent = office.outbox.get(f"{code}:0:email")
    assert (sent.state, sent.attempts) == ("sent", 2)


def test_a_gateway_failing_five_times_then_answering_gets_the_sms_once(office):
    code = office.service.submit(office.body, "ma-thu-nghiem-0007")["code"]
    clock = Clock()
    with sms_gateway() as gateway:
        gateway.statuses = [503] * 5
        worker = Worker(
            office.outbox,
            [HttpSmsSender(gateway.url, api_key="khoa-thu-nghiem")],
            clock=clock,
            backoff=Backoff(base=30, cap=600, attempts=8),
        )
        waits = []
        for _ in range(6):
            before = clock.now
            worker.run_once()
            delivery = office.outbox.get(f"{code}:0:sms")
            if delivery.state == "sent":
                break
            waits.append(delivery.next_at - before)
            assert worker.run_once().sent == 0  # not due yet
            clock.now = delivery.next_at

    assert len(gateway.requests) == 6
    assert {headers["Idempotency-Key"] for headers, _ in gateway.requests} == {f"{code}:0:sms"}
    assert {headers["X-Api-Key"] for headers, _ in gateway.requests} == {"khoa-thu-nghiem"}
    assert gateway.requests[-1][1] == {
        "id": f"{code}:0:sms",
        "to": "0912345678",
        "text": outbox.render(delivery).text.strip(),
    }
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        "sent",
        6,
        "SMS gateway: HTTP 503",
    )
    # Exponential with jitter, capped: each wait within [half, all] of 30 s * 2^(n-1), <= 600 s.
    for n, wait in enumerate(waits, start=1):
        full = min(600, 30 * 2 ** (n - 1))
        assert full / 2 <= wait <= full


def test_an_smtp_server_refusing_five_times_then_accepting_gets_one_email(office):
    office.service.submit(office.body, "ma-thu-nghiem-0008")
    clock = Clock()
    with smtp_server() as (inbox, port):
        inbox.refuse = 5
        worker = Worker(office.outbox, [smtp(port)], clock=clock, backoff=Backoff(base=1, cap=8))
        for _ in range(6):
            worker.run_once()
            clock.now += 8
    assert inbox.refused == 5 and len(inbox.messages) == 1


def test_a_delivery_fails_for_good_after_its_attempts_and_an_officer_can_retry_it(office):
    code = office.service.submit(office.body, "ma-thu-nghiem-0009")["code"]
    clock = Clock()
    with sms_gateway() as gateway:
        gateway.statuses = [500] * 3
        sender = HttpSmsSender(gateway.url, api_key="k")
        worker = Worker(office.outbox, [sender], clock=clock, backoff=Backoff(base=1, attempts=3))
        for _ in range(5):
            worker.run_once()
            clock.now += 10
        failed = office.outbox.get(f"{code}:0:sms")
        assert (failed.state, failed.attempts, failed.last_error) == (
            "failed",
            3,
            "SMS gateway: HTTP 500",
        )
        assert office.outbox.retry(failed.id, clock.now)
        assert worker.run_once().sent == 1
    assert len(gateway.requests) == 4


def test_without_a_configured_channel_nothing_is_claimed_and_nothing_is_lost(office):
    office.service.submit(office.body, "ma-thu-nghiem-0010")
    assert Worker(office.outbox, []).run_once().sent == 0
    assert [(d.attempts, d.state) for d in pending(office)] == [(0, "pending")] * 2


def test_backoff_doubles_from_its_base_up_to_its_cap_with_jitter():
    backoff = Backoff(base=60, cap=3600)
    assert [backoff.delay(n, lambda: 1.0) for n in (1, 2, 3, 7, 8)] == [60, 120, 240, 3600, 3600]
    assert backoff.delay(1, lambda: 0.0) == 30


def test_every_kind_and_channel_has_a_template():
    for kind in outbox.KINDS:
        for channel in outbox.CHANNELS:
            assert (outbox.TEMPLATES / f"{kind}.{channel}.txt").is_file(), (kind, channel)


def test_officers_see_failed_and_long_waiting_deliveries_of_their_office_and_retry_them(office):
    code = office.service.submit(office.body, "ma-thu-nghiem-0012")["code"]
    clock = Clock()
    with sms_gateway() as gateway:
        gateway.statuses = [500]
        sender = HttpSmsSender(gateway.url, api_key="k")
        Worker(office.outbox, [sender], clock=clock, backoff=Backoff(attempts=1)).run_once()
        listed = office.backoffice.deliveries(office.officer, {})
        assert [(i["id"], i["state_label"], i["last_error"]) for i in listed["items"]] == [
            (f"{code}:0:sms", "Gửi không được", "SMS gateway: HTTP 500")
        ]  # the email is pending, but not for long yet
        assert listed["items"][0]["to"] == "0912***678"
        office.moments.append(WEDNESDAY + dt.timedelta(minutes=16))
        clock.now += 16 * 60
        listed = office.backoffice.deliveries(office.officer, {})
        assert sorted(i["channel"] for i in listed["items"]) == ["email", "sms"]

        outsider = Officer("cb2", "cb2", "Cán bộ khác", frozenset({"mot_cua"}), frozenset({"x"}))
        with pytest.raises(NotFoundError):
            office.backoffice.retry_delivery(outsider, {"id": f"{code}:0:sms"})
        with pytest.raises(NotFoundError):
            office.backoffice.deliveries(outsider, {"office": office.body["office"]})
        retried = office.backoffice.retry_delivery(office.officer, {"id": f"{code}:0:sms"})
        assert retried["item"]["state"] == "pending" and retried["item"]["attempts"] == 0
        assert Worker(office.outbox, [sender], clock=clock).run_once().sent == 1
    with pytest.raises(ActionNotAllowedError):
        office.backoffice.retry_delivery(office.officer, {"id": f"{code}:0:sms"})


def test_a_new_secret_goes_to_the_contact_and_the_filing_s_one_still_works(office):
    """Anyone who knows a code may ask for a new secret: asking must never lock the applicant
    out, so the receipt's secret keeps opening the dossier beside the newest re-issued one."""
    filed = office.service.submit(office.body, "ma-thu-nghiem-0013")
    code, old = filed["code"], filed["secret"]
    without = {key: value for key, value in office.body.items() if key != "notify"}
    bare = office.service.submit(without, "ma-thu-nghiem-0014")

    answers = [
        office.service.resend_secret({"code": asked}, "203.0.113.9")
        for asked in (code, bare["code"], "11383.CA-261209-9999", "khong-phai-ma")
    ]
    assert answers == [{"ok": True, "message": RESENT}] * 4  # never says which is which

    resent = [d for d in pending(office) if d.kind == "secret"]
    assert sorted(d.channel for d in resent) == ["email", "sms"]
    assert {d.code for d in resent} == {code}
    new = resent[0].data["secret"]
    assert new != old and new in outbox.render(resent[0]).text
    assert "vẫn dùng được" in outbox.render(resent[0]).text
    assert office.service.lookup(code, old, "203.0.113.9")["code"] == code
    assert office.service.lookup(code, new, "203.0.113.9")["code"] == code

    # Asked again: the newer secret replaces the one re-issued before; the filing's stays.
    office.service.resend_secret({"code": code}, "203.0.113.9")
    newer = [d for d in pending(office) if d.kind == "secret" and d.data["secret"] != new]
    assert newer
    assert office.service.lookup(code, newer[0].data["secret"], "203.0.113.9")["code"] == code
    assert office.service.lookup(code, old, "203.0.113.9")["code"] == code
    with pytest.raises(NotFoundError):
        office.service.lookup(code, new, "203.0.113.9")
    assert office.service.lookup(bare["code"], bare["secret"], "203.0.113.9")  # untouched


def test_re_sending_is_limited_per_code_whoever_asks(tmp_path, bundle_path):
    office = make_office(tmp_path, bundle_path)
    office.service.rates = RateLimiter(
        MappedRateCounts(tmp_path / "rate-counts.bin"),
        secret_key=b"k" * 32,
        limits={RESEND: Limit(5, 300), RESEND_CODE: Limit(3, 0, window=3600)},
    )
    code = office.service.submit(office.body, "ma-thu-nghiem-0015")["code"]
    for client in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        office.service.resend_secret({"code": code}, client)
    with pytest.raises(RateLimitedError):
        office.service.resend_secret({"code": code}, "203.0.113.4")
    assert len([d for d in pending(office) if d.kind == "secret"]) == 6  # 3 times, 2 channels


def test_a_new_data_key_seals_the_outbox_again(office, tmp_path):
    office.service.submit(office.body, "ma-thu-nghiem-0016")
    rotated = Sealer([(b"\x00\x00\x00\x03", b"notification-tests-new-key-32byt"), *SEALER_KEYS])
    SqliteDossiers(tmp_path / "motcua.sqlite3", sealer=rotated).reseal()
    only_new = Sealer([(b"\x00\x00\x00\x03", b"notification-tests-new-key-32byt")])
    outbox_ = SqliteOutbox(tmp_path / "motcua.sqlite3", sealer=only_new)
    (queued,) = outbox_.of_offices([office.body["office"]], states=["pending"], limit=1)
    assert queued.to == "an.nguyen@vidu.vn"
