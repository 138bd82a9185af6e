"""Facilitator accounts and login: hashed passwords and login sessions in the database (SQLite and
PostgreSQL), `assessment user add`, the login page, the cookie that brings a reload back in, logout,
and single sign-on through Streamlit's `st.login`.

The browser side (the cookie really landing on the app's origin) is in test_browser_login.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import streamlit as st
from alembic import command
from apptest import WORKSHOP, app, by_label, run, session, texts
from clirunner import invoke
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from assessment.access import sso_allowed
from assessment.migrations import alembic_config, current_revision
from assessment.present import plain
from assessment.questionnaire import Questionnaire
from assessment.storage import NotFound, StorageError, Store, accounts, login_lifetime, make_engine

pytestmark = pytest.mark.usefixtures("app_env")

AUTH = {  # an [auth] section as .streamlit/secrets.toml would have it; no identity provider is called
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "assessment-app",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
}


# --- accounts and login sessions in the store --------------------------------------------------


@pytest.fixture
def ada(store: Store) -> Store:
    store.add_user("ada", "correct horse")
    return store


def test_facilitator_accounts_are_hashed(store: Store) -> None:
    assert not store.has_users()
    store.add_user("ada", "correct horse")
    assert store.has_users()
    assert store.check_password("ada", "correct horse")
    assert not store.check_password("ada", "wrong horse") and not store.check_password("bob", "correct horse")
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("select password_hash from users").scalar()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    with pytest.raises(StorageError, match="already exists"):
        store.add_user("ada", "another password")
    with pytest.raises(StorageError, match="at least 8"):
        store.add_user("bob", "short")


def test_a_token_names_its_facilitator_until_logout(ada: Store) -> None:
    token = ada.start_login_session("ada")
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    assert ada.user_for_token(token) == "ada"
    assert ada.start_login_session(" ada ") != token  # each browser gets its own
    ada.end_login_session(token)
    assert ada.user_for_token(token) is None
    ada.end_login_session(token)  # a second logout is harmless


def test_unknown_wrong_and_empty_tokens_name_nobody(ada: Store) -> None:
    token = ada.start_login_session("ada")
    assert ada.user_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert ada.user_for_token("never-issued") is None
    assert ada.user_for_token("") is None and ada.user_for_token(None) is None
    with pytest.raises(NotFound, match="no facilitator account named 'bob'"):
        ada.start_login_session("bob")


def test_only_the_tokens_hash_is_stored(ada: Store) -> None:
    token = ada.start_login_session("ada")
    with ada.engine.connect() as conn:
        stored = conn.execute(text("select token_hash from login_sessions")).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_an_expired_session_names_nobody_and_is_deleted(ada: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    token = ada.start_login_session("ada", lifetime=dt.timedelta(hours=12))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=12, seconds=1)
    monkeypatch.setattr(accounts, "_now", lambda: later)  # the login clock
    assert ada.user_for_token(token) is None
    with ada.engine.connect() as conn:
        assert conn.execute(text("select count(*) from login_sessions")).scalar() == 0


def test_a_new_login_sweeps_out_expired_sessions(ada: Store) -> None:
    ada.start_login_session("ada", lifetime=dt.timedelta(seconds=-1))
    ada.start_login_session("ada", lifetime=dt.timedelta(seconds=-1))
    fresh = ada.start_login_session("ada")
    with ada.engine.connect() as conn:
        assert conn.execute(text("select count(*) from login_sessions")).scalar() == 1
    assert ada.user_for_token(fresh) == "ada"


def test_two_servers_on_one_database_share_logins_and_logouts(ada: Store, db_url: str) -> None:
    other = Store(make_engine(db_url))  # a second server process
    token = ada.start_login_session("ada")
    assert other.user_for_token(token) == "ada"
    other.end_login_session(token)
    assert ada.user_for_token(token) is None
    other.engine.dispose()


def test_login_lifetime_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSESSMENT_LOGIN_HOURS", raising=False)
    assert login_lifetime() == dt.timedelta(hours=12)
    monkeypatch.setenv("ASSESSMENT_LOGIN_HOURS", "0.5")
    assert login_lifetime() == dt.timedelta(minutes=30)
    for bad in ("soon", "0", "-3"):
        monkeypatch.setenv("ASSESSMENT_LOGIN_HOURS", bad)
        with pytest.raises(StorageError, match="ASSESSMENT_LOGIN_HOURS"):
            login_lifetime()


def test_migration_0003_upgrades_a_0002_database(db_url: str, mini: Questionnaire) -> None:
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0002")
    assert current_revision(engine) == "0002"
    with engine.begin() as conn:
        assert "login_sessions" not in _tables(conn)
    old = Store(engine)
    old.add_user("ada", "correct horse")  # written by the 0002 schema
    store = Store(engine)
    store.upgrade()
    assert current_revision(engine) not in (None, "0002")
    with engine.begin() as conn:
        assert {"login_sessions", "login_attempts"} <= _tables(conn)
    assert store.check_password("ada", "correct horse")
    token = store.start_login_session("ada")
    assert store.user_for_token(token) == "ada"
    aid = store.create_assessment("After the upgrade", "Platform", mini)
    assert store.get_assessment(aid).name == "After the upgrade"
    engine.dispose()


def test_migration_0004_adds_login_attempts_to_a_0003_database(db_url: str) -> None:
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0003")
    old = Store(engine)
    old.add_user("ada", "correct horse")
    token = old.start_login_session("ada")
    with engine.begin() as conn:
        assert "login_attempts" not in _tables(conn)
    store = Store(engine)
    store.upgrade()
    assert store.user_for_token(token) == "ada"  # logins survive the upgrade
    assert not store.check_password("ada", "wrong horse", client_key="ip:10.0.0.9")
    assert _attempts(store) == [("ada", "ip:10.0.0.9")]
    engine.dispose()


def _tables(conn) -> set[str]:  # noqa: ANN001 - a SQLAlchemy Connection
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def test_a_db_backup_leaves_login_sessions_behind_and_a_restore_ends_them(tmp_path: Path) -> None:
    live = Store.open(f"sqlite:///{tmp_path / 'live.db'}")
    live.add_user("ada", "correct horse")
    kept = live.start_login_session("ada")
    assert not live.check_password("ada", "wrong horse", client_key=ATTACKER)
    live.backup_sqlite(tmp_path / "copy.db")
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("select count(*) from login_sessions").fetchone() == (0,)
        assert conn.execute("select count(*) from login_attempts").fetchone() == (0,)  # no client addresses
        assert conn.execute("select name from users").fetchall() == [("ada",)]
    assert live.user_for_token(kept) == "ada"  # the live database keeps its sessions

    other = Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    other.add_user("bob", "battery staple")  # user id 1 here; in the backup, id 1 is ada
    bobs = other.start_login_session("bob")
    other.restore_sqlite(tmp_path / "copy.db")
    assert other.user_for_token(bobs) is None  # would otherwise name ada
    assert _attempts(other) == []
    assert other.check_password("ada", "correct horse")
    for s in (live, other):
        s.engine.dispose()


# --- login throttling: failed logins in the database, growing waits, a bound on argon2 at once ---


class Clock:
    """The login clock (`accounts._now`), moved by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(accounts, "_now", c)
    return c


