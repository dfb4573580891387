"""The receipt an applicant keeps after filing: the status page's address and its QR code.

The submission's response carries the address; the QR code is made when the receipt is shown
(GET /api/dossiers/{code}/receipt-qr, authorised by the secret as a lookup is), so filing a
dossier does not pay for it.

The lookup secret travels in the URL fragment (`#ma=...&khoa=...`): browsers never send the
fragment to a server, so it reaches no access log; the status page reads it and then removes it
from the address bar.
"""

from typing import Any
from urllib.parse import quote

STATUS_PATH = "/tra-cuu/"


def status_url(public_url: str, code: str, secret: str) -> str:
    fragment = f"ma={quote(code, safe='.-')}&khoa={quote(secret, safe='')}"
    return f"{public_url.rstrip('/')}{STATUS_PATH}#{fragment}"


def qr_svg(url: str, title: str) -> str:
    """`url` as a self-contained SVG QR code: a viewBox and no fixed size (it scales to its box),
    a white quiet zone so it scans on any background, a <title> for screen readers."""
    from . import qr  # lazily: segno is a third of `import app`, and only receipts need it

    svg = qr.svg(url, svgclass="motcua-qr", border=4, title=title, light="#fff", newline=False)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def receipt(public_url: str, code: str, secret: str) -> dict[str, Any]:
    return {"status_url": status_url(public_url, code, secret)}


def receipt_qr(public_url: str, code: str, secret: str) -> str:
    """The QR code of the receipt's status address, as SVG."""
    return qr_svg(status_url(public_url, code, secret), f"Mã QR tra cứu hồ sơ {code}")
