"""Email: the message both email channels send, with the delivery's id as its Message-ID, so a
message sent twice after a crash is one message to the receiving side (mail clients and list
servers drop a repeated Message-ID; the test SMTP server counts distinct ones)."""

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr

from chalicelib.outbox import Message
from chalicelib.storage.ports import Delivery


def message_id(delivery_id: str, sender: str) -> str:
    """`<code.seq.channel@sender's domain>`: the id as a dot-atom (no `:`)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "motcua.invalid"
    return f"<{delivery_id.replace(':', '.')}@{domain}>"


def email_message(delivery: Delivery, message: Message, sender: str) -> EmailMessage:
    mail = EmailMessage()
    name, address = parseaddr(sender)
    mail["From"] = Address(display_name=name, addr_spec=address) if name else address
    mail["To"] = delivery.to
    mail["Subject"] = message.subject
    mail["Message-ID"] = message_id(delivery.id, sender)
    mail["X-MotCua-Delivery"] = delivery.id
    mail.set_content(message.text)
    return mail
