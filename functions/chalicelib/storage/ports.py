"""What the domain needs from storage. Adapters do I/O only; codes, secrets, due dates and state
changes are computed once in the domain (dossiers.py, uploads.py) and handed to the adapters.

Contract (tests/contract/ runs it against every adapter):
- Dossiers.create is atomic: the dossier, its daily sequence number and its idempotency record are
  written together or not at all; a crash between writes leaves nothing behind.
- Sequence numbers are per (agency, day), start at 1, have no gaps and no duplicates under
  concurrent creates.
- The same idempotency key with the same request hash returns the dossier stored the first time;
  with another hash it raises IdempotencyConflictError. The domain hands adapters the key's
  SHA-256 (lookup_secret.idempotency_hash), never the key itself.
- Dossiers.transition appends one event and replaces the state only if the stored state's version
  is the expected one (optimistic locking); otherwise it raises VersionConflictError and changes
  nothing. Event and state are written together or not at all.
- Dossiers.create stores workflow.initial_state(dossier) with the dossier, and get returns the
  stored State (never None) with the events in `seq` order. The initial state's head is the hash
  of the dossier as filed, so chain.verify finds a changed answer even before any event.
- Dossiers.queue lists one office's dossiers matching a QueueQuery, sorted by due date (none last),
  then code (the order of `queue_key`); Dossiers.counts counts them per status. Both leave out
  the dossiers handed over to a province's system (`State.handed_to`): that system processes
  them, not the office's officers here.
- Dossiers.codes yields every code once (for the chain verifier), in no promised order.
- Dossiers.delete removes a dossier, its events and its idempotency records together; `get`
  then answers None, a retry under its idempotency key files a new dossier.
- Dossiers.filed_under(key) is the code created with that idempotency key, None before (a form's
  draft is its submission's key: its files are then the dossier's).
- RateCounts.hit counts atomically: hits of one key from any number of processes are all counted.
- Dossiers.create and Dossiers.transition write the deliveries they are given (the transactional
  outbox, chalicelib/outbox.py) in the same transaction as the dossier or the event: both or
  neither. A retry of a create under its idempotency key writes none again.
- Outbox.claim hands a due delivery to one claimant at a time: it leases it (next_at moves past
  the lease, attempts + 1) in one atomic step, so two workers never claim one delivery at once,
  and a worker that dies leaves it to be claimed again when the lease ends.
- Ratings.add stores one rating per dossier code: a second one raises AlreadyRatedError and
  changes nothing, however many processes try at once (a unique key or a conditional write).
"""

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol


@dataclass(frozen=True)
class NewDossier:
    """Everything about a dossier except its code, which the adapter completes atomically."""

    agency: str  # agency identifier that prefixes the code
    day: str  # yyMMdd of intake, Asia/Ho_Chi_Minh
    procedure: str
    version: str  # effective_from of the procedure version it is filed under
    catalogue: str  # catalogue revision (git commit) of the bundle
    answers: dict[str, Any]
    uploads: dict[str, list[str]]  # slot id -> upload keys
    secret_hash: str  # argon2id of the lookup secret (lookup_secret.py); never the secret itself
    received_at: str  # ISO 8601 with offset
    due_at: str | None
    status: int = 1  # DVCQG code: 1 Mới đăng ký
    office: str = ""  # the receiving office's id in the office register (bundle "offices")
    applicant: str = ""  # the applicant's name as typed, for officers' queues
    channel: str = "truc_tuyen"  # truc_tiep | truc_tuyen | buu_chinh (DVCQG channels 1, 2, 3)
    # The secret sealed under the submission's idempotency key, so a retry gets it again
    # (lookup_secret.seal); "" for a dossier filed before secrets were random.
    secret_sealed: str = ""
    # Where the applicant asked to be notified ({"email", "phone"}, either optional; outbox.py):
    # stored with the body, so sealed with it where the adapter seals.
    contact: dict[str, str] = field(default_factory=dict)
    # The province's system (handover.Client id) the dossier was handed over to when it was
    # filed, "" when our back office processes it: recorded, so a later change of the
    # hand-over configuration does not move a dossier already filed (docs/ban-giao.md).
    handed_to: str = ""


