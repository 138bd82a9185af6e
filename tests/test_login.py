"""Facilitator accounts and login: hashed passwords and login sessions in the database (SQLite and
PostgreSQL), `assessment user add`, the login page, the cookie that brings a reload back in, logout,
and single sign-on through Streamlit's `st.login`.

The browser side (the cookie really landing on the app's origin) is in test_browser_login.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
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
    assert current_revision(engine) == "0003"
    assert store.check_password("ada", "correct horse")
    token = store.start_login_session("ada")
    assert store.user_for_token(token) == "ada"
    aid = store.create_assessment("After the upgrade", "Platform", mini)
    assert store.get_assessment(aid).name == "After the upgrade"
    engine.dispose()


def _tables(conn) -> set[str]:  # noqa: ANN001 - a SQLAlchemy Connection
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def test_a_db_backup_leaves_login_sessions_behind_and_a_restore_ends_them(tmp_path: Path) -> None:
    live = Store.open(f"sqlite:///{tmp_path / 'live.db'}")
    live.add_user("ada", "correct horse")
    kept = live.start_login_session("ada")
    live.backup_sqlite(tmp_path / "copy.db")
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("select count(*) from login_sessions").fetchone() == (0,)
        assert conn.execute("select name from users").fetchall() == [("ada",)]
    assert live.user_for_token(kept) == "ada"  # the live database keeps its sessions

    other = Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    other.add_user("bob", "battery staple")  # user id 1 here; in the backup, id 1 is ada
    bobs = other.start_login_session("bob")
    other.restore_sqlite(tmp_path / "copy.db")
    assert other.user_for_token(bobs) is None  # would otherwise name ada
    assert other.check_password("ada", "correct horse")
    for s in (live, other):
        s.engine.dispose()


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
    monkeypatch.setattr("app_pages.shared.session_cookie", lambda: sent.get("aiops_session"))
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
            assert any(f"{email} is signed in through single sign-on but is not allowed" in e
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
