"""Online dossiers: upload targets and their verification, idempotent submission, the applicant's
status view and actions (supplement, withdraw), and the transition every action goes through.

Shared logic lives here once (codes, secrets, due dates, statuses); adapters only store; the
lifecycle's rules are workflow.py's. The officers' side (backoffice.py) builds on `Service.view`
and `Service.transition`.
"""

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import IO, Any, NoReturn

from . import forms, handover, lookup_secret, outbox, receipt, workflow
from .bundle import Bundle, is_cross_boundary
from .calendar import VIETNAM
from .errors import (
    ActionNotAllowedError,
    ApiError,
    IdempotencyConflictError,
    NotFoundError,
    RateLimitedError,
    SecretRequiredError,
    ValidationFailedError,
    VersionConflictError,
)
from .ratelimit import RESEND, RESEND_CODE, SUBMIT, UPLOAD, RateLimiter
from .scanner import Scanner, UnconfiguredScanner
from .storage.ports import (
    Delivery,
    Dossiers,
    LookupFailures,
    NewDossier,
    State,
    StoredDossier,
    Uploads,
)
from .workflow import STATUSES

# A stored key's extension gives back its kind of file (forms.FILE_TYPES).
KINDS_BY_EXTENSION = {file_type.extension: kind for kind, file_type in forms.FILE_TYPES.items()}
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
# The status page checks a typed code with the same pattern (theme/assets/tra-cuu.js, tested).
DOSSIER_CODE = re.compile(r"[A-Za-z0-9.-]{3,60}-[0-9]{6}-[0-9]{4,}")
UPLOAD_KEY = re.compile(
    rf"[0-9.A-Za-z]+/[a-z0-9-]+/[A-Za-z0-9_-]{{16,64}}\.({'|'.join(KINDS_BY_EXTENSION)})"
)
# Files that belong to one dossier rather than to a form's slot: the applicant's supplement and
# the office's electronic result. Their keys are `<procedure>/<slot>/<tag><random>.<ext>`, where
# the tag is an HMAC of the dossier code (`Service.owned_key`), so an action accepts only files
# uploaded for its own dossier.
DOSSIER_SLOTS: dict[str, dict[str, Any]] = {
    "bo-sung": {
        "id": "bo-sung",
        "label": "Giấy tờ bổ sung",
        "accept": ["pdf", "jpeg", "png"],
        "max_bytes": 10 * 1024 * 1024,
    },
    "ket-qua": {
        "id": "ket-qua",
        "label": "Kết quả giải quyết (bản điện tử)",
        "accept": ["pdf"],
        "max_bytes": 20 * 1024 * 1024,
    },
}
# A file read from S3 is copied before it is parsed: in memory up to SPOOL_BYTES, then on disk.
SPOOL_BYTES = 4 * 1024 * 1024
SPOOL_CHUNK = 1024 * 1024
OWNED_TAG = 16  # characters of the dossier's tag at the start of an owned key's name
# A form's uploads are bound to its draft the same way: the draft is the Idempotency-Key its
# submission will carry (the form makes it once), and each key's name starts with an HMAC tag of
# it (`Service.draft_tag`). A submission takes only its own draft's files, so a file is used in
# one dossier at most: the idempotency record makes that dossier the draft's only one, created
# atomically with it on every adapter, and a retry gets the same dossier back.
OTHER_DRAFT = "Tệp này được tải lên cho một bản nháp khác; hãy tải lại tệp trong bản nháp này."
MAX_OWNED_FILES = 20
APPLICANT = workflow.Actor(workflow.APPLICANT, frozenset({workflow.APPLICANT}), "Người nộp hồ sơ")
FILED = "Nộp hồ sơ trực tuyến"  # the timeline's first entry
# The answer to a re-send request, whatever the code: it never says whether the dossier exists
# or has a contact.
RESENT = (
    "Nếu mã hồ sơ đúng và khi nộp hồ sơ bạn đã cho địa chỉ thư điện tử hoặc số điện thoại nhận"
    " thông báo, mã tra cứu mới sẽ được gửi tới đó trong ít phút; mã tra cứu ghi trên giấy biên"
    " nhận vẫn dùng được."
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
        limiter: "FailureLimiter",
        rates: RateLimiter | None = None,
        scanner: Scanner | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        registrations: handover.Registrations | None = None,
    ):
        self.bundle, self.dossiers, self.uploads = bundle, dossiers, uploads
        # Where dossiers are processed: our back office, or a province's system (handover.py).
        self.registrations = registrations or handover.Registrations()
        self.secret_key = secret_key
        self.public_url = public_url  # the site's origin: receipts link to its status page
        self.upload_ttl = min(upload_ttl, 300)
        self.limiter = limiter
        self.rates = rates  # None: no rate limits (tests that build a Service by hand)
        # No scanner configured: no file is accepted (never unscanned), each verify answers 503.
        self.scanner = scanner or UnconfiguredScanner()
        self.now = clock or (lambda: dt.datetime.now(VIETNAM))
        self._accepting: dict[str, dict[str, dict[str, Any]]] = {}  # _office's, per agency

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

    def upload_target(self, body: Any, client: str = "unknown") -> dict[str, Any]:
        """A signed target for one file of a form's slot, bound to the form's draft."""
        self._limit(UPLOAD, client)
        body = _object(body)
        code = _text(body, "procedure")
        slot_id = _text(body, "slot")
        draft = body.get("draft")
        errors = {} if _is_key(draft) else {"/draft": DRAFT_NEEDED}
        version = self.bundle.version(code, self.now().date())
        slot = _slot(self.bundle.form(version), slot_id)
        key_name = self.draft_tag(str(draft)) + secrets.token_urlsafe(12)
        return self._target(f"{code}/{slot_id}", key_name, slot, body, errors)

    def delete_upload(self, body: Any) -> dict[str, Any]:
        """The applicant's "Xóa": deletes a file of their draft, wherever it is (quarantine or
        accepted), unless the draft was filed: a dossier's files are kept with it."""
        body = _object(body)
        key, draft = _text(body, "key"), _draft(body)
        if not UPLOAD_KEY.fullmatch(key) or not _in_draft(key, self.draft_tag(draft)):
            raise NotFoundError("Không có tệp này trong bản nháp của bạn.")
        if self.dossiers.filed_under(lookup_secret.idempotency_hash(draft)) is not None:
            raise ActionNotAllowedError("Tệp đã được nộp kèm hồ sơ nên không xóa được.")
        self.uploads.remove(key)
        return {"key": key, "deleted": True}

    def draft_tag(self, draft: str) -> str:
        """The start of the names of a draft's upload keys: an HMAC of the draft's key."""
        digest = hmac.new(self.secret_key, f"draft:{draft}".encode(), "sha256").digest()
        return base64.urlsafe_b64encode(digest).decode()[:OWNED_TAG]

    def _limit(self, action: str, client: str) -> None:
        if self.rates is not None:
            self.rates.check(action, client)

    def _target(
        self,
        folder: str,
        key_name: str,
        slot: dict[str, Any],
        body: dict[str, Any],
        errors: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A signed upload target for one file of `slot` under `folder/key_name.<ext>`; `errors`
        found in the request before, refused together with the file's."""
        content_type = _text(body, "content_type")
        size = body.get("size")
        allowed = {forms.FILE_TYPES[kind].content_type: kind for kind in slot["accept"]}
        errors = dict(errors or {})
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
        key = f"{folder}/{key_name}.{extension}"
        target = self.uploads.target(
            key, content_type=content_type, max_bytes=slot["max_bytes"], expires_in=self.upload_ttl
        )
        return {**asdict(target), "max_bytes": slot["max_bytes"]}

    def verify_upload(self, body: Any) -> dict[str, Any]:
        """Checks the stored file before any submission may reference it: size, type and magic
        bytes, then a malware scan and its structure (`_inspect`)."""
        key = _text(_object(body), "key")
        if not UPLOAD_KEY.fullmatch(key):
            raise ValidationFailedError(fields={"/key": "Mã tệp không hợp lệ."})
        code, slot_id, name = key.split("/")
        if self.uploads.is_accepted(key):
            return {"key": key, "accepted": True}
        if slot_id in DOSSIER_SLOTS:
            slot = DOSSIER_SLOTS[slot_id]
        else:
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
            self._refuse(key, problem)
        size, sha256 = self._inspect(key, kind)
        # Only what was verified: not a file uploaded again to the same target meanwhile.
        self.uploads.accept(key, sha256=sha256)
        return {"key": key, "accepted": True, "size": size}

    def _inspect(self, key: str, kind: str) -> tuple[int, str]:
        """Scans the quarantined file for malware, then checks its structure (filecheck): a
        refused file is deleted (422); one the scanner could not see stays in quarantine (503).
        An image is replaced by its re-encoding. Returns the size and SHA-256 of what was
        verified, the content to accept."""
        # Imported here: pypdf and Pillow take ~55 ms to import, which only a verify needs, not
        # every cold start (bench/api_bench.py's `import app` goal).
        from . import filecheck

        with contextlib.ExitStack() as stack:
            source: IO[bytes] = stack.enter_context(self.uploads.read(key))
            if not source.seekable():  # S3: parsing needs to seek, so a local copy first
                copy = stack.enter_context(tempfile.SpooledTemporaryFile(SPOOL_BYTES))
                shutil.copyfileobj(source, copy, SPOOL_CHUNK)
                source = copy
            source.seek(0)
            found = self.scanner.scan(source)
            if found:
                self._refuse(key, f"Tệp có mã độc: {found}")
            source.seek(0)
            try:
                cleaned = filecheck.check(kind, source)
            except filecheck.UnsafeFileError as error:
                self._refuse(key, str(error))
            if cleaned is None:
                source.seek(0)
                digest, size = hashlib.sha256(), 0
                while chunk := source.read(SPOOL_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                return size, digest.hexdigest()
        self.uploads.replace(key, cleaned)
        return len(cleaned), hashlib.sha256(cleaned).hexdigest()

    def _refuse(self, key: str, problem: str) -> NoReturn:
        self.uploads.reject(key)
        raise ValidationFailedError(problem, fields={"/key": problem})

    # --- submissions ---------------------------------------------------------------------------

    def submit(
        self, body: Any, idempotency_key: str | None, client: str = "unknown"
    ) -> dict[str, Any]:
        self._limit(SUBMIT, client)
        if not idempotency_key or not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
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
        tag = self.draft_tag(idempotency_key)
        for slot_id, keys in uploads.items():
            for index, key in enumerate(keys):
                if not _in_draft(key, tag):
                    errors.setdefault(f"/uploads/{slot_id}/{index}", OTHER_DRAFT)
        unknown = set(body) - {"procedure", "answers", "uploads", "office", "notify"}
        errors.update({f"/{k}"[:100]: forms.MESSAGES["unknown"] for k in unknown})
        contact, contact_errors = outbox.check_contact(body.get("notify"))
        errors.update(contact_errors)
        office, office_error = self._office(version, body.get("office"))
        if office_error:
            errors["/office"] = office_error
        if errors:
            raise ValidationFailedError(fields=errors)
        secret = lookup_secret.new()
        # Where it is processed, decided now and recorded with it (docs/ban-giao.md).
        target = self.registrations.target(office["id"], code)
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
            secret_hash=lookup_secret.hash_secret(secret),
            secret_sealed=lookup_secret.seal(secret, idempotency_key),
            received_at=received.isoformat(timespec="seconds"),
            due_at=self._due(version, received),
            contact=contact,
            handed_to=target.id if target else "",
        )
        request_hash = hashlib.sha256(_canonical(body).encode()).hexdigest()
        stored = self.dossiers.create(
            dossier,
            idempotency_key=lookup_secret.idempotency_hash(idempotency_key),
            request_hash=request_hash,
            deliveries=self._receipt_notices(dossier, received),
        )
        # A retry gets the dossier stored the first time, and so that time's secret.
        if stored.dossier is not dossier:
            sealed = stored.dossier.secret_sealed
            secret = (
                lookup_secret.unseal(sealed, idempotency_key)
                if sealed
                else self._legacy_secret(idempotency_key)  # filed before secrets were random
            )
        secret = lookup_secret.display(secret)
        return {
            **self.view(stored),
            "secret": secret,
            "receipt": receipt.receipt(self.public_url, stored.code, secret),
        }

    def _office(self, version: dict[str, Any], chosen: Any) -> tuple[dict[str, Any], str]:
        """The office the applicant chose, if the version accepts it; else an error message."""
        if not isinstance(chosen, str) or not chosen:
            return {}, "Chọn nơi nộp hồ sơ."
        # Without a commune, the offices depend only on the implementing agency, and the bundle
        # does not change: worked out once per agency.
        agency = version["agencies"]["implementing"][0]
        accepted = self._accepting.get(agency)
        if accepted is None:
            accepted = {o["id"]: o for o in self.bundle.offices_for(version)}
            self._accepting[agency] = accepted
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

    def _legacy_secret(self, idempotency_key: str) -> str:
        """The secret of a dossier filed before secrets were random, for a retry of it."""
        digest = hmac.new(self.secret_key, b"lookup:" + idempotency_key.encode(), "sha256")
        return base64.b32encode(digest.digest()[:15]).decode().lower()

    # --- a lookup secret issued again ------------------------------------------------------------

    def resend_secret(self, body: Any, client: str = "unknown") -> dict[str, Any]:
        """Issues a new lookup secret for a dossier filed with a contact and sends it there
        (outbox.py): its hash is stored in the transaction that queues the message. The filing's
        secret keeps working beside it (anyone who knows a code may ask, so a request must never
        lock the applicant out); a later request replaces the re-issued one. The answer is the
        same whether or not the code exists or has a contact, and so is the work up to the
        store's read (one new secret and its argon2id hash every time). Rate-limited per client,
        for everyone and per code."""
        self._limit(RESEND, client)
        body = _object(body)
        code = _text(body, "code").strip()
        unknown = set(body) - {"code"}
        if unknown:
            raise ValidationFailedError(
                fields={f"/{k}"[:100]: forms.MESSAGES["unknown"] for k in unknown}
            )
        self._limit(RESEND_CODE, code)
        secret = lookup_secret.new()
        secret_hash = lookup_secret.hash_secret(secret)
        for _ in range(3):  # a transition between the read and the write: read again
            stored = self.dossiers.get(code) if is_dossier_code(code) else None
            if stored is None or not stored.dossier.contact:
                break
            data = {**self.notice_data(stored.dossier), "secret": lookup_secret.display(secret)}
            deliveries = outbox.secret_resend(
                stored.code,
                stored.dossier.contact,
                office=stored.dossier.office,
                data=data,
                now=self.now().timestamp(),
                nonce=secrets.token_hex(4),
            )
            try:
                self.dossiers.replace_secret(
                    stored.code,
                    expected_version=state_of(stored).version,
                    secret_hash=secret_hash,
                    deliveries=deliveries,
                )
            except VersionConflictError:
                continue
            break
        return {"ok": True, "message": RESENT}

    # --- the applicant's status view and actions ----------------------------------------------

    def lookup(self, code: str, secret: str | None, client: str) -> dict[str, Any]:
        return self.view(self.authorised(code, secret, client))

    def receipt_qr(self, code: str, secret: str | None, client: str) -> str:
        """The receipt's QR code (SVG), for whoever holds the dossier's secret."""
        stored = self.authorised(code, secret, client)
        shown = lookup_secret.display(lookup_secret.parse(secret))
        return receipt.receipt_qr(self.public_url, stored.code, shown)

    def supplement_target(
        self, code: str, secret: str | None, client: str, body: Any
    ) -> dict[str, Any]:
        """An upload target for one supplement file, under a key this dossier owns; only while
        the office waits for a supplement."""
        stored = self.authorised(code, secret, client)
        if "supplement" not in workflow.allowed(state_of(stored), APPLICANT.roles):
            raise ActionNotAllowedError("Hồ sơ không ở trạng thái chờ bổ sung giấy tờ.")
        self._limit(UPLOAD, client)
        return self.owned_target(stored, "bo-sung", _object(body))

    def applicant_act(
        self,
        code: str,
        secret: str | None,
        client: str,
        action: str,
        body: Any,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """`supplement` or `withdraw`, by whoever holds the lookup secret: the new status view."""
        stored = self.authorised(code, secret, client)
        if (
            action not in workflow.ACTIONS
            or workflow.APPLICANT not in workflow.ACTIONS[action].roles
        ):
            raise ActionNotAllowedError("Người nộp hồ sơ chỉ được bổ sung hoặc rút hồ sơ.")
        version, data = action_body(body)
        if action == "supplement" and action in workflow.allowed(state_of(stored), APPLICANT.roles):
            self.check_owned(stored, "bo-sung", data.get("uploads"), "/uploads")
        if stored.dossier.handed_to:  # the province's system decides: sent there, not applied
            return self._forward(stored, action, version, data, request_id)
        stored = self.transition(stored, action, version, data, APPLICANT, request_id, self.view)
        return self.view(stored)

    def _forward(
        self,
        stored: StoredDossier,
        action: str,
        version: int,
        data: dict[str, Any],
        request_id: str | None,
    ) -> dict[str, Any]:
        """The applicant's `action` on a handed-over dossier, as a `forward` event and its
        webhook (notices): once while the province's system has not answered the last one."""
        if stored.dossier.handed_to not in self.registrations.clients:  # no longer configured
            raise ActionNotAllowedError(
                "Hệ thống giải quyết TTHC của tỉnh đang giữ hồ sơ này hiện không nhận được yêu"
                " cầu qua MotCua; hãy liên hệ Bộ phận Một cửa của cơ quan tiếp nhận."
            )
        hashed = lookup_secret.idempotency_hash(request_id) if request_id else None
        if not _made(stored, "forward", hashed) and action in pending_requests(stored):
            raise ActionNotAllowedError(
                f"Yêu cầu “{workflow.ACTIONS[action].label}” đã được gửi tới hệ thống giải quyết"
                " TTHC của tỉnh; trạng thái hồ sơ thay đổi khi hệ thống đó xử lý."
            )
        data = {**data, "request": action}
        stored = self.transition(stored, "forward", version, data, APPLICANT, request_id, self.view)
        handed = handover.handed_over(stored.dossier, self.registrations)
        name = handed["name"] if handed else ""
        return {
            **self.view(stored),
            "message": f"Yêu cầu “{workflow.ACTIONS[action].label}” đã được gửi tới {name}."
            " Trạng thái hồ sơ chỉ thay đổi khi hệ thống đó xử lý và báo lại.",
        }

    def authorised(self, code: str, secret: str | None, client: str) -> StoredDossier:
        """The dossier `code` if `secret` is its lookup secret. A secret that cannot be one (its
        shape, its check character) is a 422 that counts as no guess: it depends on the typed
        text only. A wrong code and a wrong secret get the same answer in the same time (one
        slow hash either way), and a client, a code or the whole site past its failures is
        refused before anything."""
        if not secret:
            raise SecretRequiredError()
        try:
            canonical = lookup_secret.parse(secret)
        except lookup_secret.MalformedSecretError as error:
            raise ValidationFailedError(
                str(error), fields={"/headers/X-Lookup-Secret": str(error)}
            ) from None
        self.limiter.check(client, code)
        stored = self.dossiers.get(code) if is_dossier_code(code) else None
        if not _opens(stored, canonical):
            self.limiter.fail(client, code)
            raise NotFoundError("Không tìm thấy hồ sơ với mã và mã tra cứu này.")
        assert stored is not None
        return stored

    # --- transitions ---------------------------------------------------------------------------

    def transition(
        self,
        stored: StoredDossier,
        action: str,
        version: int,
        data: dict[str, Any],
        actor: workflow.Actor,
        request_id: str | None,
        view: Callable[[StoredDossier], dict[str, Any]],
    ) -> StoredDossier:
        """Applies `action` to the dossier as it was at `version` and stores the result only if
        nobody acted since; else StaleDossierError carrying `view` of the fresh dossier. A retry
        with the same `request_id` (Idempotency-Key) after a lost response gets the dossier as
        it is now instead of a conflict."""
        if request_id is not None and not IDEMPOTENCY_KEY.match(request_id):
            raise ApiError(
                "Tiêu đề Idempotency-Key không hợp lệ (8–100 ký tự chữ, số, - hoặc _).",
                fields={"/headers/Idempotency-Key": "Không hợp lệ."},
            )
        if request_id is not None:  # stored hashed, as a submission's key is
            request_id = lookup_secret.idempotency_hash(request_id)
        if _made(stored, action, request_id):
            return stored
        if action != "forward":  # a handed-over dossier moves only by its system's reports
            handover.refuse_local(stored.dossier)
        state = state_of(stored)
        if version != state.version:
            raise StaleDossierError(view(stored))
        rules = self.bundle.rules(self.procedure_version(stored.dossier))
        nxt, event = workflow.apply(
            state,
            action,
            data,
            actor=actor,
            at=self.now(),
            rules=rules,
            calendar=self.bundle.calendar,
            request_id=request_id,
        )
        try:
            return self.dossiers.transition(
                stored.code,
                expected_version=version,
                event=event,
                state=nxt,
                deliveries=self.notices(stored, event),
            )
        except VersionConflictError:
            fresh = self.dossiers.get(stored.code)
            if fresh is None:
                raise NotFoundError() from None
            if _made(fresh, action, request_id):
                return fresh
            raise StaleDossierError(view(fresh)) from None

    def _receipt_notices(
        self, dossier: NewDossier, received: dt.datetime
    ) -> Callable[[str], list[Delivery]] | None:
        """The receipt's deliveries once storage gives the code, and the hand-over's webhook if
        the dossier goes to a province's system; None when there is neither."""
        makers = []
        if dossier.contact:
            data = self.notice_data(dossier)
            made = outbox.receipt(
                dossier.contact, office=dossier.office, data=data, now=received.timestamp()
            )
            makers.append(made)
        client = self.registrations.clients.get(dossier.handed_to)
        if client is not None:
            office = self.bundle.office(dossier.office)
            makers.append(
                handover.filing(
                    client,
                    dossier,
                    office={key: office[key] for key in ("id", "identifier", "name")},
                    procedure_name=self._procedure_name(dossier),
                    now=received.timestamp(),
                )
            )
        if not makers:
            return None
        return lambda code: [delivery for make in makers if make for delivery in make(code)]

    def notices(self, stored: StoredDossier, event: dict[str, Any]) -> list[Delivery]:
        """What `event` tells the applicant, for the contact given at filing (outbox.py), also
        when a province's system reported it (handover_events.py); an applicant's request on a
        handed-over dossier (`forward`) is a webhook to that system."""
        sent: list[Delivery] = []
        client = self.registrations.clients.get(stored.dossier.handed_to)
        if event["action"] == "forward" and client is not None:
            now = self.now().timestamp()
            sent += handover.forwarded(client, stored.code, stored.dossier.office, event, now)
        contact = stored.dossier.contact
        if not contact:
            return sent
        return sent + outbox.after_event(
            stored.code,
            contact,
            office=stored.dossier.office,
            event=event,
            data=self.notice_data(stored.dossier),
            now=self.now().timestamp(),
        )

    def notice_data(self, dossier: NewDossier) -> dict[str, Any]:
        """What every notification may name (templates/notify/): never the lookup secret."""
        office = self._office_view(dossier.office)
        return {
            "procedure_name": self._procedure_name(dossier),
            "office_name": office["name"] if office else "Cơ quan tiếp nhận",
            "received_at": dossier.received_at,
            "due_at": dossier.due_at,
            "status_url": f"{self.public_url}/tra-cuu/",
        }

    def procedure_version(self, dossier: NewDossier) -> dict[str, Any]:
        """The procedure version the dossier was filed under (its rules and its form)."""
        version = self.bundle.filed_version(dossier.procedure, dossier.version)
        if version is None:
            raise NotFoundError("Không tìm thấy phiên bản thủ tục của hồ sơ này.")
        return dict(version)

    # --- files a dossier owns ------------------------------------------------------------------

    def owned_key(self, stored: StoredDossier, slot: str) -> str:
        """The start of the keys of `slot`'s files of this dossier: `<procedure>/<slot>/<tag>`."""
        digest = hmac.new(self.secret_key, f"{slot}:{stored.code}".encode(), "sha256").digest()
        tag = base64.urlsafe_b64encode(digest).decode()[:OWNED_TAG]
        return f"{stored.dossier.procedure}/{slot}/{tag}"

    def owned_target(
        self, stored: StoredDossier, slot: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        folder, tag = self.owned_key(stored, slot).rsplit("/", 1)
        return self._target(folder, tag + secrets.token_urlsafe(12), DOSSIER_SLOTS[slot], body)

    def check_owned(self, stored: StoredDossier, slot: str, keys: Any, pointer: str) -> None:
        """ValidationFailedError unless `keys` are 1 to MAX_OWNED_FILES verified files uploaded
        for this dossier's `slot`."""
        prefix = self.owned_key(stored, slot)
        if (
            not isinstance(keys, list)
            or not 1 <= len(keys) <= MAX_OWNED_FILES
            or not all(
                isinstance(key, str)
                and key.startswith(prefix)
                and UPLOAD_KEY.fullmatch(key)
                and self.uploads.is_accepted(key)
                for key in keys
            )
        ):
            raise ValidationFailedError(
                fields={pointer: "Tải lên (và chờ kiểm tra xong) tệp của chính hồ sơ này."}
            )

    # --- views ---------------------------------------------------------------------------------

    def view(self, stored: StoredDossier) -> dict[str, Any]:
        """The applicant's status view (docs/lifecycle.md, API): where the dossier stands, its
        timeline, what the applicant must do now and may do."""
        dossier, state = stored.dossier, state_of(stored)
        pending = pending_requests(stored)
        return {
            "code": stored.code,
            "procedure": dossier.procedure,
            "procedure_name": self._procedure_name(dossier),
            "procedure_version": dossier.version,
            "channel": dossier.channel,
            "office": self._office_view(dossier.office),
            "received_at": dossier.received_at,
            "status": state.status,
            "status_label": STATUSES[state.status],
            "stage": state.stage,
            "unit": state.unit,
            "unit_label": workflow.UNITS.get(state.unit, ""),
            "due_at": state.due_at,
            "accepted_at": state.received_at,
            "clock_stopped_at": state.clock_stopped_at,
            "finished_at": state.finished_at,
            "outcome": state.outcome,
            "outcome_label": workflow.OUTCOMES.get(state.outcome or "", None),
            "version": state.version,
            "timeline": timeline(stored),
            "todo": None if "supplement" in pending else self._todo(stored, state),
            "actions": [
                action
                for action in workflow.allowed(state, APPLICANT.roles)
                if action != "forward" and action not in pending  # forward: how, not what
            ],
            "handed_over": handover.handed_over(dossier, self.registrations),
        }

    def _todo(self, stored: StoredDossier, state: State) -> dict[str, Any] | None:
        """What the applicant must do now, from the event that asked for it; an electronic
        result comes with a short-lived link to it."""
        last: dict[str, Any] = {}
        for event in stored.events:
            action = event["action"]
            if action == "mirror":  # reported by a province's system (handover_events.py)
                action = MIRRORED_ASKS.get(event["data"].get("status"), action)
            last[action] = event.get("data", {})
        if state.status == 5:
            asked = last.get("request_supplement", {})
            return {
                "kind": "supplement",
                "items": asked.get("items", []),
                "reason": asked.get("reason"),
            }
        if state.status == 6:
            return {"kind": "payment", "amount": last.get("request_payment", {}).get("amount")}
        if state.status == 9:
            return {"kind": "collect", "method": None}
        if state.status == 10:
            returned = last.get("return_result", {})
            method = returned.get("method")
            todo = {
                "kind": "collect",
                "method": method,
                "label": workflow.RETURN_METHODS.get(method),
            }
            if returned.get("result_file"):
                key = returned["result_file"]
                filename = f"{stored.code}-ket-qua.{key.rsplit('.', 1)[-1]}"
                todo["download"] = self.uploads.download_url(
                    key, filename=filename, expires_in=self.upload_ttl
                )
            return todo
        return None

    def _office_view(self, office_id: str) -> dict[str, str] | None:
        """{id, name} of the receiving office; None for a dossier filed before offices existed
        or with an office a later catalogue no longer has."""
        try:
            office = self.bundle.office(office_id)
        except NotFoundError:
            return None
        return {"id": office["id"], "name": office["name"]}

    def _procedure_name(self, dossier: NewDossier) -> str:
        version = self.bundle.filed_version(dossier.procedure, dossier.version)
        return version["name"] if version else ""


# What a status reported by a province's system asks of the applicant, as the action here that
# asks it (the list of what is missing, the amount).
MIRRORED_ASKS = {5: "request_supplement", 6: "request_payment"}


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


class StaleDossierError(VersionConflictError):
    """409 version_conflict with the dossier as it is now, so the client shows it at once."""

    def __init__(self, dossier: dict[str, Any]):
        super().__init__()
        self.dossier = dossier

    def body(self) -> dict[str, Any]:
        return {**super().body(), "dossier": self.dossier}


def secret_hashes_of(stored: StoredDossier | None) -> list[str | None]:
    """The hashes a lookup secret is checked against: the filing's (NewDossier.secret_hash) and,
    once one was issued again (resend_secret), that one (State.secret_hash). [None] for no
    dossier: one check against a dummy hash, as for a wrong secret."""
    if stored is None:
        return [None]
    reissued = state_of(stored).secret_hash
    return [stored.dossier.secret_hash, *([reissued] if reissued else [])]


def _opens(stored: StoredDossier | None, secret: str) -> bool:
    """Whether `secret` is one of the dossier's lookup secrets. Every hash is checked (no
    short cut), so the time says nothing about which one matched."""
    results = [
        lookup_secret.verify(stored_hash, secret) for stored_hash in secret_hashes_of(stored)
    ]
    return any(results)


def state_of(stored: StoredDossier) -> State:
    """Where a stored dossier stands (its state as filed until the first transition)."""
    return stored.state or workflow.initial_state(stored.dossier)


def action_body(body: Any) -> tuple[int, dict[str, Any]]:
    """`{version, data}` of an action request."""
    body = _object(body)
    version, data = body.get("version"), body.get("data", {})
    errors = {}
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        errors["/version"] = "Gửi kèm số phiên bản (version) của hồ sơ đang xem."
    if not isinstance(data, dict):
        errors["/data"] = "Phải là một đối tượng JSON."
    unknown = set(body) - {"version", "data"}
    errors.update({f"/{k}"[:100]: forms.MESSAGES["unknown"] for k in unknown})
    if errors:
        raise ValidationFailedError(fields=errors)
    return version, data


def timeline(stored: StoredDossier, *, actors: bool = False) -> list[dict[str, Any]]:
    """The filing, then one entry per event, in plain Vietnamese; `actors` adds who acted (for
    officers; the applicant sees the unit)."""
    entries: list[dict[str, Any]] = [
        {
            "seq": 0,
            "action": "file",
            "label": FILED,
            "status": 1,
            "status_label": STATUSES[1],
            "at": stored.dossier.received_at,
            "unit_label": "",
            "due_at": stored.dossier.due_at,
            "data": {},
        }
    ]
    for event in stored.events:
        data = {k: v for k, v in event.get("data", {}).items() if k != "request_id"}
        entry = {
            "seq": event["seq"],
            "action": event["action"],
            "label": workflow.ACTIONS[event["action"]].label,
            "status": event["status"],
            "status_label": STATUSES[event["status"]],
            "at": event["at"],
            "unit_label": workflow.UNITS.get(event.get("unit") or "", ""),
            "due_at": event.get("due_at"),
            "data": data,
        }
        if actors:
            entry["actor"] = event.get("actor", {})
        entries.append(entry)
    return entries


def pending_requests(stored: StoredDossier) -> set[str]:
    """The applicant's requests (withdraw, supplement) forwarded to the province's system since
    it last reported a status: sent, not answered yet."""
    pending: set[str] = set()
    for event in stored.events:
        if event["action"] == "mirror":
            pending.clear()
        elif event["action"] == "forward":
            pending.add(event["data"]["request"])
    return pending


def _made(stored: StoredDossier, action: str, request_id: str | None) -> bool:
    """Whether an event of `stored` was made by this request (its Idempotency-Key); the same key
    for another action is a client's mistake."""
    if not request_id:
        return False
    for event in stored.events:
        if event.get("data", {}).get("request_id") == request_id:
            if event["action"] != action:
                raise IdempotencyConflictError(
                    "Khóa Idempotency-Key này đã dùng cho thao tác khác."
                )
            return True
    return False


def is_dossier_code(text: str) -> bool:
    """Whether `text` has the shape of a code storage.ports.format_code makes."""
    return DOSSIER_CODE.fullmatch(text) is not None


class FailureLimiter:
    """Refuses lookups (RateLimitedError, 429) while, in the last `window` seconds (a sliding
    window), the client has `per_client` or more failed lookups, or the dossier code asked for
    has `per_code`, or the whole site has `overall`. Failures are counted in `failures`, the
    store every app process shares (ports.LookupFailures), so N processes allow what one would.
    The per-code limit stops many addresses guessing one dossier's secret; the overall one
    bounds guessing spread over every code, and with it the store's size: a failure is recorded
    only after the checks pass, so at most `overall` (plus those in flight) are kept.

    Clients and codes are stored as HMACs under the secret key (an address is personal data; the
    HMAC cannot be reversed without the key). A successful lookup costs three reads (`check`);
    only a failure writes. The check and the record are not one atomic step, so requests in
    flight at once can overshoot: with k of them, at most a limit + k - 1 failures are answered
    in a window. On AWS, API Gateway throttling and a WAF rate rule sit in front of this."""

    OVERALL = "overall"

    def __init__(
        self,
        failures: LookupFailures,
        *,
        secret_key: bytes,
        per_client: int = 20,
        per_code: int = 50,
        overall: int = 1200,
        window: float = 600.0,
        clock: Callable[[], float] = time.time,
    ):
        self.failures, self.window, self.clock = failures, window, clock
        self.per_client, self.per_code, self.overall = per_client, per_code, overall
        self._key = hmac.digest(secret_key, b"motcua lookup client", "sha256")

    def client_id(self, client: str) -> str:
        return hmac.digest(self._key, client.encode(), "sha256")[:16].hex()  # C's one-shot HMAC

    def code_id(self, code: str) -> str:
        return "code:" + hmac.digest(self._key, b"code:" + code.encode(), "sha256")[:16].hex()

    def check(self, client: str, code: str) -> None:
        since = self.clock() - self.window
        for key, allowed in self._limits(client, code):
            if self.failures.count(key, since) >= allowed:  # the oldest leaves within a window
                raise RateLimitedError(retry_after=int(self.window))

    def fail(self, client: str, code: str) -> None:
        at = self.clock()
        for key, _allowed in self._limits(client, code):
            self.failures.add(key, at, self.window)

    def _limits(self, client: str, code: str) -> list[tuple[str, int]]:
        return [
            (self.client_id(client), self.per_client),
            (self.code_id(code), self.per_code),
            (self.OVERALL, self.overall),
        ]


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError("Nội dung yêu cầu phải là một đối tượng JSON.")
    return body


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ValidationFailedError(fields={f"/{key}": "Bắt buộc, là chuỗi ký tự."})
    return value


DRAFT_NEEDED = "Bắt buộc: mã của bản nháp (khóa Idempotency-Key mà hồ sơ sẽ nộp kèm)."


def _is_key(value: Any) -> bool:
    return isinstance(value, str) and IDEMPOTENCY_KEY.fullmatch(value) is not None


def _draft(body: dict[str, Any]) -> str:
    """The `draft` of a request: the Idempotency-Key the form's submission will carry."""
    draft = body.get("draft")
    if not isinstance(draft, str) or not _is_key(draft):
        raise ValidationFailedError(fields={"/draft": DRAFT_NEEDED})
    return draft


def _in_draft(key: str, tag: str) -> bool:
    """Whether an upload key (`<procedure>/<slot>/<name>`) was made for the draft of `tag`."""
    return key.rsplit("/", 1)[-1].startswith(tag)


def _slot(form: dict[str, Any], slot_id: str) -> dict[str, Any]:
    for _, slot in forms.slots(form):
        if slot["id"] == slot_id:
            return slot
    raise ValidationFailedError(fields={"/slot": "Biểu mẫu không có khe tải lên này."})


def _canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


__all__ = [
    "DOSSIER_SLOTS",
    "STATUSES",
    "FailureLimiter",
    "Service",
    "StaleDossierError",
    "action_body",
    "is_dossier_code",
    "state_of",
    "timeline",
]
