"""Email through Amazon SES (the AWS target): SendRawEmail with the same MIME message as SMTP.
SES gives the message its own Message-ID on the wire; the delivery's id stays in the
`X-MotCua-Delivery` header, and a crash between the send and `sent` sends it again (at most once
more per lease: docs/notifications.md says so)."""

from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.notify.email import email_message
from chalicelib.outbox import DeliveryError, Message
from chalicelib.storage.ports import Delivery


class SesClient(Protocol):
    """The one call made of boto3's SES client (no SES stubs are pinned)."""

    def send_raw_email(self, **request: Any) -> Any: ...


class SesSender:
    channel = "email"

    def __init__(self, client: SesClient, *, sender: str):
        self._client = client
        self.sender = sender

    def send(self, delivery: Delivery, message: Message) -> None:
        mail = email_message(delivery, message, self.sender)
        try:
            self._client.send_raw_email(
                Source=self.sender, Destinations=[delivery.to], RawMessage={"Data": mail.as_bytes()}
            )
        except (ClientError, BotoCoreError) as error:
            raise DeliveryError(f"SES: {error}") from error
