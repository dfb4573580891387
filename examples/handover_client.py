"""A province's one-stop system talking to MotCua, with the Python standard library only
(docs/ban-giao.md): it receives the dossiers MotCua hands over by webhook, and the applicant's
withdrawals and supplements of them, verifies each one's signature, fetches their files through
their short-lived links and checks their SHA-256, and pushes statuses back, signed.

    python examples/handover_client.py receive --port 9000 --secret-file secret.txt
    python examples/handover_client.py push --motcua https://dichvucong.example.vn \\
        --api-key-file key.txt --secret-file secret.txt --code 11383.HCC-261207-0001 --status 2

The tests run this file's functions as the "provincial system" of tests/test_handover_http.py.
"""

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

TOLERANCE = 300  # seconds: a webhook signed longer ago (or ahead) is refused


def key_bytes(secret: str) -> bytes:
    """The HMAC key: Standard Webhooks' `whsec_<base64>` is its decoded bytes, other text UTF-8."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def _sign(secret: str, signed: bytes) -> str:
    digest = hmac.new(key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# --- receiving a dossier (MotCua -> your system) ---------------------------------------------


def verify_webhook(secret: str, headers, body: bytes, now: float | None = None) -> bool:
    """Whether a webhook is MotCua's, unchanged and recent: `webhook-signature` holds
    `v1,<base64 HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")>` (several may be
    given, separated by spaces, while a secret is being rotated)."""
    message_id = headers.get("webhook-id") or ""
    timestamp = headers.get("webhook-timestamp") or ""
    if not message_id or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE:
        return False
    expected = _sign(secret, f"{message_id}.{timestamp}.".encode() + body)
    return any(
        hmac.compare_digest(expected.encode(), given.encode())
        for given in (headers.get("webhook-signature") or "").split()
    )


def fetch_file(file: dict) -> bytes:
    """A dossier's file through its link (valid a few minutes), checked against its SHA-256."""
    with urllib.request.urlopen(file["url"], timeout=30) as answer:
        content = answer.read()
    if hashlib.sha256(content).hexdigest() != file["sha256"]:
        raise ValueError(f"{file['name']}: SHA-256 does not match")
    return content


class Inbox:
    """What a receiving system keeps: each dossier once, by the webhook's id (MotCua sends the
    same id again after a failure or a crash; the second time is not a new dossier), and each
    of the applicant's requests about one (`dossier.withdrawal_requested`,
    `dossier.supplemented` with its files) once the same way: your system decides on it and
    pushes the status that follows (7 for a withdrawal; 4 once a supplement is accepted)."""

    def __init__(self, secret: str):
        self.secret = secret
        self.dossiers: dict[str, dict] = {}  # webhook id -> the dossier
        self.requests: dict[str, dict] = {}  # webhook id -> a withdrawal or a supplement
        self.files: dict[str, bytes] = {}  # file name -> content
        self.calls = 0  # every request received, verified or not
        self.fail_next = 0  # answer 500 to this many next webhooks (tests: a failing endpoint)
        self.lock = threading.Lock()
        self.url = ""  # where it is served, once it is (`receiving`)

    def receive(self, headers, body: bytes) -> int:
        """The HTTP status to answer."""
        with self.lock:
            self.calls += 1
            if not verify_webhook(self.secret, headers, body):
                return 401
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500
            message_id = headers["webhook-id"]
            if message_id in self.dossiers or message_id in self.requests:
                return 200  # already have it
            payload = json.loads(body)
            if payload["type"] == "dossier.filed":
                for file in payload["dossier"]["files"]:
                    self.files[file["name"]] = fetch_file(file)
                self.dossiers[message_id] = payload["dossier"]
            elif payload["type"] in ("dossier.withdrawal_requested", "dossier.supplemented"):
                for file in payload.get("files", []):
                    self.files[file["name"]] = fetch_file(file)
                self.requests[message_id] = payload
            else:
                return 400  # a type this system does not know: MotCua retries, then reports
            return 200


def serve(inbox: Inbox, port: int = 0) -> http.server.ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 that passes every POST to `inbox` (in a thread of its own)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = inbox.receive(self.headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextlib.contextmanager
def receiving(secret: str, path: str = "/") -> Iterator[Inbox]:
    """An Inbox served on a free loopback port for the duration of the block; its `url` is the
    address to give MotCua (the tests' provincial system)."""
    inbox = Inbox(secret)
    server = serve(inbox)
    inbox.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()


# --- pushing a status (your system -> MotCua) --------------------------------------------------


def event_headers(api_key: str, secret: str, body: bytes, now: float | None = None) -> dict:
    """X-Api-Key, and X-MotCua-Signature over `<X-MotCua-Timestamp>.<body>`."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Api-Key": api_key,
        "X-MotCua-Timestamp": timestamp,
        "X-MotCua-Signature": _sign(secret, f"{timestamp}.".encode() + body),
    }


def status_event(code: str, status: int, *, event_id: str | None = None, **more) -> dict:
    """An event: a new id for each event (send the same id again on a retry), the DVCQG status,
    when it happened; `note`, `items` (status 5), `amount` (status 6) if you have them."""
    return {
        "id": event_id or str(uuid.uuid4()),
        "code": code,
        "status": status,
        "at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        **more,
    }


def push(
    motcua: str, api_key: str, secret: str, event: dict, *, body: bytes | None = None
) -> tuple[int, dict]:
    """POSTs `event` (or exactly `body`) to MotCua's /api/handover/events: (status, answer)."""
    body = body if body is not None else json.dumps(event, ensure_ascii=False).encode()
    request = urllib.request.Request(
        motcua.rstrip("/") + "/api/handover/events",
        data=body,
        method="POST",
        headers=event_headers(api_key, secret, body),
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    receive = commands.add_parser("receive", help="receive and verify webhooks")
    receive.add_argument("--port", type=int, default=9000)
    receive.add_argument("--secret-file", type=Path, required=True)
    send = commands.add_parser("push", help="push one status back")
    send.add_argument("--motcua", required=True, help="MotCua's address, https://...")
    send.add_argument("--api-key-file", type=Path, required=True)
    send.add_argument("--secret-file", type=Path, required=True)
    send.add_argument("--code", required=True)
    send.add_argument("--status", type=int, required=True, help="DVCQG status, 2 to 10")
    send.add_argument("--note")
    args = parser.parse_args(argv)
    secret = args.secret_file.read_text(encoding="utf-8").strip()
    if args.command == "receive":
        inbox = Inbox(secret)
        server = serve(inbox, args.port)
        print(f"receiving on http://127.0.0.1:{server.server_address[1]}/", flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            return 0
    api_key = args.api_key_file.read_text(encoding="utf-8").strip()
    extra = {"note": args.note} if args.note else {}
    event = status_event(args.code, args.status, **extra)
    status, answer = push(args.motcua, api_key, secret, event)
    print(status, json.dumps(answer, ensure_ascii=False))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