ATTACKER = "ip:203.0.113.66"
FACILITATOR = "ip:10.0.0.2"


def _attempts(store: Store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("select account, client_key from login_attempts order by id"))]


def _fail(store: Store, times: int, name: str = "ada", client: str = ATTACKER) -> None:
    for _ in range(times):
        assert not store.check_password(name, "wrong horse", client_key=client)


def _refused(store: Store, name: str = "ada", client: str = ATTACKER, password: str = "wrong horse") -> float:
    """Seconds the store says to wait; the password is not checked (not even a correct one)."""
    with pytest.raises(accounts.LoginThrottled) as refused:
        store.check_password(name, password, client_key=client)
    assert str(refused.value) == f"too many failed logins; wait {accounts.wait_text(refused.value.retry_after)} " \
                                 "and try again"
    return refused.value.retry_after


def test_password_guessing_meets_waits_that_double(ada: Store, clock: Clock) -> None:
    _fail(ada, 5)  # 5 free failures within an hour
    assert _refused(ada) == 15
    assert _refused(ada, password="correct horse") == 15  # no guess is checked while waiting
    clock.advance(10)
    assert _refused(ada) == 5
    waits = []
    for _ in range(7):
        clock.advance(_refused(ada))
        _fail(ada, 1)
        waits.append(_refused(ada))
    assert waits == [30, 60, 120, 240, 480, 900, 900]  # doubling, at most 15 minutes
    assert len(_attempts(ada)) == 12  # refused tries are not counted


