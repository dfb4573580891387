"""Hand-over of dossiers to a province's own one-stop system (docs/ban-giao.md): where each
dossier is processed, the signed webhook that delivers it, and the signatures both ways.

A dossier's registration target is our back office unless a configured client (the province's
system) takes its office and procedure; then the filing writes a delivery of channel `webhook`
in the same transaction as the dossier (the outbox, outbox.py), and `WebhookSender` posts it
with the answers and short-lived links to the files, signed as Standard Webhooks (FormSG's
scheme): HMAC-SHA256 over `<id>.<timestamp>.<body>`, the delivery id as idempotency key. The
same client pushes statuses back through handover_events.py.

The client is recorded with the dossier (NewDossier.handed_to), and the dossier is then
processed there, not here: it is in no office's queue, every officer's action on it is refused
(HandedOverError, 409 `handed_over`), and the applicant's withdraw and supplement are not
applied but forwarded: a `forward` event (the status unchanged) written in one transaction with
a webhook delivery to the same client (`dossier.withdrawal_requested`,
`dossier.supplemented`); the status changes when that system reports it.

Clients are configuration, not catalogue data, because a secret belongs to them: a JSON file
(MOTCUA_HANDOVER_FILE) names each client's secrets, whose values come from the environment or a
directory of secret files (MOTCUA_HANDOVER_SECRETS_DIR), never from git.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import ConfigurationError
from .errors import ApiError
from .outbox import DeliveryError, Message, post
from .storage.ports import Delivery, Dossiers, NewDossier, StoredDossier, Uploads

CHANNEL = "webhook"
KIND = "handover"
TOLERANCE = 300  # seconds a signed request's timestamp may differ from our clock, both ways
LINK_TTL = 300  # seconds a file link in a webhook works (Uploads.download_url's longest)
CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
SECRET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class Client:
    """A province's one-stop system that dossiers are handed to and statuses come from."""

    id: str
    name: str
    url: str  # where the webhook is posted
    offices: frozenset[str]  # office ids (the bundle's) it processes, and may report on
    procedures: frozenset[str]  # procedure codes it takes; empty: all of those offices'
    secret: bytes  # HMAC key of both directions' signatures
    api_key: str  # what it sends as X-Api-Key

    def takes(self, office: str, procedure: str) -> bool:
        return office in self.offices and (not self.procedures or procedure in self.procedures)


