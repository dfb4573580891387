"""OfficerAuth: sign-in, sessions, CSRF and lockout, with a fake clock, on each Accounts adapter:
a real SQLite file (embedded) and a throw-away PostgreSQL database (province).

Hashes use cheap argon2 parameters (the production ones cost 0.1 s each); one test checks that
the default hasher is RFC 9106's second recommendation.
"""

import hashlib
import logging
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from chalicelib.errors import (
    AccountLockedError,
    CsrfFailedError,
    LoginFailedError,
    NotAuthenticatedError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.officers import (
    SESSION_COOKIE,
    Officer,
    OfficerAuth,
    clear_cookie,
    session_cookie,
    token_from_cookie_header,
)
from chalicelib.storage.accounts_postgres import PostgresAccounts
from chalicelib.storage.accounts_sqlite import SqliteAccounts
from tests.contract.conftest import POSTGRES, postgres_cluster  # noqa: F401 (a fixture)

SECRET = b"officer-tests-secret-key"
PASSWORD = "mat-khau-du-dai-1"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, *, minutes: float = 0, hours: float = 0) -> None:
        self.now += minutes * 60 + hours * 3600


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["embedded", POSTGRES])
def accounts(request, tmp_path: Path):
    if request.param == "embedded":
        store = SqliteAccounts(tmp_path / "officers.sqlite3")
        yield store
        store.close()
        return
    cluster = request.getfixturevalue("postgres_cluster")
    dsn = cluster.new_database()
    store = PostgresAccounts(dsn)
    yield store
    store.close()
    cluster.drop(dsn)


def stored_bytes(accounts, tmp_path: Path) -> bytes:
    """Everything the adapter stored, as bytes (after closing it)."""
    accounts.close()
    if isinstance(accounts, SqliteAccounts):
        return b"".join(path.read_bytes() for path in tmp_path.glob("officers.sqlite3*"))
    with psycopg.connect(accounts.conninfo) as conn:
        rows = conn.execute(
            "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM accounts) t"
            " UNION ALL SELECT string_agg(t::text, ' ') FROM (SELECT * FROM sessions) t"
        ).fetchall()
    return " ".join(str(row[0]) for row in rows).encode()


def make_auth(accounts, clock, **overrides) -> OfficerAuth:
    return OfficerAuth(accounts, secret_key=SECRET, clock=clock, **({"hasher": CHEAP} | overrides))


@pytest.fixture
def auth(accounts, clock) -> OfficerAuth:
    return make_auth(accounts, clock)


def make_officer(auth: OfficerAuth, *, username: str = "lan.nguyen", **overrides) -> Officer:
    values = {
        "name": "Nguyễn Thị Lan",
        "password": PASSWORD,
        "roles": ["mot_cua"],
        "offices": ["ttphcc-le-chan"],
    }
    return auth.create(username=username, **(values | overrides))


# Accounts


def test_creates_an_officer_with_roles_and_offices(auth):
    officer = make_officer(auth, roles=["mot_cua", "chuyen_vien"])

    assert officer.username == "lan.nguyen"
    assert officer.name == "Nguyễn Thị Lan"
    assert officer.roles == {"mot_cua", "chuyen_vien"}
    assert officer.offices == {"ttphcc-le-chan"}


def test_stores_an_argon2id_hash_never_the_password(auth, accounts):
    make_officer(auth)

    stored = accounts.by_username("lan.nguyen").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_the_default_hash_is_rfc_9106_second_recommendation(accounts, clock):
    auth = OfficerAuth(accounts, secret_key=SECRET, clock=clock)

    parameters = auth.hasher
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
        RFC_9106_LOW_MEMORY.time_cost,
        RFC_9106_LOW_MEMORY.memory_cost,
        RFC_9106_LOW_MEMORY.parallelism,
    )
    assert parameters.type.name == "ID"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "ngan-qua-11"}, "/password"),
        ({"password": "x-lan.nguyen-x"}, "/password"),
        ({"username": "Có dấu"}, "/username"),
        ({"username": "ab"}, "/username"),
        ({"name": "  "}, "/name"),
        ({"roles": []}, "/roles"),
        ({"roles": ["giam_doc"]}, "/roles"),
        ({"offices": []}, "/offices"),
        ({"offices": ["có dấu"]}, "/offices"),
    ],
)
def test_refuses_bad_input_field_by_field(auth, overrides, field):
    with pytest.raises(ValidationFailedError) as error:
        make_officer(auth, **overrides)

    assert field in error.value.fields


def test_lists_every_problem_at_once(auth):
    with pytest.raises(ValidationFailedError) as error:
        make_officer(auth, username="x", password="ngan", roles=[], name="")

    assert set(error.value.fields) == {"/username", "/password", "/roles", "/name"}


def test_an_admin_needs_no_office(auth):
    admin = make_officer(auth, username="quan.tri", roles=["quan_tri"], offices=[])

    assert admin.offices == frozenset()


def test_refuses_a_username_already_taken_whatever_its_case(auth):
    make_officer(auth)

    with pytest.raises(ValidationFailedError) as error:
        make_officer(auth, username="Lan.Nguyen")

    assert "/username" in error.value.fields