def test_an_unknown_name_is_throttled_like_a_known_one(ada: Store, clock: Clock) -> None:
    for name in ("ada", "nobody"):
        _fail(ada, 5, name=name)
        assert _refused(ada, name=name) == 15
    assert _attempts(ada).count(("nobody", ATTACKER)) == 5


def test_the_facilitator_on_another_client_is_not_locked_out(ada: Store, clock: Clock) -> None:
    """The attacker's failures never refuse another client; an attacked account only shrinks its free tries."""
    _fail(ada, 5)  # one address guessing until it must wait ...
    for n in range(20):  # ... and 20 more addresses, one guess each: the account is under attack
        _fail(ada, 1, client=f"ip:198.51.100.{n}")
    assert _refused(ada) > 0
    assert ada.check_password("ada", "correct horse", client_key=FACILITATOR)  # at once

    # Under attack a facilitator's own typo is met with the first wait (15 s), no more
    _fail(ada, 1, client=FACILITATOR)
    assert _refused(ada, client=FACILITATOR, password="correct horse") == 15
    clock.advance(15)
    assert ada.check_password("ada", "correct horse", client_key=FACILITATOR)
    assert ("ada", FACILITATOR) not in _attempts(ada)  # a correct password clears its own failures


def test_a_client_trying_many_names_is_slowed(ada: Store, clock: Clock) -> None:
    for n in range(20):
        _fail(ada, 1, name=f"user{n}")
    assert _refused(ada, name="someone-new") == 15
    assert ada.check_password("ada", "correct horse", client_key=FACILITATOR)


def test_old_failed_logins_are_purged(ada: Store, clock: Clock) -> None:
    _fail(ada, 5)
    _fail(ada, 3, name="bob", client=FACILITATOR)
    assert len(_attempts(ada)) == 8
    clock.advance(3600 + 1)
    _fail(ada, 1)  # the next failure sweeps out everyone's expired rows
    assert _attempts(ada) == [("ada", ATTACKER)]


def test_two_servers_on_one_database_count_the_same_failures(ada: Store, db_url: str, clock: Clock) -> None:
    other = Store(make_engine(db_url))
    _fail(ada, 3)
    _fail(other, 2)
    assert _refused(ada) == 15 and _refused(other) == 15
    other.engine.dispose()


def test_waits_are_said_as_a_person_would() -> None:
    said = [accounts.wait_text(s) for s in (0.2, 1, 14.01, 89, 90, 900)]
    assert said == ["1 second", "1 second", "15 seconds", "89 seconds", "2 minutes", "15 minutes"]


