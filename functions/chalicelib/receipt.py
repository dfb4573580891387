"""The receipt an applicant keeps after filing: the status page's address and its QR code.

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
    url = status_url(public_url, code, secret)
    return {"status_url": url, "qr_svg": qr_svg(url, f"Mã QR tra cứu hồ sơ {code}")}