def dossier_json(dossier: NewDossier) -> str:
    """The stored body of a dossier, the same for every adapter. Not dataclasses.asdict, which
    deep-copies the answers first (0.2 ms of a 0.6 ms submission) only for json to read them."""
    fields = {field.name: getattr(dossier, field.name) for field in dataclasses.fields(dossier)}
    for name in ("contact", "handed_to"):  # as dossiers filed before these were stored: their
        if not fields[name]:  # chain (the hash of the body as filed) holds
            del fields[name]
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class State:
    """Where a dossier stands, folded from its events by workflow.apply; adapters store it as is
    and index status, office, unit and due_at for the queues.

    `version` counts the events applied (0 for a new dossier): a transition names the version
    it was computed from. `head` is the hash of the last event (the chain's genesis for none)."""

    status: int = 1
    version: int = 0
    office: str = ""
    unit: str = ""  # the responsible unit inside the office (workflow.UNITS), "" before reception
    stage: str = ""  # sub-state the law needs: "", "chuyen" (handed over), "cho_thanh_toan"
    due_at: str | None = None  # ISO 8601, Asia/Ho_Chi_Minh offset: sorts as text
    received_at: str | None = None  # when an officer received the dossier (the clock started)
    clock_stopped_at: str | None = None  # set while the clock stands still
    resume_status: int | None = None  # status to return to when the clock starts again
    supplements: int = 0  # supplement requests made so far
    finished_at: str | None = None  # when the result was ready (status 9) or processing ended
    outcome: str | None = None  # truoc_han | dung_han | qua_han, set when the result is ready
    head: str = ""
    # A lookup secret issued again (POST /api/dossiers/resend) replaces the one of the filing:
    # its argon2id hash; "" while the filing's (NewDossier.secret_hash) holds. Not an event: the
    # chain records what happened to the dossier, and the hash is no part of it.
    secret_hash: str = ""
    # NewDossier.handed_to, copied at filing (workflow.initial_state) and never changed: the
    # stores leave a handed-over dossier out of the office's queue, as they index `office`.
    handed_to: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


@dataclass(frozen=True)
class StoredDossier:
    code: str  # <agency>-<yyMMdd>-<NNNN>
    dossier: NewDossier
    events: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    state: State | None = None  # adapters store workflow.initial_state at create: never None


@dataclass(frozen=True)
class QueueQuery:
    """One page of an office's queue. Every filter is optional; `after` is the last item's
    `cursor` of the previous page."""

    office: str
    statuses: tuple[int, ...] = ()
    procedure: str | None = None
    channel: str | None = None
    due_from: str | None = None  # due_at >= due_from (ISO)
    due_to: str | None = None  # due_at < due_to (ISO): "overdue" is due_to=now
    limit: int = 50
    after: str | None = None


@dataclass(frozen=True)
class QueueItem:
    code: str
    procedure: str
    applicant: str
    channel: str
    status: int
    unit: str
    received_at: str  # filed
    due_at: str | None
    version: int
    cursor: str  # opaque: pass as QueueQuery.after for the next page


