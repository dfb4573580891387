"""SMS through an HTTP gateway (a carrier's or an aggregator's brandname SMS API): one POST of
JSON per message, authenticated by an API key header, idempotent by the delivery's id. The
contract is docs/notifications.md's; no real gateway is reachable from the test machines, so it
is tested against a local server that records requests."""

import json

from chalicelib.outbox import Message, post
from chalicelib.storage.ports import Delivery


class HttpSmsSender:
    channel = "sms"

    def __init__(self, url: str, *, api_key: str, sender: str = "", timeout: float = 15.0):
        self.url, self.api_key, self.sender, self.timeout = url, api_key, sender, timeout

    def send(self, delivery: Delivery, message: Message) -> None:
        body = {"id": delivery.id, "to": delivery.to, "text": message.text.strip()}
        if self.sender:
            body["sender"] = self.sender
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Api-Key": self.api_key,
            "Idempotency-Key": delivery.id,
        }
        data = json.dumps(body, ensure_ascii=False).encode()
        post(self.url, data, headers, timeout=self.timeout, who="SMS gateway")
