"""Statuses pushed back by the province's system a dossier was handed over to
(`POST /api/handover/events`, docs/ban-giao.md).

Each request is authenticated twice: the client's API key (X-Api-Key) says who it is, and an
HMAC-SHA256 of `<timestamp>.<body>` with the client's secret (X-MotCua-Signature, the timestamp
in X-MotCua-Timestamp, at most TOLERANCE seconds from our clock) says the body is the one it
sent, recently: a replay of an old request is refused. A client reports only on dossiers handed
to it (`NewDossier.handed_to`, recorded at filing). An event carries a DVCQG status, which
becomes a `mirror` event of the dossier's chain through workflow.apply (workflow.MIRRORED is the
one table of what may follow what), written by Dossiers.transition with optimistic locking.

Idempotent by the event's id: the event records a hash of `<client>:<id>` as its request id, so
a retry finds it in the dossier's events and answers `duplicate: true`; two deliveries of one
event at once cannot both write, since the loser's transition fails on the version and finds the
winner's event when it reloads. A crash before the transition's commit leaves nothing, after it
the event: the same on every store, with no table of its own.
"""

import datetime as dt
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import handover, jsonbody, lookup_secret, workflow
from .calendar import WorkingCalendar
from .config import MAX_BODY_BYTES
from .dossiers import Service, is_dossier_code, state_of
from .errors import (
    ApiError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationFailedError,
    VersionConflictError,
)
from .storage.ports import Delivery, Dossiers, StoredDossier

EVENT_ID = re.compile(r"[A-Za-z0-9_.:-]{8,100}")
FIELDS = {"id", "code", "status", "at", "note", "items", "amount"}
ATTEMPTS = 5  # transitions tried when others write the dossier at the same moment


class ApiKeyInvalidError(ApiError):
    status, code = 401, "api_key_invalid"
    message = "Thiếu hoặc sai khóa API (X-Api-Key)."


class SignatureInvalidError(ApiError):
    status, code = 401, "signature_invalid"
    message = "Chữ ký (X-MotCua-Signature) không khớp với nội dung và thời điểm gửi."


class TimestampRefusedError(ApiError):
    """Missing, or too far from our clock: an old request sent again is refused here."""

    status, code = 401, "timestamp_out_of_window"
    message = "Thời điểm ký (X-MotCua-Timestamp) thiếu hoặc lệch quá 5 phút so với máy chủ."


class OutOfScopeError(ApiError):
    status, code = 403, "out_of_scope"
    message = "Hồ sơ này không được bàn giao cho hệ thống của bạn."


class StaleEventError(ApiError):
    status, code = 409, "stale_event"
    message = "Sự kiện cũ hơn trạng thái đã ghi nhận gần nhất của hồ sơ."


@dataclass(frozen=True)
class StatusEvent:
    id: str
    code: str
    status: int
    at: str  # ISO 8601 with an offset: when it happened in the province's system
    data: dict[str, Any]  # note, items (status 5), amount (status 6)


def parse(raw: bytes) -> StatusEvent:
    """The event of a request body, or ValidationFailedError with every problem by pointer."""
    try:
        body = jsonbody.parse(raw, MAX_BODY_BYTES)
    except PayloadTooLargeError:
        raise
    except ApiError as error:
        raise ValidationFailedError(fields={"": error.message}) from None
    if not isinstance(body, dict):
        raise ValidationFailedError(fields={"": "Nội dung phải là một đối tượng JSON."})
    errors = {f"/{name}"[:100]: "Trường không có trong sự kiện." for name in set(body) - FIELDS}
    event_id, code, status, at = (body.get(name) for name in ("id", "code", "status", "at"))
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        errors["/id"] = "Mã sự kiện: 8–100 ký tự chữ, số, _ . : -, duy nhất cho mỗi sự kiện."
    if not isinstance(code, str) or not is_dossier_code(code):
        errors["/code"] = "Mã hồ sơ không hợp lệ."
    if not isinstance(status, int) or isinstance(status, bool) or status not in workflow.STATUSES:
        errors["/status"] = "Trạng thái là số từ 1 đến 10 (DVCQG)."
    if not isinstance(at, str) or _moment(at) is None:
        errors["/at"] = "Thời điểm theo ISO 8601, có múi giờ, ví dụ 2026-12-07T09:30:00+07:00."
    if errors:
        raise ValidationFailedError(fields=errors)
    data = {name: body[name] for name in ("note", "items", "amount") if name in body}
    return StatusEvent(
        id=body["id"], code=body["code"], status=body["status"], at=body["at"], data=data
    )


