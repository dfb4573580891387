"""Test doubles that are real servers: an SMTP server (aiosmtpd) that keeps what it receives and
can refuse the first messages, and an HTTP server standing for an SMS gateway that records each
request and answers the status the test sets. Both on free loopback ports, in threads."""

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.services import free_ports


@dataclass
class Inbox:
    """What the SMTP server received; `refuse` messages are answered 451 (try again) first."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: int = 0
    refused: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse > self.refused:
            self.refused += 1
            return "451 4.3.0 Hộp thư tạm thời không nhận, thử lại sau"
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    (port,) = free_ports(1)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class Gateway:
    """What the SMS gateway received: (headers, JSON body) per request; answers `statuses` in
    turn, then 200."""

    requests: list[tuple[dict[str, str], dict]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    url: str = ""


@contextmanager
def sms_gateway() -> Iterator[Gateway]:
    gateway = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            gateway.requests.append((dict(self.headers.items()), body))
            status = gateway.statuses.pop(0) if gateway.statuses else 200
            answer = json.dumps({"id": body.get("id"), "accepted": status == 200}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
