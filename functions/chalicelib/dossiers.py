"""Online dossiers: upload targets and their verification, idempotent submission, status lookup.

Shared logic lives here once (codes, secrets, due dates, statuses); adapters only store.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from . import forms, receipt
from .bundle import Bundle, is_cross_boundary
from .calendar import VIETNAM
from .errors import ApiError, NotFoundError, RateLimitedError, ValidationFailedError
from .storage.ports import Dossiers, NewDossier, StoredDossier, Uploads
from .workflow import STATUSES

# A stored key's extension gives back its kind of file (forms.FILE_TYPES).
KINDS_BY_EXTENSION = {file_type.extension: kind for kind, file_type in forms.FILE_TYPES.items()}
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
# The status page checks a typed code with the same pattern (theme/assets/tra-cuu.js, tested).
DOSSIER_CODE = re.compile(r"[A-Za-z0-9.-]{3,60}-[0-9]{6}-[0-9]{4,}")
UPLOAD_KEY = re.compile(
    rf"[0-9.A-Za-z]+/[a-z0-9-]+/[A-Za-z0-9_-]{{16,64}}\.({'|'.join(KINDS_BY_EXTENSION)})"
)


class Service:
    def __init__(
        self,
        bundle: Bundle,
        dossiers: Dossiers,
        uploads: Uploads,
        *,
        secret_key: bytes,
        public_url: str,
        upload_ttl: int = 300,
        limiter: "FailureLimiter | None" = None,
        clock: Callable[[], dt.datetime] | None = None,
    ):
        self.bundle, self.dossiers, self.uploads = bundle, dossiers, uploads
        self.secret_key = secret_key
        self.public_url = public_url  # the site's origin: receipts link to its status page
        self.upload_ttl = min(upload_ttl, 300)
        self.limiter = limiter or FailureLimiter()
        self.now = clock or (lambda: dt.datetime.now(VIETNAM))

    # --- forms ---------------------------------------------------------------------------------

    def form(self, code: str) -> dict[str, Any]:
        version = self.bundle.version(code, self.now().date())
        form = self.bundle.form(version)
        return {
            "procedure": code,
            "version": version["effective_from"],
            "form": form,
            "schema": forms.submission_schema(form),
            "offices": [_office_choice(o) for o in self.bundle.offices_for(version)],
            "cross_boundary": is_cross_boundary(version),
            "office_from": forms.office_from(form),
        }

    # --- uploads -------------------------------------------------------------------------------

    def upload_target(self, body: Any) -> dict[str, Any]:
        body = _object(body)
        code = _text(body, "procedure")
        slot_id = _text(body, "slot")
        content_type = _text(body, "content_type")
        size = body.get("size")
        version = self.bundle.version(code, self.now().date())
        slot = _slot(self.bundle.form(version), slot_id)
        allowed = {forms.FILE_TYPES[kind].content_type: kind for kind in slot["accept"]}
        errors = {}
        limits = forms.slot_limits(slot)
        if content_type not in allowed:
            errors["/content_type"] = limits["type"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            errors["/size"] = "Tệp rỗng hoặc không đọc được kích thước."
        elif size > slot["max_bytes"]:
            errors["/size"] = limits["size"]
        if errors:
            raise ValidationFailedError("Tệp không phù hợp với yêu cầu.", fields=errors)
        extension = forms.FILE_TYPES[allowed[content_type]].extension
        key = f"{code}/{slot_id}/{secrets.token_urlsafe(18)}.{extension}"
        target = self.uploads.target(
            key, content_type=content_type, max_bytes=slot["max_bytes"], expires_in=self.upload_ttl
        )
        return {**asdict(target), "max_bytes": slot["max_bytes"]}

    def verify_upload(self, body: Any) -> dict[str, Any]:
        """Checks the stored bytes (size, magic bytes) before any submission may reference them."""
        key = _text(_object(body), "key")
        if not UPLOAD_KEY.fullmatch(key):
            raise ValidationFailedError(fields={"/key": "Mã tệp không hợp lệ."})
        code, slot_id, name = key.split("/")
        if self.uploads.is_accepted(key):
            return {"key": key, "accepted": True}
        version = self.bundle.version(code, self.now().date())
        slot = _slot(self.bundle.form(version), slot_id)
        size = self.uploads.size(key)
        if size is None:
            raise NotFoundError("Chưa nhận được tệp này; hãy tải lên lại.")
        kind = KINDS_BY_EXTENSION[name.rsplit(".", 1)[1]]
        head = self.uploads.head_bytes(key, 16)
        problem = None
        if size < 1:
            problem = "Tệp rỗng."
        elif size > slot["max_bytes"]:
            problem = forms.slot_limits(slot)["size"]
        elif kind not in slot["accept"]:
            problem = "Loại tệp không được nhận cho giấy tờ này."
        elif not head.startswith(forms.FILE_TYPES[kind].magic):
            problem = "Nội dung tệp không đúng loại đã khai (PDF, JPEG hoặc PNG)."
        if problem:
            self.uploads.reject(key)
            raise ValidationFailedError(problem, fields={"/key": problem})
        self.uploads.accept(key)
        return {"key": key, "accepted": True, "size": size}

    # --- submissions ---------------------------------------------------------------------------

    def submit(self, body: Any, idempotency_key: str | None) -> dict[str, Any]:
        if not idempotency_key or not IDEMPOTENCY_KEY.match(idempotency_key):
            raise ApiError(
                "Thiếu tiêu đề Idempotency-Key hợp lệ (8–100 ký tự chữ, số, - hoặc _).",
                fields={"/headers/Idempotency-Key": "Bắt buộc."},
            )
        body = _object(body)
        code = _text(body, "procedure")
        received = self.now()
        version = self.bundle.version(code, received.date())
        form = self.bundle.form(version)
        answers, errors = forms.check_answers(
            form, body.get("answers"), self.bundle.units, received.date()
        )
        uploads, upload_errors = forms.check_uploads(
            form, answers, body.get("uploads", {}), self.uploads.is_accepted, code
        )
        errors.update(upload_errors)
        unknown = set(body) - {"procedure", "answers", "uploads", "office"}
        errors.update({f"/{k}"[:100]: forms.MESSAGES["unknown"] for k in unknown})
        office, office_error = self._office(version, body.get("office"))
        if office_error:
            errors["/office"] = office_error
        if errors:
            raise ValidationFailedError(fields=errors)
        secret = self._secret(idempotency_key)
        dossier = NewDossier(
            agency=office["identifier"],
            office=office["id"],
            applicant=applicant_name(form, answers),
            day=received.strftime("%y%m%d"),
            procedure=code,
            version=version["effective_from"],
            catalogue=self.bundle.revision,
            answers=answers,
            uploads=uploads,
            secret_hash=_hash(secret),
            received_at=received.isoformat(timespec="seconds"),
            due_at=self._due(version, received),
        )
        request_hash = hashlib.sha256(_canonical(body).encode()).hexdigest()
        stored = self.dossiers.create(
            dossier, idempotency_key=idempotency_key, request_hash=request_hash
        )
        return {
            **self._public(stored),
            "secret": secret,
            "receipt": receipt.receipt(self.public_url, stored.code, secret),
        }

    def _office(self, version: dict[str, Any], chosen: Any) -> tuple[dict[str, Any], str]:
        """The office the applicant chose, if the version accepts it; else an error message."""
        if not isinstance(chosen, str) or not chosen:
            return {}, "Chọn nơi nộp hồ sơ."
        accepted = {o["id"]: o for o in self.bundle.offices_for(version)}
        if chosen not in accepted:
            return {}, "Nơi nộp hồ sơ đã chọn không nhận hồ sơ của thủ tục này; hãy chọn lại."
        return accepted[chosen], ""

    def _due(self, version: dict[str, Any], received: dt.datetime) -> str | None:
        channel = next((c for c in version["channels"] if c["kind"] == "online"), None)
        if channel is None:
            return None
        deadline = channel["deadline"]
        amount = deadline.get("amount")
        due = self.bundle.calendar.due(
            received, amount if isinstance(amount, int) else None, deadline["unit"]
        )
        return due.isoformat(timespec="minutes") if due else None

    def _secret(self, idempotency_key: str) -> str:
        """Derived from the idempotency key, so a retry returns the same secret; 120 bits."""
        digest = hmac.new(self.secret_key, b"lookup:" + idempotency_key.encode(), "sha256")
        return base64.b32encode(digest.digest()[:15]).decode().lower()

    # --- lookups -------------------------------------------------------------------------------

    def lookup(self, code: str, secret: str | None, client: str) -> dict[str, Any]:
        return self._public(self._authorised(code, secret, client))

    def receipt_qr(self, code: str, secret: str | None, client: str) -> str:
        """The receipt's QR code (SVG), for whoever holds the dossier's secret."""
        stored = self._authorised(code, secret, client)
        return receipt.receipt_qr(self.public_url, stored.code, secret or "")

    def _authorised(self, code: str, secret: str | None, client: str) -> StoredDossier:
        """The dossier `code` if `secret` is its lookup secret. A wrong code and a wrong secret
        get the same answer, and a client past its failures is refused before anything."""
        self.limiter.check(client)
        stored = self.dossiers.get(code) if is_dossier_code(code) else None
        given = _hash(secret or "")
        if stored is None or not hmac.compare_digest(given, stored.dossier.secret_hash):
            self.limiter.fail(client)
            raise NotFoundError("Không tìm thấy hồ sơ với mã và mã tra cứu này.")
        return stored

    def _public(self, stored: StoredDossier) -> dict[str, Any]:
        dossier = stored.dossier
        versions = self.bundle.data["procedures"].get(dossier.procedure, [])
        name = next((v["name"] for v in versions if v["effective_from"] == dossier.version), "")
        timeline = [{"status": 1, "label": STATUSES[1], "at": dossier.received_at}]
        timeline += [
            {**event, "label": STATUSES.get(event.get("status", 0), "")} for event in stored.events
        ]
        return {
            "code": stored.code,
            "procedure": dossier.procedure,
            "procedure_name": name,
            "version": dossier.version,
            "status": timeline[-1]["status"],
            "status_label": timeline[-1]["label"],
            "received_at": dossier.received_at,
            "due_at": dossier.due_at,
            "office": self._office_view(dossier.office),
            "timeline": timeline,
        }

    def _office_view(self, office_id: str) -> dict[str, str] | None:
        """{id, name} of the receiving office; None for a dossier filed before offices existed
        or with an office a later catalogue no longer has."""
        try:
            office = self.bundle.office(office_id)
        except NotFoundError:
            return None
        return {"id": office["id"], "name": office["name"]}


# The name field: the first text question whose label says "Họ ... tên" (theme/assets/
# apply-submit.js finds the receipt's "Người nộp" with the same rule).
NAME_LABEL = re.compile(r"họ.*tên", re.IGNORECASE)


def applicant_name(form: dict[str, Any], answers: dict[str, Any]) -> str:
    """The requester's name as typed, for the officers' queues."""
    for _, field in forms.fields(form):
        value = answers.get(field["id"])
        if field["type"] == "text" and NAME_LABEL.search(field["label"]) and value:
            return str(value)
    return ""


def _office_choice(office: dict[str, Any]) -> dict[str, Any]:
    return {key: office[key] for key in ("id", "name", "identifier", "unit", "level")}


def is_dossier_code(text: str) -> bool:
    """Whether `text` has the shape of a code storage.ports.format_code makes."""
    return DOSSIER_CODE.fullmatch(text) is not None


class FailureLimiter:
    """Counts failed lookups per client in a sliding window; past the limit every lookup from that
    client is refused until the window passes. Per process: on AWS, API Gateway throttling and WAF
    rate rules sit in front of this."""

    def __init__(
        self, allowed: int = 20, window: float = 600.0, clock: Callable[[], float] = time.monotonic
    ):
        self.allowed, self.window, self.clock = allowed, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque[float]:
        failures, cutoff = self._failures[client], self.clock() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures

    def check(self, client: str) -> None:
        with self._lock:
            if len(self._recent(client)) >= self.allowed:
                raise RateLimitedError()

    def fail(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self.clock())
            if len(self._failures) > 100_000:  # bound memory under a spray of client addresses
                self._failures.clear()


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError("Nội dung yêu cầu phải là một đối tượng JSON.")
    return body


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ValidationFailedError(fields={f"/{key}": "Bắt buộc, là chuỗi ký tự."})
    return value


def _slot(form: dict[str, Any], slot_id: str) -> dict[str, Any]:
    for _, slot in forms.slots(form):
        if slot["id"] == slot_id:
            return slot
    raise ValidationFailedError(fields={"/slot": "Biểu mẫu không có khe tải lên này."})


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


__all__ = ["STATUSES", "FailureLimiter", "Service", "is_dossier_code"]