class Registrations:
    """The clients, and which one (if any) a dossier is handed over to."""

    def __init__(self, clients: Sequence[Client] = ()):
        self.clients = {client.id: client for client in clients}
        for index, one in enumerate(clients):
            for other in clients[index + 1 :]:
                shared = one.offices & other.offices
                both = not one.procedures or not other.procedures
                if shared and (both or one.procedures & other.procedures):
                    raise ConfigurationError(
                        f"handover: {one.id} and {other.id} both take dossiers of"
                        f" {sorted(shared)[0]}"
                    )

    def check_offices(self, known: set[str]) -> None:
        """ConfigurationError at startup for an office id the catalogue does not have (a typo
        would silently keep its dossiers in our back office)."""
        for client in self.clients.values():
            unknown = sorted(client.offices - known)
            if unknown:
                raise ConfigurationError(f"handover: {client.id}: no office {unknown[0]!r}")

    def target(self, office: str, procedure: str) -> Client | None:
        """The client a dossier of `procedure` filed with `office` goes to; None: our back
        office."""
        return next((c for c in self.clients.values() if c.takes(office, procedure)), None)

    def by_key(self, api_key: str) -> Client | None:
        """The client whose API key this is; every key is compared, in constant time each."""
        found = None
        for client in self.clients.values():
            if hmac.compare_digest(client.api_key.encode(), api_key.encode()):
                found = client
        return found

    @classmethod
    def load(cls, path: Path, secret: Callable[[str], str]) -> "Registrations":
        """The clients of the JSON file at `path` ({"clients": [{"id", "name", "url",
        "offices", "procedures"?, "secret", "api_key"}]}, `secret` and `api_key` being names
        that `secret(name)` resolves); ConfigurationError naming what is wrong."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigurationError(f"MOTCUA_HANDOVER_FILE {path}: {error}") from error
        entries = data.get("clients") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ConfigurationError(f'{path}: expected {{"clients": [...]}}')
        return cls([_client(entry, path, secret) for entry in entries])


def _client(entry: Any, path: Path, secret: Callable[[str], str]) -> Client:
    def text(name: str, pattern: re.Pattern[str] | None = None) -> str:
        value = entry.get(name) if isinstance(entry, dict) else None
        if not isinstance(value, str) or not value or (pattern and not pattern.fullmatch(value)):
            raise ConfigurationError(f"{path}: a client needs a valid {name!r}")
        return value

    def names(name: str) -> frozenset[str]:
        value = entry.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigurationError(f"{path}: {name!r} is a list of strings")
        return frozenset(value)

    url = text("url")
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError(f"{path}: a client's url is http(s)://...")
    offices = names("offices")
    if not offices:
        raise ConfigurationError(f"{path}: client {entry.get('id')} has no offices")
    return Client(
        id=text("id", CLIENT_ID),
        name=text("name"),
        url=url,
        offices=offices,
        procedures=names("procedures"),
        secret=signing_key(secret(text("secret", SECRET_NAME))),
        api_key=secret(text("api_key", SECRET_NAME)),
    )


def secret_resolver(env: Mapping[str, str], directory: Path | None) -> Callable[[str], str]:
    """A secret by its name: the environment's MOTCUA_SECRET_<NAME> (upper case, `-` and `.` as
    `_`), else the file `<directory>/<name>` (systemd credentials, a mounted secret volume)."""

    def resolve(name: str) -> str:
        variable = "MOTCUA_SECRET_" + re.sub(r"[^A-Z0-9_]", "_", name.upper())
        if env.get(variable):
            return env[variable].strip()
        if directory is not None:
            try:
                value = (directory / name).read_text(encoding="utf-8").strip()
            except OSError:
                value = ""
            if value:
                return value
        raise ConfigurationError(f"handover secret {name!r}: set {variable} or a file of that name")

    return resolve


def load_registrations(
    path: Path | None, secrets_dir: Path | None, env: Mapping[str, str] | None = None
) -> Registrations:
    """The configured clients; none (every dossier to our back office) without a file."""
    if path is None:
        return Registrations()
    resolve = secret_resolver(os.environ if env is None else env, secrets_dir)
    return Registrations.load(path, resolve)


# --- signatures ------------------------------------------------------------------------------


def signing_key(secret: str) -> bytes:
    """A secret as HMAC key: Standard Webhooks' `whsec_<base64>` is its decoded bytes, any other
    text its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error as error:
            raise ConfigurationError("a whsec_ secret must be base64") from error
    return secret.encode()


def signature(key: bytes, signed: bytes) -> str:
    """`v1,<base64 of HMAC-SHA256(key, signed)>`."""
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def webhook_headers(key: bytes, message_id: str, body: bytes, now: float) -> dict[str, str]:
    """The headers of a webhook we send (Standard Webhooks): the id is the idempotency key."""
    timestamp = str(int(now))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature(key, f"{message_id}.{timestamp}.".encode() + body),
        "Idempotency-Key": message_id,
    }


def signature_matches(key: bytes, signed: bytes, header: str) -> bool:
    """Whether one of the space-separated `v1,...` signatures of `header` signs `signed`."""
    expected = signature(key, signed)
    found = False
    for candidate in header.split():
        found |= hmac.compare_digest(candidate.encode(), expected.encode())
    return found


def event_signed(timestamp: str, body: bytes) -> bytes:
    """What a status event pushed back is signed over: `<timestamp>.<body>`."""
    return f"{timestamp}.".encode() + body


# --- a handed-over dossier here: read-only -------------------------------------------------------


