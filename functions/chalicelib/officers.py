"""Officers' sign-in: accounts, sessions, CSRF tokens and lockout, over the `Accounts` port.

`OfficerAuth` is the seam for an identity provider (docs/lifecycle.md, "Officers and identity"):
the routes know only `login`, `current`, `check_csrf` and `logout`, and an `Officer` with roles
and offices. Embedded, accounts live in SQLite with argon2id password hashes.

- Passwords: argon2id with RFC 9106's second recommended option (t=3, 64 MiB, p=4), the one
  OWASP's cheat sheet also accepts; a hash made with other parameters is redone at the next
  successful login. An unknown username costs one hash too, so the answer takes as long.
- Sessions: a random 32-byte token in an HttpOnly, SameSite=Strict cookie; storage holds only
  its SHA-256. A session ends after `session_hours`, or `idle_minutes` without a request, or at
  logout, or when the account is disabled.
- CSRF: the token is HMAC(secret key, session token), sent by the page in X-CSRF-Token and
  compared in constant time; nothing more to store, and it dies with the session.
- Lockout: every attempt counts as a failure until it succeeds, in storage shared by all the
  server's processes. `failures_allowed` failures of one username within `lock_minutes` lock it
  until the oldest ages out; one client may fail `client_failures_allowed` times in all, across
  usernames (an office behind one address has several officers).
"""