class SlowHasher:
    """A stand-in for argon2 that takes a while and counts how many computations run at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = self.most = 0

    def _work(self, result: object) -> object:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return result

    def hash(self, password: str) -> str:
        return str(self._work(f"slow${password}"))

    def verify(self, stored: str, password: str) -> bool:
        return bool(self._work(stored == f"slow${password}"))


def test_password_checks_at_once_are_bounded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = SlowHasher()
    monkeypatch.setattr(accounts, "_hasher", lambda: slow)
    store.add_user("ada", "correct horse")  # `user add` goes through the bound too

    def guess(n: int) -> bool:
        if n % 4 == 0:
            store.add_user(f"user{n}", "a long password")
            return True
        name = "ada" if n % 2 else "nobody"
        return store.check_password(name, "correct horse", client_key=f"ip:192.0.2.{n}")

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(guess, range(24)))
    assert slow.most == accounts.PASSWORD_CHECKS  # parallel, and never more than the bound
    assert results == [n % 4 == 0 or n % 2 == 1 for n in range(24)]


def test_a_caller_finding_every_slot_taken_is_told_to_retry(ada: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "PASSWORD_CHECK_WAIT", 0.01)
    held = [accounts._password_checks.acquire(timeout=5) for _ in range(accounts.PASSWORD_CHECKS)]
    try:
        assert all(held)
        with pytest.raises(accounts.PasswordChecksBusy, match="busy checking other passwords; try again in"):
            ada.check_password("ada", "correct horse", client_key=FACILITATOR)
        with pytest.raises(accounts.PasswordChecksBusy):
            ada.add_user("bob", "battery staple")
    finally:
        for _ in held:
            accounts._password_checks.release()
    assert _attempts(ada) == []  # not checked, so not counted as a failure
    assert ada.check_password("ada", "correct horse", client_key=FACILITATOR)


# --- the command line --------------------------------------------------------------------------


def test_user_add_reads_the_password_from_stdin(cli_store: Store) -> None:
    invoke("user", "add", "ada", "--password-stdin", input="correct horse\n")
    assert cli_store.check_password("ada", "correct horse")
    again = invoke("user", "add", "ada", "--password-stdin", input="correct horse\n", ok=False)
    assert again.exit_code == 1 and "already exists" in again.output


# --- the app, through AppTest ------------------------------------------------------------------


@pytest.fixture
def cookies(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What the browser sends with a session's first request (AppTest has no browser to send any)."""
    sent: dict[str, str] = {}
    monkeypatch.setattr("assessment_app.app_pages.shared.session_cookie", lambda: sent.get("aiops_session"))
    return sent


def html(at: AppTest) -> str:
    return "\n".join(e.proto.body for e in at.get("html"))


def sidebar_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.caption)


def with_sso() -> AppTest:
    """A new session of the app with single sign-on configured (an [auth] section), not run yet."""
    at = session()
    at.secrets["auth"] = AUTH
    return at


def log_in(at: AppTest, name: str = "ada", password: str = "correct horse") -> None:
    by_label(at.text_input, "User name").input(name)
    by_label(at.text_input, "Password").input(password)
    by_label(at.button, "Log in").click().run()
    assert not at.exception


def test_log_in_sets_the_cookie_and_log_out_ends_the_session(app_store: Store, cookies: dict[str, str]) -> None:
    app_store.add_user("ada", "correct horse")
    at = app()
    assert texts(at.title) == ["Facilitator login"]
    assert "Log in with single sign-on" not in [b.label for b in at.button]
    log_in(at)
    assert texts(at.title) == ["Assessments"]
    assert "Logged in as **ada**" in sidebar_text(at)
    token = at.session_state["login-token"]
    assert app_store.user_for_token(token) == "ada"
    assert f'aiops_session={token}; Path=/; SameSite=Strict; Max-Age={12 * 3600}' in html(at)
    at.run()
    assert token not in html(at)  # the cookie is written once

    by_label(at.sidebar.button, "Log out").click().run()
    assert texts(at.title) == ["Facilitator login"]
    assert app_store.user_for_token(token) is None
    assert "aiops_session=; Path=/; SameSite=Strict; Max-Age=0" in html(at)  # the browser forgets it
    with pytest.raises(ValueError, match="Known pages: .*login.py'\]"):  # no other page to go to
        at.switch_page("app_pages/assessments.py")


