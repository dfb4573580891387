"""What officers' sign-in needs from storage: accounts, sessions and failed attempts.

The rules (password hashing, session lifetimes, CSRF, when an account locks) live once in
chalicelib/officers.py; adapters only store and count. The embedded adapter is SQLite
(accounts_sqlite.py). On AWS an identity provider replaces this port (docs/lifecycle.md,
"Officers and identity").

Contract:
- Usernames are unique: `add` of a taken one raises UsernameTakenError and writes nothing.
- Sessions are stored only by the SHA-256 of their token; the token itself is never stored.
- `begin_attempt` checks the failures in the window and records the attempt as one atomic step,
  shared by every process on the store: of N concurrent attempts against a limit with one left,
  exactly one proceeds. An attempt counts as a failure until `succeeded` removes it.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol


class UsernameTakenError(Exception):
    """`add` of a username that exists (OfficerAuth turns it into a field error)."""


@dataclass(frozen=True)
class Account:
    id: str
    username: str  # lower case
    name: str
    password_hash: str  # an argon2 PHC string
    roles: frozenset[str]
    offices: frozenset[str]
    created_at: float  # Unix time
    disabled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


@dataclass(frozen=True)
class Session:
    token_hash: str  # SHA-256 of the cookie's token, hex
    account_id: str
    created_at: float
    last_seen: float
    expires_at: float  # absolute end, whatever the activity

    def row(self) -> tuple[str, str, float, float, float]:
        """The values in SESSION_COLUMNS' order; `Session(*row)` reads one back."""
        return (self.token_hash, self.account_id, self.created_at, self.last_seen, self.expires_at)


# The sessions table's columns in both adapters, in the order of Session's fields.
SESSION_COLUMNS = "token_hash, account_id, created_at, last_seen, expires_at"


@dataclass(frozen=True)
class Limits:
    """At most `per_username` failures for one username and `per_client` from one client
    after `since` (Unix time); a new attempt beyond either is refused."""

    since: float
    per_username: int
    per_client: int


class Accounts(Protocol):
    def add(self, account: Account) -> None: ...

    def by_username(self, username: str) -> Account | None: ...

    def by_id(self, account_id: str) -> Account | None: ...

    def set_password_hash(self, account_id: str, password_hash: str) -> None: ...

    def disable(self, username: str) -> Account | None:
        """Marks the account disabled and deletes its sessions; None for an unknown username."""
        ...

    def open_session(self, session: Session) -> None: ...

    def session(self, token_hash: str) -> Session | None: ...

    def touch_session(self, token_hash: str, last_seen: float) -> None: ...

    def close_session(self, token_hash: str) -> None: ...

    def begin_attempt(self, username: str, client: str, at: float, limits: Limits) -> int | None:
        """Records a sign-in attempt and returns its id, or None (nothing recorded) if the
        username or the client already reached its limit of failures after `limits.since`."""
        ...

    def succeeded(self, attempt: int, username: str) -> None:
        """The attempt succeeded: forget it and the username's earlier failures (not the
        client's, which may have tried other usernames)."""
        ...

    def remove_stale(
        self, *, now: float, idle_since: float, attempts_before: float, dry_run: bool = False
    ) -> tuple[int, int]:
        """Deletes the sessions that ended (`expires_at` before `now`, or no request since
        `idle_since`) and the attempts made before `attempts_before`, which no limit counts any
        more (`motcua purge`); returns how many of each. `dry_run`: only counts them."""
        ...

    def close(self) -> None:
        """Releases connections (a command's end, tests)."""
        ...
