"""The transactional outbox: what leaves the system about a dossier (a notification to the
applicant) is written as a delivery in the same transaction as the state change that causes it
(`Dossiers.create` for the receipt, `Dossiers.transition` for the others), then sent by a worker
(`Worker.run_once`) with retries, exponential backoff with jitter and a cap, and a last error
kept: docs/notifications.md.

Exactly once in effect: a delivery's id is its idempotency key (`<code>:<seq>:<channel>`, seq 0
for the receipt), and a sender passes it on (an email's Message-ID, the SMS gateway's
`Idempotency-Key`). A worker claims a delivery by leasing it (`Outbox.claim`); if the process dies
between the commit and the send, or between the send and `sent`, the lease ends and the delivery
is sent again under the same id, which the receiving side recognises as the same message.

Pure rules here (which events notify, the template data, the backoff); the stores are
storage/outbox_*.py, the channels notify/.
"""

import datetime as dt
import logging
import random
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2

from .storage.ports import Delivery, Outbox

log = logging.getLogger(__name__)

# What an event tells the applicant, by the workflow action that records it (workflow.ACTIONS):
# a supplement request with the list, a payment request with the amount, the result ready, an
# extension with the apology and the new date. The receipt (seq 0) and a re-sent lookup secret
# are not events.
EVENT_KINDS = {
    "request_supplement": "supplement",
    "request_payment": "payment",
    "done": "result",
    "extend": "extension",
}
# A status a province's system reports (the `mirror` action, handover_events.py) tells the
# applicant what the action here that leads to it tells, when the report says as much: the list
# of what is missing, the amount.
MIRRORED_KINDS: dict[int, tuple[str, str | None]] = {
    5: ("supplement", "items"),
    6: ("payment", "amount"),
    9: ("result", None),
}
KINDS = ("receipt", *EVENT_KINDS.values(), "secret")
CHANNELS = ("email", "sms")
STATES = ("pending", "sent", "failed")
KIND_LABELS = {
    "receipt": "Đã tiếp nhận hồ sơ",
    "supplement": "Yêu cầu bổ sung",
    "payment": "Đề nghị nộp phí, lệ phí",
    "result": "Đã có kết quả",
    "extension": "Xin lỗi và gia hạn",
    "secret": "Cấp lại mã tra cứu",
    "handover": "Bàn giao hồ sơ",  # handover.py: to a province's own one-stop system
}
CHANNEL_LABELS = {"email": "Thư điện tử", "sms": "Tin nhắn SMS", "webhook": "Webhook"}
STATE_LABELS = {"pending": "Đang chờ gửi", "sent": "Đã gửi", "failed": "Gửi không được"}
EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")
PHONE = re.compile(r"(\+84|0)[0-9]{9,10}")
TEMPLATES = Path(__file__).resolve().parent / "templates" / "notify"


class DeliveryError(Exception):
    """A channel could not send a message (refused, unreachable, timed out): retried later.
    Senders raise this for their provider's errors, nothing else."""


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, who: str) -> None:
    """POSTs `body` for an HTTP channel (the SMS gateway, a hand-over webhook); any answer but a
    2xx, or no answer, is a DeliveryError naming `who`."""
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"{who}: HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise DeliveryError(f"{who}: {error}") from error


# --- the applicant's contact, given in the form ---------------------------------------------