def test_a_reload_comes_back_in_with_the_cookie(app_store: Store, cookies: dict[str, str]) -> None:
    app_store.add_user("ada", "correct horse")
    cookies["aiops_session"] = app_store.start_login_session("ada")  # a new session: only the cookie knows ada
    at = app()
    assert texts(at.title) == ["Assessments"]
    assert "Logged in as **ada**" in sidebar_text(at)
    by_label(at.sidebar.button, "Log out").click().run()
    assert texts(at.title) == ["Facilitator login"]
    assert app_store.user_for_token(cookies["aiops_session"]) is None
    assert texts(app().title) == ["Facilitator login"]  # and a reload after it stays out


def test_a_logout_elsewhere_or_an_expiry_ends_this_session_at_its_next_run(
    app_store: Store, cookies: dict[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    app_store.add_user("ada", "correct horse")
    at = app()
    log_in(at)
    app_store.end_login_session(at.session_state["login-token"])  # the same login, logged out in another tab
    at.run()
    assert texts(at.title) == ["Facilitator login"]

    log_in(at)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=13)
    monkeypatch.setattr(accounts, "_now", lambda: later)  # the login clock
    at.run()
    assert texts(at.title) == ["Facilitator login"]


def test_a_stale_or_forged_cookie_opens_nothing(app_store: Store, cookies: dict[str, str]) -> None:
    app_store.add_user("ada", "correct horse")
    token = app_store.start_login_session("ada")
    app_store.end_login_session(token)
    for value in (token, "forged-token"):
        cookies["aiops_session"] = value
        assert texts(app().title) == ["Facilitator login"]


def test_facilitator_pages_need_a_login_once_an_account_exists(app_store: Store, aid: int) -> None:
    app_store.add_user("ada", "correct horse")
    at = app(aid)
    assert texts(at.title) == ["Facilitator login"]
    log_in(at, password="wrong horse")
    assert any("Wrong user name or password" in t for t in texts(at.error))
    log_in(at)
    assert texts(at.title) == ["Assessments"]
    at.switch_page(WORKSHOP)
    assert texts(run(at).title) == ["Workshop"]


def test_the_login_page_says_how_long_to_wait(app_store: Store, clock: Clock,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    client = {"key": ATTACKER}  # AppTest has no client address: say whose browser each run is
    monkeypatch.setattr("assessment_app.app_pages.shared.client_key", lambda: client["key"])
    app_store.add_user("ada", "correct horse")
    at = app()
    for _ in range(5):
        log_in(at, password="wrong horse")
        assert texts(at.error) == ["Wrong user name or password."]
    log_in(at, password="correct horse")
    assert texts(at.error) == ["Too many failed logins. Wait 15 seconds and try again."]
    assert texts(at.title) == ["Facilitator login"]

    client["key"] = FACILITATOR  # the real facilitator, in a browser elsewhere
    other = app()
    log_in(other)
    assert texts(other.title) == ["Assessments"]

    client["key"] = ATTACKER
    clock.advance(15)
    log_in(at)
    assert texts(at.title) == ["Assessments"]


def test_the_login_page_says_when_the_server_is_busy(app_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store.add_user("ada", "correct horse")
    monkeypatch.setattr(accounts, "PASSWORD_CHECK_WAIT", 0.01)
    at = app()
    held = [accounts._password_checks.acquire(timeout=5) for _ in range(accounts.PASSWORD_CHECKS)]
    try:
        log_in(at)
    finally:
        for _ in held:
            accounts._password_checks.release()
    assert texts(at.error) == ["The server is busy checking other passwords. Try again in 1 second."]
    log_in(at)
    assert texts(at.title) == ["Assessments"]


def test_login_can_be_required_before_any_account_exists(monkeypatch: pytest.MonkeyPatch, aid: int) -> None:
    monkeypatch.setenv("ASSESSMENT_REQUIRE_LOGIN", "1")
    at = app(aid)
    assert texts(at.title) == ["Facilitator login"]
    assert any("user add" in t for t in texts(at.warning))


def test_single_sign_on_is_offered_only_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    assert texts(app().title) == ["Assessments"]  # no account, no [auth]: the app stays open

    at = with_sso()
    at.run()
    assert texts(at.title) == ["Facilitator login"]  # [auth] alone makes the login required
    assert [t.label for t in at.text_input] == ["Workshop code"]  # no accounts: no password form to fail
    assert not at.warning
    calls: list[tuple] = []
    monkeypatch.setattr(st, "login", lambda *args: calls.append(args))
    by_label(at.button, "Log in with single sign-on").click().run()
    assert calls == [()] and not at.exception


def test_single_sign_on_beside_password_accounts(app_store: Store) -> None:
    app_store.add_user("ada", "correct horse")
    at = with_sso()
    at.run()
    assert "Log in with single sign-on" in [b.label for b in at.button]
    log_in(at)
    assert texts(at.title) == ["Assessments"]


def test_without_authlib_the_sso_button_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.errors import StreamlitMissingAuthlibError

    def no_authlib() -> None:
        raise StreamlitMissingAuthlibError()

    monkeypatch.setattr(st, "login", no_authlib)
    at = with_sso()
    at.run()
    by_label(at.button, "Log in with single sign-on").click().run()
    assert any("pip install -e '.[sso]'" in e for e in texts(at.error))


def test_a_single_sign_on_user_is_a_facilitator_until_logout() -> None:
    at = with_sso()
    at.user = {"is_logged_in": True, "name": "Grace Hopper", "email": "grace@example.org"}
    at.run()
    assert texts(at.title) == ["Assessments"]
    assert "Logged in as **Grace Hopper**" in sidebar_text(at)
    by_label(at.sidebar.button, "Log out").click().run()  # the real st.logout
    assert not at.exception
    assert at.user.get("is_logged_in") is False
    assert texts(at.title) == ["Facilitator login"]


def test_a_platform_user_without_auth_config_is_not_a_facilitator(app_store: Store) -> None:
    app_store.add_user("ada", "correct horse")
    at = session()
    at.user = {"is_logged_in": True, "email": "someone@example.org"}  # no [auth] section: not ours
    at.run()
    assert texts(at.title) == ["Facilitator login"]


def test_single_sign_on_users_outside_the_allow_list_stay_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSESSMENT_SSO_ALLOWED", "example.org, guest@partner.com")
    for email, allowed in [("grace@example.org", True), ("Guest@Partner.com", True), ("eve@evil.org", False),
                           ("grace@example.org.evil.org", False)]:
        at = with_sso()
        at.user = {"is_logged_in": True, "name": "Someone", "email": email}
        at.run()
        assert not at.exception
        assert texts(at.title) == (["Assessments"] if allowed else ["Facilitator login"]), email
        if not allowed:
            assert any(f"{plain(email)} is signed in through single sign-on but is not allowed" in e
                       for e in texts(at.error))
            by_label(at.button, "Sign out of single sign-on").click().run()
            assert at.user.get("is_logged_in") is False


@pytest.mark.parametrize(("email", "rule", "allowed"), [
    ("ada@example.org", "", True),
    (None, "", True),
    ("ada@example.org", "example.org", True),
    ("ada@example.org", "@EXAMPLE.org", True),
    ("ada@sub.example.org", "example.org", False),
    ("ada@example.org", "bob@example.org", False),
    ("bob@example.org", " , bob@example.org ,", True),
    (None, "example.org", False),
    ("not-an-email", "example.org", False),
    ("a@b@example.org", "example.org", False),
])
def test_the_sso_allow_rule(email: str | None, rule: str, allowed: bool) -> None:
    assert sso_allowed(email, rule) is allowed