class Dossiers(Protocol):
    def create(
        self,
        dossier: NewDossier,
        *,
        idempotency_key: str,
        request_hash: str,
        deliveries: "Callable[[str], Sequence[Delivery]] | None" = None,
    ) -> StoredDossier:
        """Stores a new dossier with the next code, or returns the one stored under this key.
        `deliveries(code)`: what to send about the new dossier, written with it."""
        ...

    def get(self, code: str) -> StoredDossier | None: ...

    def transition(
        self,
        code: str,
        *,
        expected_version: int,
        event: dict[str, Any],
        state: State,
        deliveries: "Sequence[Delivery]" = (),
    ) -> StoredDossier:
        """Appends `event` and stores `state` (and `deliveries`) if the stored version is
        `expected_version`; else VersionConflictError (or NotFoundError for an unknown code),
        nothing written. `state.version` is `expected_version + 1` and the event's `seq`
        (workflow.apply)."""
        ...

    def replace_secret(
        self,
        code: str,
        *,
        expected_version: int,
        secret_hash: str,
        deliveries: "Sequence[Delivery]",
    ) -> None:
        """Stores `secret_hash` as the state's (beside the filing's, which keeps working; it
        replaces an earlier re-issued one) and writes
        `deliveries` (the new secret for the contact), together, if the stored version is
        `expected_version`; else VersionConflictError (NotFoundError for an unknown code)."""
        ...

    def queue(self, query: QueueQuery) -> list[QueueItem]: ...

    def counts(self, office: str) -> dict[int, int]:
        """Dossiers of an office per status (statuses with none are left out)."""
        ...

    def codes(self) -> Iterator[str]:
        """Every dossier's code once, in no promised order (SQLite: code order)."""
        ...

    def delete(self, codes: list[str]) -> int:
        """Deletes these dossiers with their events and idempotency records, for good (the
        retention period has passed: `motcua purge`); unknown codes are skipped. How many were
        deleted. The (agency, day) counters stay, so a code is never handed out twice."""

    def filed_under(self, idempotency_key: str) -> str | None:
        """The code of the dossier created with this idempotency key, None if none was: one read.
        A form's draft is its submission's key, so this says whether a draft was filed (its
        uploads are then the dossier's and can no longer be deleted by the applicant)."""
        ...


@dataclass(frozen=True)
class UploadTarget:
    """Where and how the browser sends one file: an HTML form POST with these fields."""

    url: str
    fields: dict[str, str]
    key: str
    expires_at: str