# Signing in


def test_logs_in_with_the_right_password(auth):
    made = make_officer(auth)

    officer, token, csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    assert officer == made
    assert len(token) == 43 and len(csrf) == 64
    assert auth.current(token) == (made, csrf)


def test_the_username_is_not_case_sensitive(auth):
    make_officer(auth)

    officer, _token, _csrf = auth.login(" LAN.Nguyen ", PASSWORD, "10.0.0.1")

    assert officer.username == "lan.nguyen"


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(auth):
    make_officer(auth)

    with pytest.raises(LoginFailedError) as wrong:
        auth.login("lan.nguyen", "sai-mat-khau-roi", "10.0.0.1")
    with pytest.raises(LoginFailedError) as unknown:
        auth.login("khong.co.ai", PASSWORD, "10.0.0.1")

    assert wrong.value.body() == unknown.value.body()
    assert wrong.value.status == 401


def test_stores_only_a_hash_of_the_session_token(auth, accounts, tmp_path):
    make_officer(auth)

    _officer, token, _csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    stored = stored_bytes(accounts, tmp_path)
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored
    assert token.encode() not in stored


def test_every_login_gets_its_own_token(auth):
    make_officer(auth)

    first = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")
    second = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    assert first[1] != second[1] and first[2] != second[2]


def test_a_disabled_account_cannot_log_in_and_loses_its_sessions(auth):
    make_officer(auth)
    _officer, token, _csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    auth.disable("lan.nguyen")

    with pytest.raises(NotAuthenticatedError):
        auth.current(token)
    with pytest.raises(LoginFailedError):
        auth.login("lan.nguyen", PASSWORD, "10.0.0.1")


def test_disabling_an_unknown_account_is_not_found(auth):
    with pytest.raises(NotFoundError):
        auth.disable("khong.co.ai")


def test_rehashes_at_login_when_the_parameters_changed(accounts, clock):
    make_officer(make_auth(accounts, clock))
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)

    make_auth(accounts, clock, hasher=stronger).login("lan.nguyen", PASSWORD, "10.0.0.1")

    rehashed = accounts.by_username("lan.nguyen").password_hash
    assert "m=16,t=2,p=1" in rehashed
    assert stronger.verify(rehashed, PASSWORD)


def test_keeps_a_hash_made_with_the_current_parameters(auth, accounts):
    make_officer(auth)
    before = accounts.by_username("lan.nguyen").password_hash

    auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    assert accounts.by_username("lan.nguyen").password_hash == before


def test_logs_success_failure_and_lockout_without_the_password(auth, caplog):
    make_officer(auth)
    caplog.set_level(logging.INFO, logger="chalicelib.officers")

    auth.login("lan.nguyen", PASSWORD, "10.0.0.1")
    for _ in range(5):
        with pytest.raises(LoginFailedError):
            auth.login("lan.nguyen", "sai-mat-khau-roi", "10.0.0.1")
    with pytest.raises(AccountLockedError):
        auth.login("lan.nguyen", "sai-mat-khau-roi", "10.0.0.1")

    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("login: username='lan.nguyen' client=10.0.0.1") for m in messages)
    assert sum(m.startswith("login failed: username='lan.nguyen'") for m in messages) == 5
    assert any(m.startswith("login locked out: username='lan.nguyen'") for m in messages)
    assert not [m for m in messages if PASSWORD in m or "sai-mat-khau-roi" in m]


# Lockout


def fail(auth, username="lan.nguyen", client="10.0.0.1", times=1) -> None:
    for _ in range(times):
        with pytest.raises(LoginFailedError):
            auth.login(username, "sai-mat-khau-roi", client)


def test_locks_a_username_after_five_failures_even_with_the_right_password(auth):
    make_officer(auth)
    fail(auth, times=5)

    with pytest.raises(AccountLockedError) as error:
        auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    assert error.value.status == 429


def test_the_username_lock_holds_from_another_client(auth):
    make_officer(auth)
    fail(auth, times=5)

    with pytest.raises(AccountLockedError):
        auth.login("lan.nguyen", PASSWORD, "10.9.9.9")


def test_the_lock_ends_when_the_failures_are_older_than_the_window(auth, clock):
    make_officer(auth)
    fail(auth, times=5)

    clock.advance(minutes=15)

    assert auth.login("lan.nguyen", PASSWORD, "10.0.0.1")[0].username == "lan.nguyen"


def test_attempts_while_locked_do_not_extend_the_lock(auth, clock):
    make_officer(auth)
    fail(auth, times=5)
    for _ in range(3):
        clock.advance(minutes=4)
        with pytest.raises(AccountLockedError):
            auth.login("lan.nguyen", "sai-mat-khau-roi", "10.0.0.1")

    clock.advance(minutes=3)  # 15 minutes after the failures

    assert auth.login("lan.nguyen", PASSWORD, "10.0.0.1")


def test_a_success_forgets_the_earlier_failures(auth):
    make_officer(auth)
    fail(auth, times=4)
    auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    fail(auth, times=4)

    assert auth.login("lan.nguyen", PASSWORD, "10.0.0.1")


