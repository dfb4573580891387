"""Rate limits on what fills storage: upload targets (a form's files and a supplement's) and
submissions, per client and for everyone, counted in the store every app process shares
(ports.RateCounts: the failed lookups' SQLite file, PostgreSQL or DynamoDB), so N processes
allow what one would.

Fixed windows: a key's count starts again at each window (`window` seconds, aligned on the
clock), so at a window's edge a client may get up to twice its limit in a short time; in return a
request costs one counter write, and a refusal says exactly when to come back (Retry-After: the
window's end). A client is counted before everyone: one over its own limit is refused without
using up the overall count, so one greedy client cannot stop the others.

The client is an HMAC of its address under the secret key (an address is personal data), as
for the failed lookups; an IPv6 address counts as its /64, which one subscriber usually holds
whole."""

import hmac
import ipaddress
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from .errors import RateLimitedError
from .storage.ports import RateCounts

UPLOAD = "upload"  # an upload target: a form's file, a supplement's, an office's result
SUBMIT = "submit"
# A lookup secret issued again (POST /api/dossiers/resend): per client and for everyone, and
# per dossier code typed (the "client" is then the code), so nobody can keep re-issuing one
# applicant's secret.
RESEND = "resend"
RESEND_CODE = "resend-code"
WHAT = {
    UPLOAD: "yêu cầu tải tệp",
    SUBMIT: "hồ sơ nộp",
    RESEND: "yêu cầu gửi lại mã tra cứu",
    RESEND_CODE: "yêu cầu gửi lại mã tra cứu của hồ sơ này",
}


@dataclass(frozen=True)
class Limit:
    """At most `per_client` requests of one client and `overall` of everyone per `window`
    seconds; 0 turns that limit off."""

    per_client: int
    overall: int
    window: float = 60.0


class RateLimiter:
    def __init__(
        self,
        counts: RateCounts,
        *,
        secret_key: bytes,
        limits: Mapping[str, Limit],
        clock: Callable[[], float] = time.time,
    ):
        self.counts, self.limits, self.clock = counts, dict(limits), clock
        self._key = hmac.digest(secret_key, b"motcua rate client", "sha256")
        self._remembered = lru_cache(maxsize=4096)(self._client_id)

    def client_id(self, client: str) -> str:
        """What the counts know of a client: an HMAC of its address (of its /64 for IPv6),
        remembered for the last 4,096 addresses (a client sends several requests in a row)."""
        return self._remembered(client)

    def _client_id(self, client: str) -> str:
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            address = None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
            client = str(ipaddress.ip_network(f"{address}/64", strict=False))
        return hmac.digest(self._key, client.encode(), "sha256")[:16].hex()

    def check(self, action: str, client: str) -> None:
        """Counts one `action` request of `client`; RateLimitedError (429, with Retry-After) if it
        is over the client's limit or everyone's in this window."""
        limit = self.limits.get(action)
        if limit is None:
            return
        now = self.clock()
        start = math.floor(now / limit.window) * limit.window
        retry_after = max(1, math.ceil(start + limit.window - now))
        what = WHAT.get(action, "yêu cầu")
        if limit.per_client and (
            self.counts.hit(f"{action}:{self.client_id(client)}", start, limit.window)
            > limit.per_client
        ):
            raise RateLimitedError(
                f"Có quá nhiều {what} từ địa chỉ của bạn. Vui lòng thử lại sau {retry_after} giây.",
                retry_after=retry_after,
            )
        if limit.overall and self.counts.hit(f"{action}:*", start, limit.window) > limit.overall:
            raise RateLimitedError(
                f"Hệ thống đang nhận quá nhiều {what}. Vui lòng thử lại sau {retry_after} giây.",
                retry_after=retry_after,
            )


__all__ = ["RESEND", "RESEND_CODE", "SUBMIT", "UPLOAD", "Limit", "RateLimiter"]