def check_contact(value: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The submission's optional `notify` ({"email", "phone"}, each optional): the contact to
    store with the dossier, and errors by JSON pointer in Vietnamese."""
    if value is None:
        return {}, {}
    if not isinstance(value, dict):
        return {}, {"/notify": "Thông tin nhận thông báo không hợp lệ."}
    contact: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in set(value) - {"email", "phone"}:
        errors[f"/notify/{name}"[:100]] = "Trường không có trong biểu mẫu."
    email = value.get("email")
    if email not in (None, ""):
        if not isinstance(email, str) or len(email) > 254 or not EMAIL.fullmatch(email.strip()):
            errors["/notify/email"] = "Nhập địa chỉ thư điện tử, ví dụ ten@vidu.vn."
        else:
            contact["email"] = email.strip()
    phone = value.get("phone")
    if phone not in (None, ""):
        digits = re.sub(r"[\s.-]", "", phone) if isinstance(phone, str) else ""
        if not PHONE.fullmatch(digits):
            errors["/notify/phone"] = "Nhập số điện thoại di động, ví dụ 0912 345 678."
        else:
            contact["phone"] = digits
    return contact, errors


def masked(to: str) -> str:
    """A recipient as officers see it in the failures' list: enough to recognise, not to use."""
    if "@" in to:
        name, _, domain = to.partition("@")
        return f"{name[:2]}***@{domain}"
    return f"{to[:4]}***{to[-3:]}" if len(to) > 7 else "***"


# --- which deliveries a change makes --------------------------------------------------------


def _deliveries(
    code: str,
    seq: str,
    kind: str,
    contact: Mapping[str, str],
    office: str,
    data: dict[str, Any],
    now: float,
) -> list[Delivery]:
    recipients = (("email", contact.get("email")), ("sms", contact.get("phone")))
    return [
        Delivery(
            id=f"{code}:{seq}:{channel}",
            code=code,
            office=office,
            kind=kind,
            channel=channel,
            to=to,
            data={**data, "code": code},
            created_at=now,
            next_at=now,
        )
        for channel, to in recipients
        if to
    ]


def receipt(
    contact: Mapping[str, str], *, office: str, data: dict[str, Any], now: float
) -> Callable[[str], list[Delivery]] | None:
    """The receipt's deliveries once the adapter has the code; None without a contact (the
    adapter then does nothing more)."""
    if not contact:
        return None
    return lambda code: _deliveries(code, "0", "receipt", contact, office, data, now)


def after_event(
    code: str,
    contact: Mapping[str, str],
    *,
    office: str,
    event: Mapping[str, Any],
    data: dict[str, Any],
    now: float,
) -> list[Delivery]:
    """What an event tells the applicant, if anything: the event's own data (the missing list,
    the amount, the reason and new date) beside `data` (procedure name, status link)."""
    kind = EVENT_KINDS.get(str(event.get("action")))
    if event.get("action") == "mirror":
        kind, needs = MIRRORED_KINDS.get(int(event["status"]), (None, None))
        if needs is not None and needs not in event.get("data", {}):
            kind = None
    if kind is None or not contact:
        return []
    told = {key: value for key, value in event.get("data", {}).items() if key != "request_id"}
    merged = {**data, **told, "due_at": event.get("due_at"), "at": event.get("at")}
    return _deliveries(code, str(event["seq"]), kind, contact, office, merged, now)


def secret_resend(
    code: str,
    contact: Mapping[str, str],
    *,
    office: str,
    data: dict[str, Any],
    now: float,
    nonce: str,
) -> list[Delivery]:
    """A new lookup secret for the contact given at filing: the only delivery that carries one."""
    return _deliveries(code, f"secret-{nonce}", "secret", contact, office, data, now)


# --- the messages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    subject: str  # email only
    text: str


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # plain text, never HTML
    keep_trailing_newline=True,
)
_ENVIRONMENT.filters["vnd"] = lambda amount: f"{int(amount):,}".replace(",", ".") + " đồng"
_ENVIRONMENT.filters["when"] = lambda text: (
    dt.datetime.fromisoformat(text).strftime("%H:%M ngày %d/%m/%Y") if text else "chưa có"
)


def render(delivery: Delivery) -> Message:
    """The message from templates/notify/<kind>.<channel>.txt; an email's first line is
    `Tiêu đề: <subject>`."""
    text = _ENVIRONMENT.get_template(f"{delivery.kind}.{delivery.channel}.txt").render(
        delivery.data
    )
    subject = ""
    if delivery.channel == "email":
        first, _, text = text.partition("\n")
        subject = first.removeprefix("Tiêu đề:").strip()
    return Message(subject=subject, text=text.strip() + "\n")


