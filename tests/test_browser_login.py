"""Facilitator login in real Chromium: the cookie lands on the app's origin, so a reload stays logged in,
and a logout really logs out (the reload after it shows the login page again).

Its own server and database (browser.py's `serve_app`): an account makes every page ask for a
login, which the other browser tests must not see. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import DATA, RERUN_TIMEOUT, no_errors, serve_app, shot
from playwright.sync_api import Browser, Page, expect

from assessment.content import load_questionnaire
from assessment.storage import Store

pytestmark = pytest.mark.browser


def login_cookie(page: Page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == "aiops_session"), None)


def expect_login_page(page: Page) -> None:
    """The login page, drawn to its last widget, with no way to another page."""
    for shown in (page.get_by_role("heading", name="Facilitator login"), page.get_by_label("Workshop code")):
        expect(shown).to_be_visible(timeout=RERUN_TIMEOUT)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0, timeout=RERUN_TIMEOUT)


def expect_logged_in(page: Page) -> None:
    """The Assessments page with ada's name in the sidebar, drawn down to the create form."""
    for shown in (page.get_by_role("heading", name="Assessments"), page.get_by_text("Logged in as ada"),
                  page.get_by_label("Department", exact=True)):
        expect(shown).to_be_visible(timeout=RERUN_TIMEOUT)


def log_in(page: Page) -> None:
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password", exact=True).fill("correct horse")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect_logged_in(page)


def test_login_survives_a_reload_and_logout_really_logs_out(browser: Browser, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'assessments.db'}")
    store.add_user("ada", "correct horse")
    with serve_app(tmp_path, QUESTIONNAIRE_PATH=str(DATA)) as url:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(url)
        expect_login_page(page)
        log_in(page)
        no_errors(page)

        cookie = login_cookie(page)
        assert cookie is not None, page.context.cookies()
        assert (cookie["domain"], cookie["path"], cookie["sameSite"]) == ("127.0.0.1", "/", "Strict")
        assert store.user_for_token(cookie["value"]) == "ada"  # the database knows the browser's token
        page.reload()  # a new Streamlit session: only the cookie remembers ada
        expect_logged_in(page)
        shot(page, "login-after-reload")

        page.get_by_role("button", name="Log out").click()
        expect_login_page(page)
        expect(page.get_by_label("Password", exact=True)).to_be_visible(timeout=RERUN_TIMEOUT)
        page.wait_for_function("() => !document.cookie.includes('aiops_session=')", timeout=RERUN_TIMEOUT)
        assert login_cookie(page) is None
        assert store.user_for_token(cookie["value"]) is None  # the token is dead even if a copy survives
        page.reload()
        expect_login_page(page)
        shot(page, "login-after-logout-and-reload")

        log_in(page)  # logging in again in the same session sets a new cookie
        page.reload()
        expect_logged_in(page)
        assert login_cookie(page)["value"] != cookie["value"]
        no_errors(page)

        # A bookmarked page of an assessment, opened logged out: the login form, usable (no "Page not
        # found" dialog over it), and after the login the page the link named, with its assessment.
        aid = store.create_assessment("Bookmarked", "Platform", load_questionnaire(DATA / "mini.yaml"))
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{url}/data?assessment={aid}")
        expect_login_page(page)
        expect(page.get_by_role("dialog")).to_have_count(0)
        page.get_by_label("User name").fill("ada")
        page.get_by_label("Password", exact=True).fill("correct horse")
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=RERUN_TIMEOUT)
        expect(page.get_by_text("Bookmarked", exact=True)).to_be_visible(timeout=RERUN_TIMEOUT)
        assert page.url.endswith(f"/data?assessment={aid}")
        no_errors(page)
    store.engine.dispose()
