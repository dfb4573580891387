"""Email through an SMTP server (the province's mail relay): smtplib, STARTTLS when asked, a
login when a user is set (MOTCUA_SMTP_*; docs/notifications.md)."""

import smtplib
import ssl

from chalicelib.notify.email import email_message
from chalicelib.outbox import DeliveryError, Message
from chalicelib.storage.ports import Delivery


class SmtpSender:
    channel = "email"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 30.0,
    ):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password = user, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, delivery: Delivery, message: Message) -> None:
        mail = email_message(delivery, message, self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {error}") from error