# --- the worker -------------------------------------------------------------------------------


class Sender(Protocol):
    """One channel: SmtpSender, SesSender (email), HttpSmsSender (sms) in notify/."""

    channel: str

    def send(self, delivery: Delivery, message: Message) -> None:
        """Sends under `delivery.id` as idempotency key; DeliveryError if it could not."""
        ...


@dataclass(frozen=True)
class Backoff:
    """Delay before attempt n+1 after n failures: base * 2^(n-1), at most `cap`, then a random
    part of it ("equal jitter": between half and all of it), so failed deliveries do not all
    come back at the same moment. `failed` for good after `attempts` attempts."""

    base: float = 60.0
    cap: float = 6 * 3600.0
    attempts: int = 8

    def delay(self, attempts: int, rng: Callable[[], float] = random.random) -> float:
        full = min(self.cap, self.base * 2.0 ** max(0, attempts - 1))
        return float(full / 2 + full / 2 * rng())


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0


class Worker:
    """Claims due deliveries of the channels it has senders for, sends them, marks them. A
    channel with no sender is not claimed: its deliveries stay pending, visible to officers."""

    def __init__(
        self,
        outbox: Outbox,
        senders: Sequence[Sender],
        *,
        backoff: Backoff | None = None,
        lease: float = 300.0,
        batch: int = 20,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ):
        self.outbox = outbox
        self.senders = {sender.channel: sender for sender in senders}
        self.backoff = backoff or Backoff()
        self.lease, self.batch = lease, batch
        self.clock, self.rng = clock, rng

    def run_once(self) -> Report:
        """One pass: everything due now, in batches, until none is left."""
        report = Report()
        if not self.senders:
            return report
        while True:
            claimed = self.outbox.claim(
                self.clock(), channels=sorted(self.senders), limit=self.batch, lease=self.lease
            )
            for delivery in claimed:
                self._deliver(delivery, report)
            if len(claimed) < self.batch:
                return report

    def _deliver(self, delivery: Delivery, report: Report) -> None:
        try:
            # A notification is rendered from its templates; a webhook (handover.py) is data
            # its sender writes itself.
            message = render(delivery) if delivery.channel in CHANNELS else Message("", "")
            self.senders[delivery.channel].send(delivery, message)
        except DeliveryError as error:
            reason = str(error)[:500] or type(error).__name__
            if delivery.attempts >= self.backoff.attempts:
                self.outbox.failed(delivery.id, error=reason, retry_at=None)
                report.failed += 1
                log.warning("delivery %s failed for good: %s", delivery.id, reason)
            else:
                retry_at = self.clock() + self.backoff.delay(delivery.attempts, self.rng)
                self.outbox.failed(delivery.id, error=reason, retry_at=retry_at)
                report.retried += 1
            return
        self.outbox.sent(delivery.id, self.clock())
        report.sent += 1

    def run_every(self, every: float, stop: threading.Event) -> None:
        """Runs a pass every `every` seconds until `stop` is set (serve.py's thread, the
        `motcua outbox-worker` command). A pass that fails is logged with its traceback and
        the next one runs: a delivery leased by it comes back when its lease ends."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("outbox pass failed")
            stop.wait(every)


__all__ = [
    "CHANNELS",
    "CHANNEL_LABELS",
    "EVENT_KINDS",
    "KINDS",
    "KIND_LABELS",
    "MIRRORED_KINDS",
    "STATES",
    "STATE_LABELS",
    "Backoff",
    "DeliveryError",
    "Message",
    "Report",
    "Sender",
    "Worker",
    "after_event",
    "check_contact",
    "masked",
    "receipt",
    "render",
    "secret_resend",
]