def _moment(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def authenticate(
    registrations: handover.Registrations,
    headers: Mapping[str, str],
    raw: bytes,
    now: float,
    tolerance: int = handover.TOLERANCE,
) -> handover.Client:
    """The client that sent this request, or the 401 that says what is wrong."""
    client = registrations.by_key(headers.get("x-api-key") or "")
    if client is None:
        raise ApiKeyInvalidError()
    timestamp = headers.get("x-motcua-timestamp") or ""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        raise TimestampRefusedError()
    sent = headers.get("x-motcua-signature") or ""
    if not handover.signature_matches(client.secret, handover.event_signed(timestamp, raw), sent):
        raise SignatureInvalidError()
    return client


def request_id(client: str, event_id: str) -> str:
    """What the event records of its id: a hash, as an action's Idempotency-Key is stored."""
    return lookup_secret.idempotency_hash(f"{client}:{event_id}")


def recorded(stored: StoredDossier, request: str) -> dict[str, Any] | None:
    """The dossier's event that this request id made, if any."""
    return next((e for e in stored.events if e.get("data", {}).get("request_id") == request), None)


def record(
    dossiers: Dossiers,
    stored: StoredDossier,
    client: handover.Client,
    event: StatusEvent,
    *,
    rules: workflow.Rules,
    calendar: WorkingCalendar,
    at: dt.datetime,
    notices: Callable[[StoredDossier, dict[str, Any]], list[Delivery]] = lambda s, e: [],
) -> dict[str, Any]:
    """Mirrors `event` on the dossier once: the answer, with `duplicate` true when an earlier
    request (or a concurrent one) already recorded it."""
    request = request_id(client.id, event.id)
    actor = workflow.Actor(client.id, frozenset({workflow.PROVINCIAL_SYSTEM}), client.name)
    for _ in range(ATTEMPTS):
        earlier = recorded(stored, request)
        if earlier is not None:
            return _answer(stored, event, earlier, duplicate=True)
        _refuse_stale(stored, event)
        state = state_of(stored)
        data = {**event.data, "status": event.status, "event_id": event.id, "occurred_at": event.at}
        nxt, made = workflow.apply(
            state,
            "mirror",
            data,
            actor=actor,
            at=at,
            rules=rules,
            calendar=calendar,
            request_id=request,
        )
        try:
            stored = dossiers.transition(
                stored.code,
                expected_version=state.version,
                event=made,
                state=nxt,
                deliveries=notices(stored, made),
            )
        except VersionConflictError:
            fresh = dossiers.get(stored.code)
            if fresh is None:
                raise NotFoundError() from None
            stored = fresh
            continue
        return _answer(stored, event, made, duplicate=False)
    raise VersionConflictError()


def _refuse_stale(stored: StoredDossier, event: StatusEvent) -> None:
    """An event that happened before the last one reported arrives too late to change anything."""
    reported = [e["data"].get("occurred_at") for e in stored.events if e["action"] == "mirror"]
    when = _moment(event.at)
    latest = _moment(reported[-1]) if reported and reported[-1] else None
    if when is not None and latest is not None and when < latest:
        raise StaleEventError()


def _answer(
    stored: StoredDossier, event: StatusEvent, made: dict[str, Any], *, duplicate: bool
) -> dict[str, Any]:
    state = state_of(stored)
    return {
        "id": event.id,
        "code": stored.code,
        "duplicate": duplicate,
        "seq": made["seq"],
        "status": state.status,
        "status_label": workflow.STATUSES[state.status],
    }


class HandoverEvents:
    """The inbound API over the service's stores, catalogue and clock."""

    def __init__(
        self,
        service: Service,
        registrations: handover.Registrations,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self.service, self.registrations, self.clock = service, registrations, clock

    def receive(self, headers: Mapping[str, str], raw: bytes) -> dict[str, Any]:
        """`headers` with lower-case names."""
        if len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLargeError()
        client = authenticate(self.registrations, headers, raw, self.clock())
        event = parse(raw)
        stored = self.service.dossiers.get(event.code)
        if stored is None:
            raise NotFoundError("Không có hồ sơ mang mã này.")
        if stored.dossier.handed_to != client.id:  # as recorded at filing, whatever the
            raise OutOfScopeError()  # configuration says now
        rules = self.service.bundle.rules(self.service.procedure_version(stored.dossier))
        return record(
            self.service.dossiers,
            stored,
            client,
            event,
            rules=rules,
            calendar=self.service.bundle.calendar,
            at=self.service.now(),
            notices=self.service.notices,
        )


__all__ = [
    "ApiKeyInvalidError",
    "HandoverEvents",
    "OutOfScopeError",
    "SignatureInvalidError",
    "StaleEventError",
    "StatusEvent",
    "TimestampRefusedError",
    "authenticate",
    "parse",
    "record",
    "recorded",
    "request_id",
]