def test_locks_a_client_trying_many_usernames(accounts, clock):
    auth = make_auth(accounts, clock, client_failures_allowed=6)
    make_officer(auth)
    for number in range(6):
        fail(auth, username=f"doan.{number}", client="10.6.6.6")

    with pytest.raises(AccountLockedError):
        auth.login("lan.nguyen", PASSWORD, "10.6.6.6")
    assert auth.login("lan.nguyen", PASSWORD, "10.0.0.1")


def test_one_locked_username_does_not_lock_another(auth):
    make_officer(auth)
    make_officer(auth, username="binh.tran")
    fail(auth, times=5)

    assert auth.login("binh.tran", PASSWORD, "10.0.0.1")[0].username == "binh.tran"


def test_a_very_long_username_is_counted_cut_to_128_characters(auth, accounts):
    fail(auth, username="x" * 10_000, times=5)

    with pytest.raises(AccountLockedError):
        auth.login("x" * 128, PASSWORD, "10.0.0.2")


def test_locking_an_unknown_username_looks_like_locking_a_real_one(auth):
    fail(auth, username="khong.co.ai", times=5)

    with pytest.raises(AccountLockedError):
        auth.login("khong.co.ai", PASSWORD, "10.0.0.1")


# Sessions


def test_a_session_ends_after_an_hour_without_a_request(auth, clock):
    make_officer(auth)
    _officer, token, _csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    clock.advance(minutes=60)

    with pytest.raises(NotAuthenticatedError):
        auth.current(token)


def test_requests_keep_a_session_alive_up_to_eight_hours(auth, clock):
    make_officer(auth)
    _officer, token, _csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")
    for _ in range(15):
        clock.advance(minutes=30)
        auth.current(token)

    clock.advance(minutes=30)  # 8 hours after the login

    with pytest.raises(NotAuthenticatedError):
        auth.current(token)


def test_logout_ends_the_session(auth):
    make_officer(auth)
    _officer, token, _csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    auth.logout(token)
    auth.logout(token)
    auth.logout(None)

    with pytest.raises(NotAuthenticatedError):
        auth.current(token)


@pytest.mark.parametrize("token", [None, "", "x" * 43, "ngắn", "a" * 44])
def test_no_or_a_made_up_token_is_not_authenticated(auth, token):
    with pytest.raises(NotAuthenticatedError) as error:
        auth.current(token)

    assert error.value.status == 401


# CSRF


def test_the_csrf_token_of_the_session_passes(auth):
    make_officer(auth)
    _officer, token, csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    auth.check_csrf(token, csrf)


@pytest.mark.parametrize("header", [None, "", "0" * 64, "sai"])
def test_a_missing_or_wrong_csrf_token_is_refused(auth, header):
    make_officer(auth)
    _officer, token, _csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    with pytest.raises(CsrfFailedError) as error:
        auth.check_csrf(token, header)

    assert error.value.status == 403


def test_another_sessions_csrf_token_is_refused(auth):
    make_officer(auth)
    _officer, token, _csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")
    _officer, _other, other_csrf = auth.login("lan.nguyen", PASSWORD, "10.0.0.1")

    with pytest.raises(CsrfFailedError):
        auth.check_csrf(token, other_csrf)


def test_csrf_without_a_session_is_refused(auth):
    with pytest.raises(CsrfFailedError):
        auth.check_csrf(None, "0" * 64)


def test_the_csrf_token_depends_on_the_secret_key(accounts, clock):
    token = "a" * 43
    one = make_auth(accounts, clock).csrf(token)
    other = OfficerAuth(accounts, secret_key=b"another-secret-key!!", clock=clock, hasher=CHEAP)

    assert other.csrf(token) != one


# The cookie


def test_the_session_cookie_is_http_only_strict_and_scoped_to_the_officers_api():
    cookie = session_cookie("t" * 43, secure=True, max_age=28800)

    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0] == f"{SESSION_COOKIE}={'t' * 43}"
    assert {"HttpOnly", "SameSite=Strict", "Path=/api/office", "Max-Age=28800", "Secure"} <= set(
        attributes
    )


def test_the_cookie_is_not_secure_only_on_plain_http():
    assert "Secure" not in session_cookie("t" * 43, secure=False, max_age=60)


def test_clearing_the_cookie_expires_it_on_the_same_path():
    cookie = clear_cookie(secure=True)

    assert cookie.startswith(f"{SESSION_COOKIE}=;")
    assert "Max-Age=0" in cookie and "Path=/api/office" in cookie


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        (f"{SESSION_COOKIE}={'a' * 43}", "a" * 43),
        (f'khac=1; {SESSION_COOKIE}={"b" * 43}; x="y', "b" * 43),
        (f"{SESSION_COOKIE}=ngan", None),
        (f"{SESSION_COOKIE}x={'a' * 43}", None),
    ],
)
def test_reads_the_session_token_from_a_cookie_header(header, expected):
    assert token_from_cookie_header(header) == expected