import hashlib
import hmac
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from chalicelib.errors import (
    AccountLockedError,
    CsrfFailedError,
    LoginFailedError,
    NotAuthenticatedError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.storage.accounts import Account, Accounts, Limits, Session, UsernameTakenError
from chalicelib.workflow import ROLES

SESSION_COOKIE = "motcua_session"
COOKIE_PATH = "/api/office"
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
OFFICE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
MAX_USERNAME = 128
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 takes any length; a megabyte "password" is only a way to load us
TOUCH_EVERY = 60.0  # seconds: the idle clock is kept to the minute, not written on every request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Officer:
    id: str
    username: str
    name: str
    roles: frozenset[str]  # workflow.ROLES keys: mot_cua, chuyen_vien, lanh_dao, quan_tri
    offices: frozenset[str]  # office ids of the office register (bundle "offices")


class OfficerAuth:
    def __init__(
        self,
        accounts: Accounts,
        *,
        secret_key: bytes,
        clock: Callable[[], float] = time.time,
        session_hours: float = 8,
        idle_minutes: float = 60,
        failures_allowed: int = 5,
        client_failures_allowed: int = 20,
        lock_minutes: float = 15,
        hasher: PasswordHasher | None = None,
    ):
        if len(secret_key) < 16:
            raise ValueError("the secret key must be at least 16 bytes")
        self.accounts = accounts
        self.clock = clock
        self.session_seconds = int(session_hours * 3600)
        self.idle_seconds = idle_minutes * 60
        self.lock_seconds = lock_minutes * 60
        self.failures_allowed = failures_allowed
        self.client_failures_allowed = client_failures_allowed
        self.hasher = hasher or PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
        # Its own key, so a CSRF token is never also a valid signature of anything else.
        self._csrf_key = hmac.digest(secret_key, b"motcua officer csrf", "sha256")

    # Signing in and out

    def login(self, username: str, password: str, client: str) -> tuple[Officer, str, str]:
        """(officer, session token for the cookie, CSRF token). LoginFailedError for an unknown
        username and a wrong password alike; AccountLockedError once the username or the client
        has used up its failures."""
        # No account has a longer name (USERNAME): a longer one is only stored and logged cut.
        username = username.strip().lower()[:MAX_USERNAME]
        now = self.clock()
        limits = Limits(
            since=now - self.lock_seconds,
            per_username=self.failures_allowed,
            per_client=self.client_failures_allowed,
        )
        attempt = self.accounts.begin_attempt(username, client, now, limits)
        if attempt is None:
            log.warning("login locked out: username=%r client=%s", username, client)
            raise AccountLockedError()
        account = self.accounts.by_username(username)
        if not self._password_matches(account, password) or account is None or account.disabled:
            log.warning("login failed: username=%r client=%s", username, client)
            raise LoginFailedError()
        self.accounts.succeeded(attempt, username)
        self._rehash_if_needed(account, password)
        token = secrets.token_urlsafe(32)
        self.accounts.open_session(
            Session(
                token_hash=_digest(token),
                account_id=account.id,
                created_at=now,
                last_seen=now,
                expires_at=now + self.session_seconds,
            )
        )
        log.info("login: username=%r client=%s", username, client)
        return _officer(account), token, self.csrf(token)

    def current(self, session_token: str | None) -> tuple[Officer, str]:
        """(officer, CSRF token) of a live session; NotAuthenticatedError otherwise."""
        if not session_token or not TOKEN.fullmatch(session_token):
            raise NotAuthenticatedError()
        token_hash = _digest(session_token)
        session = self.accounts.session(token_hash)
        now = self.clock()
        if session is None or now >= session.expires_at:
            raise NotAuthenticatedError()
        if now - session.last_seen >= self.idle_seconds:
            self.accounts.close_session(token_hash)
            raise NotAuthenticatedError()
        account = self.accounts.by_id(session.account_id)
        if account is None or account.disabled:
            raise NotAuthenticatedError()
        if now - session.last_seen >= TOUCH_EVERY:
            self.accounts.touch_session(token_hash, now)
        return _officer(account), self.csrf(session_token)

    def csrf(self, session_token: str) -> str:
        return hmac.new(self._csrf_key, session_token.encode(), "sha256").hexdigest()

    def check_csrf(self, session_token: str | None, header: str | None) -> None:
        """CsrfFailedError unless `header` is the CSRF token of `session_token`. It says nothing
        of the session itself: a route calls `current` too."""
        if not session_token or not header:
            raise CsrfFailedError()
        if not hmac.compare_digest(self.csrf(session_token).encode(), header.encode()):
            raise CsrfFailedError()

    def logout(self, session_token: str | None) -> None:
        if session_token and TOKEN.fullmatch(session_token):
            self.accounts.close_session(_digest(session_token))

    # Managing accounts (the `motcua` admin command, chalicelib/admin/accounts.py)

    def create(
        self,
        *,
        username: str,
        name: str,
        password: str,
        roles: Iterable[str],
        offices: Iterable[str],
    ) -> Officer:
        """A new account; ValidationFailedError listing every problem with the input."""
        username = username.strip().lower()
        account = Account(
            id=uuid.uuid4().hex,
            username=username,
            name=" ".join(name.split()),
            password_hash="",
            roles=frozenset(roles),
            offices=frozenset(offices),
            created_at=self.clock(),
        )
        problems = _problems(account, password)
        if problems:
            raise ValidationFailedError(fields=problems)
        hashed = Account(**(account.as_dict() | {"password_hash": self.hasher.hash(password)}))
        try:
            self.accounts.add(hashed)
        except UsernameTakenError:
            raise ValidationFailedError(
                fields={"/username": "Tên đăng nhập này đã có người dùng."}
            ) from None
        log.info("account created: username=%r roles=%s", username, sorted(account.roles))
        return _officer(hashed)

    def disable(self, username: str) -> None:
        """Disables the account and ends its sessions; NotFoundError for an unknown username."""
        if self.accounts.disable(username.strip().lower()) is None:
            raise NotFoundError("Không có tài khoản này.")
        log.info("account disabled: username=%r", username)

    # Helpers

    def _password_matches(self, account: Account | None, password: str) -> bool:
        if len(password) > MAX_PASSWORD:
            return False
        stored = self._dummy_hash if account is None else account.password_hash
        try:
            return bool(self.hasher.verify(stored, password)) and account is not None
        except (VerificationError, InvalidHashError):
            return False

    @cached_property
    def _dummy_hash(self) -> str:
        """Checked against when the username is unknown, so that answer takes as long."""
        return self.hasher.hash(secrets.token_urlsafe(16))

    def _rehash_if_needed(self, account: Account, password: str) -> None:
        if self.hasher.check_needs_rehash(account.password_hash):
            self.accounts.set_password_hash(account.id, self.hasher.hash(password))
            log.info("password rehashed with current parameters: username=%r", account.username)


def _problems(account: Account, password: str) -> dict[str, str]:
    problems = {}
    if not USERNAME.fullmatch(account.username):
        problems["/username"] = "3 đến 64 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang."
    if not account.name:
        problems["/name"] = "Nhập họ và tên."
    if len(password) < MIN_PASSWORD:
        problems["/password"] = f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự."
    elif len(password) > MAX_PASSWORD:
        problems["/password"] = f"Mật khẩu dài quá {MAX_PASSWORD} ký tự."
    elif account.username and account.username in password.lower():
        problems["/password"] = "Mật khẩu không được chứa tên đăng nhập."
    unknown = sorted(account.roles - ROLES.keys())
    if unknown or not account.roles:
        problems["/roles"] = "Chọn ít nhất một vai trò trong: " + ", ".join(ROLES) + "."
    bad_offices = [office for office in account.offices if not OFFICE_ID.fullmatch(office)]
    if bad_offices:
        problems["/offices"] = "Mã cơ quan không hợp lệ: " + ", ".join(sorted(bad_offices)) + "."
    elif not account.offices and account.roles - {"quan_tri"}:
        problems["/offices"] = "Cán bộ xử lý hồ sơ cần thuộc ít nhất một cơ quan."
    return problems


def _officer(account: Account) -> Officer:
    return Officer(
        id=account.id,
        username=account.username,
        name=account.name,
        roles=account.roles,
        offices=account.offices,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The session cookie


def session_cookie(token: str, *, secure: bool, max_age: int) -> str:
    """The Set-Cookie value for a new session: sent only to the officers' API, never to scripts."""
    attributes = [
        f"{SESSION_COOKIE}={token}",
        f"Path={COOKIE_PATH}",
        f"Max-Age={max_age}",
        "HttpOnly",
        "SameSite=Strict",
    ]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)


def clear_cookie(*, secure: bool) -> str:
    """The Set-Cookie value that makes the browser drop the session cookie."""
    return session_cookie("", secure=secure, max_age=0)


def token_from_cookie_header(header: str | None) -> str | None:
    """The session token in a Cookie header, or None. Not http.cookies, which drops every cookie
    of a header when one of them is malformed."""
    for pair in (header or "").split(";"):
        name, _, value = pair.strip().partition("=")
        if name == SESSION_COOKIE and TOKEN.fullmatch(value.strip()):
            return value.strip()
    return None
