"""SMS through an HTTP gateway (a carrier's or an aggregator's brandname SMS API): one POST of
JSON per message, authenticated by an API key header, idempotent by the delivery's id. The
contract is docs/notifications.md's; no real gateway is reachable from the test machines, so it
is tested against a local server that records requests."""

import json
import urllib.error
import urllib.request

from chalicelib.outbox import DeliveryError, Message
from chalicelib.storage.ports import Delivery


class HttpSmsSender:
    channel = "sms"

    def __init__(self, url: str, *, api_key: str, sender: str = "", timeout: float = 15.0):
        self.url, self.api_key, self.sender, self.timeout = url, api_key, sender, timeout

    def send(self, delivery: Delivery, message: Message) -> None:
        body = {"id": delivery.id, "to": delivery.to, "text": message.text.strip()}
        if self.sender:
            body["sender"] = self.sender
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body, ensure_ascii=False).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Api-Key": self.api_key,
                "Idempotency-Key": delivery.id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"SMS gateway: HTTP {error.code}") from error
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryError(f"SMS gateway: {error}") from error