class Uploads(Protocol):
    def target(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> UploadTarget:
        """A signed target scoped to exactly this key, size range and content type."""
        ...

    def size(self, key: str) -> int | None:
        """Size of the uploaded object in quarantine, None if absent."""
        ...

    def head_bytes(self, key: str, count: int) -> bytes:
        """The first `count` bytes (for magic-byte checks)."""
        ...

    def read(self, key: str) -> AbstractContextManager[BinaryIO]:
        """The whole quarantined object as a stream read in order (for parsing and scanning);
        NotFoundError if it is not in quarantine."""
        ...

    def replace(self, key: str, content: bytes) -> None:
        """Replaces a quarantined object's content, type unchanged (a re-encoded image);
        NotFoundError if it is not in quarantine."""
        ...

    def accept(self, key: str, *, sha256: str | None = None) -> None:
        """Moves a verified object out of quarantine. With `sha256` (what was verified), only
        that content: if the object was replaced since, UploadChangedError, and the replacement
        is deleted (the client uploads again) rather than accepted unverified."""
        ...

    def is_accepted(self, key: str) -> bool:
        """True once `accept` has run for this key (a submission may then reference it)."""
        ...

    def reject(self, key: str) -> None:
        """Deletes an object that failed verification."""
        ...

    def describe(self, key: str) -> tuple[int, str]:
        """(size in bytes, SHA-256 in hex) of an accepted object; NotFoundError for any other
        key, including one still in quarantine."""
        ...

    def download_url(self, key: str, *, filename: str, expires_in: int) -> str:
        """A link that serves an accepted object as an attachment named `filename`, with its
        content type, for at most `expires_in` seconds (never more than five minutes); after
        that, or altered, it answers 403. NotFoundError for a key not accepted."""
        ...

    def remove(self, key: str) -> None:
        """Deletes an upload, in quarantine or accepted (the applicant's "Xóa", purge); a
        missing one is no error."""
        ...


@dataclass(frozen=True)
class StoredObject:
    """One object of an upload store as the admin command sees it: its name in the store
    (`quarantine/<key>`, `accepted/<key>`, and `digests/<key>` for the files adapter; the object
    key in S3), its size, when it was last written (Unix time), and what S3 keeps beside the
    bytes (the content type, and the SHA-256 of an accepted object in its metadata)."""

    name: str
    size: int
    modified: float
    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class UploadStore(Protocol):
    """What `motcua backup`, `restore` and `purge` need of the upload store beyond `Uploads`:
    every object, byte for byte, and the removal of an upload nobody filed."""

    def objects(self) -> Iterator[StoredObject]:
        """Every stored object (files still arriving excluded), in no promised order."""
        ...

    def read_object(self, name: str) -> Iterator[bytes]:
        """The object's bytes, in chunks; NotFoundError (at the first) if it is gone."""
        ...

    def write_object(self, stored: StoredObject, source: Path) -> None:
        """Stores the file `source` as the object `stored.name`, with its content type and
        metadata (a restore)."""
        ...

    def remove(self, key: str) -> None:
        """Deletes an upload, in quarantine or accepted (purge); a missing one is no error."""
        ...


class LookupFailures(Protocol):
    """Failed status lookups per client, in the store every app process shares (serve.py's
    workers, a province's app servers, every Lambda container). dossiers.FailureLimiter holds
    the rule; adapters only count and record. `client` is a key the limiter chose: an HMAC of an
    address or of a dossier code, or one key for the whole site."""

    def count(self, client: str, since: float) -> int:
        """How many failures of `client` were recorded after `since` (Unix time): one read,
        nothing written (it runs on every lookup)."""
        ...

    def add(self, client: str, at: float, window: float) -> None:
        """Records a failure of `client` at `at`. It counts for `window` seconds; after that the
        adapter may delete it, and deletes expired failures itself (no background job)."""
        ...

    def prune(self, before: float, *, dry_run: bool = False) -> int:
        """Deletes the failures recorded at or before `before`, which `add` leaves behind when
        no failure follows (`motcua purge`); how many. `dry_run`: only counts them."""
        ...

    def close(self) -> None:
        """Releases connections (tests, server shutdown)."""
        ...


class RateCounts(Protocol):
    """Requests per key and fixed time window, in the store the failed lookups live in (every
    app process shares it). ratelimit.RateLimiter holds the rule; adapters only count. A key is
    `<action>:<client>` (the client an HMAC of its address) or `<action>:*` for everyone."""

    def hit(self, key: str, window_start: float, window: float) -> int:
        """Adds one to `key`'s count in the window that starts at `window_start` (Unix time) and
        lasts `window` seconds, and returns the new count: one atomic write. Counts of windows
        that ended are deleted by the adapter itself (no background job), so the store holds
        about one window's keys."""
        ...

    def close(self) -> None:
        """Releases connections (tests, server shutdown)."""
        ...


@dataclass(frozen=True)
class Delivery:
    """One message to send, in the transactional outbox (chalicelib/outbox.py has the rules).

    `id` is the idempotency key of this one delivery (`<code>:<seq>:<channel>`, seq 0 for the
    receipt): a sender passes it on (an email's Message-ID), so sending it twice after a crash
    is one message in effect. `to` and `data` are personal (an address, the template's data):
    the SQLite adapter seals them like the dossier's body."""

    id: str
    code: str
    office: str
    kind: str  # outbox.KINDS: receipt, supplement, payment, result, extension, secret
    channel: str  # email | sms
    to: str
    data: dict[str, Any]
    created_at: float  # Unix time
    next_at: float  # due at (pending), or the end of a claim's lease
    state: str = "pending"  # pending | sent | failed
    attempts: int = 0
    last_error: str = ""
    sent_at: float | None = None


def delivery_from_row(row: Sequence[Any], body: dict[str, Any]) -> Delivery:
    """A delivery from an SQL adapter's row (the outbox table's columns in their order) and its
    opened body ({"to", "data"}: delivery_body)."""
    (id_, code, office, kind, channel, _body, created, next_at, state, attempts, error, sent) = row
    return Delivery(
        id=id_,
        code=code,
        office=office,
        kind=kind,
        channel=channel,
        to=body["to"],
        data=body["data"],
        created_at=created,
        next_at=next_at,
        state=state,
        attempts=attempts,
        last_error=error,
        sent_at=sent,
    )


def delivery_body(delivery: Delivery) -> str:
    """The personal part of a delivery as the adapters store it (sealed where they seal)."""
    return json.dumps({"to": delivery.to, "data": delivery.data}, ensure_ascii=False)


class Outbox(Protocol):
    """The deliveries the dossier adapters wrote, for the worker and the back office."""

    def claim(
        self, now: float, *, channels: Sequence[str], limit: int, lease: float
    ) -> list[Delivery]:
        """Up to `limit` pending deliveries of these channels due by `now` (oldest due first),
        each leased to the caller: next_at = now + lease, attempts + 1, atomically, so no other
        claim takes it before the lease ends. Returned as stored after the claim."""
        ...

    def sent(self, delivery_id: str, at: float) -> None:
        """Marks a delivery sent (a no-op for one already sent)."""
        ...

    def failed(self, delivery_id: str, *, error: str, retry_at: float | None) -> None:
        """Records a failed attempt: pending again at `retry_at`, or `failed` for good (None)."""
        ...

    def retry(self, delivery_id: str, now: float) -> bool:
        """A failed (or pending) delivery is due again now, its attempts back to 0; False for
        an unknown or sent one."""
        ...

    def get(self, delivery_id: str) -> Delivery | None: ...

    def of_offices(
        self, offices: Sequence[str], *, states: Sequence[str], limit: int
    ) -> list[Delivery]:
        """Deliveries of these offices' dossiers in these states, oldest first (back office)."""
        ...

    def close(self) -> None: ...


NO_DUE = "~"  # stands for "no due date" in queue_key: after every ISO date


def queue_key(due_at: str | None, code: str) -> str:
    """The queues' sort key and cursor: due date (none last), then code. Every adapter indexes
    it, so an office's page is one index range: `queue_key > after`, and the due-date filters are
    `queue_key >= due_from` and `queue_key < due_to` (a due date equal to `due_to` is excluded,
    because `|` sorts after every character of an ISO date)."""
    return f"{due_at or NO_DUE}|{code}"


def format_code(agency: str, day: str, sequence: int) -> str:
    """Dossier code as provincial systems print it: 000.00.01.H26-261125-0001."""
    return f"{agency}-{day}-{sequence:04d}"


@dataclass(frozen=True)
class Rating:
    """The applicant's rating of a dossier once its result was returned (chalicelib/ratings.py):
    one per dossier. `office` and `procedure` are copied from the dossier, so the anonymised
    export (chalicelib/stats.py) reads ratings without their dossiers' personal data."""

    code: str
    office: str
    procedure: str
    at: str  # ISO 8601 with offset, Asia/Ho_Chi_Minh
    answers: dict[str, str]  # question id -> level id (ratings.QUESTIONS, ratings.LEVELS)
    comment: str = ""  # free text: never exported


class Ratings(Protocol):
    """Ratings in the store every app process shares, one per dossier."""

    def add(self, rating: Rating) -> None:
        """Stores `rating`; AlreadyRatedError (nothing written) if its dossier has one."""
        ...

    def get(self, code: str) -> Rating | None: ...

    def all(self) -> Iterator[Rating]:
        """Every rating once, in no promised order (the export)."""
        ...

    def delete(self, codes: list[str]) -> int:
        """Deletes the ratings of these dossiers (their retention period has passed: `motcua
        purge`); unknown codes are skipped. How many were deleted."""
        ...

    def close(self) -> None: ...