class HandedOverError(ApiError):
    """An action here on a dossier the province's system processes: only that system moves it
    (its statuses come back through handover_events.py)."""

    status, code = 409, "handed_over"
    message = (
        "Hồ sơ này đã được chuyển sang hệ thống giải quyết TTHC của tỉnh và được giải quyết ở"
        " đó; trên MotCua chỉ xem được hồ sơ và trạng thái do hệ thống đó báo về."
    )


def refuse_local(dossier: NewDossier) -> None:
    """HandedOverError if the dossier was handed over at filing (NewDossier.handed_to)."""
    if dossier.handed_to:
        raise HandedOverError()


def handed_over(dossier: NewDossier, registrations: Registrations) -> dict[str, str] | None:
    """{id, name, message} of the system a dossier was handed to, for the pages; None for one
    our back office processes. A client since removed from the configuration keeps its id."""
    if not dossier.handed_to:
        return None
    client = registrations.clients.get(dossier.handed_to)
    name = client.name if client else dossier.handed_to
    return {
        "id": dossier.handed_to,
        "name": name,
        "message": f"Hồ sơ được chuyển sang {name} và được giải quyết ở đó. Trạng thái trên"
        " MotCua là trạng thái hệ thống đó báo về.",
    }


# --- the deliveries: the filing, the applicant's requests, and their sender ---------------------

FILED = "dossier.filed"
# The applicant's requests forwarded to the province's system (workflow `forward`), by request.
FORWARDED_TYPES = {
    "withdraw": "dossier.withdrawal_requested",
    "supplement": "dossier.supplemented",
}


def filing(
    client: Client, dossier: NewDossier, *, office: dict[str, Any], procedure_name: str, now: float
) -> Callable[[str], list[Delivery]]:
    """The webhook delivery of a dossier handed to `client`, once storage gives its code. Its
    data names what a later catalogue could no longer tell (the office and procedure names);
    the answers and files are read from the dossier when it is sent, the links made then."""

    def make(code: str) -> list[Delivery]:
        return [
            Delivery(
                id=f"{code}:0:{CHANNEL}",
                code=code,
                office=dossier.office,
                kind=KIND,
                channel=CHANNEL,
                to=client.id,
                data={"office": office, "procedure_name": procedure_name},
                created_at=now,
                next_at=now,
            )
        ]

    return make


def forwarded(
    client: Client, code: str, office: str, event: dict[str, Any], now: float
) -> list[Delivery]:
    """The webhook delivery of a `forward` event (the applicant's withdraw or supplement),
    written in the transaction that records it. Its data names the event; the sender reads the
    event's reason, note and files from the dossier when it sends, the links made then."""
    kind = FORWARDED_TYPES[event["data"]["request"]]
    return [
        Delivery(
            id=f"{code}:{event['seq']}:{CHANNEL}",
            code=code,
            office=office,
            kind=KIND,
            channel=CHANNEL,
            to=client.id,
            data={"type": kind, "seq": event["seq"]},
            created_at=now,
            next_at=now,
        )
    ]


def request_payload(
    delivery: Delivery, event: dict[str, Any], files: list[dict[str, Any]]
) -> dict[str, Any]:
    """The body of a forwarded request (the OpenAPI document's `webhooks`
    `dossierWithdrawalRequested`, `dossierSupplemented`)."""
    data = event["data"]
    body: dict[str, Any] = {
        "type": delivery.data["type"],
        "id": delivery.id,
        "code": delivery.code,
        "at": event["at"],
    }
    if data["request"] == "withdraw":
        body["reason"] = data.get("reason", "")
    else:
        body["note"] = data.get("note", "")
        body["files"] = files
    return body


