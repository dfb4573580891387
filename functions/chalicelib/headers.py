"""The security headers of every response, page and API: their one home.

The embedded server adds them to whatever it sends (chalicelib/local/wsgi.py), the Chalice app to
its API responses, on Lambda as well (functions/app.py), and nginx to everything it serves
(deploy/render.py writes them into motcua-headers.conf).

The pages run no inline script, no inline event handler and no inline style (mkdocs-material's
inline scripts are in theme/assets/frame.js), so the policy is the same for every page and reply:
everything from the site's own origin, images also as data: URLs (mkdocs-material's icons), no
plugins, no <base>, no framing by anyone, forms posted only to the site.
"""

from collections.abc import Iterable

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
CONTENT_SECURITY_POLICY = "; ".join(f"{name} {value}" for name, value in CSP_DIRECTIVES.items())

# Powerful features no page uses, off for the page and anything it could embed (only features
# Chromium knows: an unknown one is a console warning on every page).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "hid",
        "midi",
        "display-capture",
        "accelerometer",
        "gyroscope",
        "magnetometer",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # frame-ancestors' older spelling, for browsers that predate it.
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def missing(present: Iterable[str]) -> list[tuple[str, str]]:
    """The security headers a response whose header names are `present` still lacks. A
    response that sets one itself keeps its own (an uploaded file's download is sandboxed:
    chalicelib/local/upload.py)."""
    names = {name.lower() for name in present}
    return [(name, value) for name, value in SECURITY_HEADERS.items() if name.lower() not in names]