def payload(
    delivery: Delivery, code: str, dossier: NewDossier, files: list[dict[str, Any]]
) -> dict[str, Any]:
    """The webhook's body (docs/ban-giao.md, the OpenAPI document's `webhooks.dossierFiled`)."""
    return {
        "type": FILED,
        "id": delivery.id,
        "dossier": {
            "code": code,
            "procedure": {
                "code": dossier.procedure,
                "version": dossier.version,
                "name": delivery.data.get("procedure_name", ""),
            },
            "office": delivery.data.get("office", {"id": dossier.office}),
            "channel": dossier.channel,
            "received_at": dossier.received_at,
            "due_at": dossier.due_at,
            "applicant": dossier.applicant,
            "answers": dossier.answers,
            "files": files,
        },
    }


class WebhookSender:
    """The outbox's `webhook` channel: posts a handed-over dossier to its client's system.
    Any 2xx is delivered; anything else, or no answer in `timeout`, is a DeliveryError that the
    worker retries with backoff under the same `webhook-id`."""

    channel = CHANNEL

    def __init__(
        self,
        registrations: Registrations,
        dossiers: Dossiers,
        uploads: Uploads,
        *,
        timeout: float = 15.0,
        clock: Callable[[], float] = time.time,
    ):
        self.registrations, self.dossiers, self.uploads = registrations, dossiers, uploads
        self.timeout, self.clock = timeout, clock

    def send(self, delivery: Delivery, message: Message) -> None:
        client = self.registrations.clients.get(delivery.to)
        if client is None:
            raise DeliveryError(f"hệ thống nhận {delivery.to!r} không còn trong cấu hình")
        try:  # the store or a file link failing is a failed attempt, retried
            stored = self.dossiers.get(delivery.code)
            if stored is None:
                raise DeliveryError(f"hồ sơ {delivery.code} không còn")
            content = self._content(delivery, stored)
        except ApiError as error:
            raise DeliveryError(f"{client.id}: {error.message}") from error
        body = json.dumps(content, ensure_ascii=False).encode()
        headers = webhook_headers(client.secret, delivery.id, body, self.clock())
        post(client.url, body, headers, timeout=self.timeout, who=client.id)

    def _content(self, delivery: Delivery, stored: StoredDossier) -> dict[str, Any]:
        """The body of the filing's webhook, or of a forwarded request's (its event by seq)."""
        if delivery.data.get("type", FILED) == FILED:
            files = self._files(delivery.code, stored.dossier.uploads)
            return payload(delivery, delivery.code, stored.dossier, files)
        seq = delivery.data["seq"]
        event = next((e for e in stored.events if e["seq"] == seq), None)
        if event is None:
            raise DeliveryError(f"hồ sơ {delivery.code} không có sự kiện {seq}")
        uploads = {"bo-sung": list(event["data"].get("uploads", []))}
        files = self._files(delivery.code, uploads, f"-{seq}")
        return request_payload(delivery, event, files)

    def _files(
        self, code: str, uploads: dict[str, list[str]], tag: str = ""
    ) -> list[dict[str, Any]]:
        """Each file with its size, SHA-256 and a link that works for LINK_TTL seconds."""
        files = []
        expires = self.clock() + LINK_TTL
        for slot, keys in uploads.items():
            for index, key in enumerate(keys, start=1):
                size, sha256 = self.uploads.describe(key)
                name = f"{code}-{slot}{tag}-{index}.{key.rsplit('.', 1)[-1]}"
                files.append(
                    {
                        "slot": slot,
                        "name": name,
                        "size": size,
                        "sha256": sha256,
                        "url": self.uploads.download_url(key, filename=name, expires_in=LINK_TTL),
                        "expires_at": int(expires),
                    }
                )
        return files


__all__ = [
    "CHANNEL",
    "FILED",
    "FORWARDED_TYPES",
    "KIND",
    "LINK_TTL",
    "TOLERANCE",
    "Client",
    "HandedOverError",
    "Registrations",
    "WebhookSender",
    "event_signed",
    "filing",
    "forwarded",
    "handed_over",
    "load_registrations",
    "payload",
    "refuse_local",
    "request_payload",
    "secret_resolver",
    "signature",
    "signature_matches",
    "signing_key",
    "webhook_headers",
]
