"""Trust in real Chromium: a participant who strips their link reaches nothing but the voting page, and
hostile names and comments on the projected Workshop page make the facilitator's browser fetch nothing.

A local HTTP listener on a loopback port stands for an attacker's server: the hostile strings point at
it, and it must receive no request at all.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from browser import DATA, PHONE, Q1_TEXT, RERUN_TIMEOUT, free_port, no_errors, shot, vote
from playwright.sync_api import Browser, Page, expect

from assessment.content import load_questionnaire
from assessment.storage import Store

pytestmark = pytest.mark.browser


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on a free loopback port that records every request it receives."""
    seen: list[str] = []

    class Record(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            seen.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Record)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port, seen
    server.shutdown()
    server.server_close()


def facilitator_opens(page: Page, app_url: str, aid: int, key: str) -> None:
    page.goto(f"{app_url}/workshop?assessment={aid}")
    page.get_by_role("textbox", name="One-time facilitator key").fill(key)
    page.get_by_role("button", name="Use the key").click()
    page.get_by_role("button", name="Open a workshop").click()
    page.get_by_role("button", name="Put on screen").click()
    expect(page.get_by_text("0 have voted").first).to_be_visible(timeout=RERUN_TIMEOUT)


def join(page: Page, app_url: str, code: str, name: str) -> None:
    page.goto(f"{app_url}/?join={code}")
    page.get_by_label("Your name (optional)").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text(Q1_TEXT)).to_be_visible(timeout=RERUN_TIMEOUT)


def only_the_voting_page(page: Page) -> None:
    expect(page.get_by_text(Q1_TEXT)).to_be_visible(timeout=RERUN_TIMEOUT)  # their identity is kept
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    for facilitator_only in ("Open a workshop", "Reveal", "Record consensus", "Log out", "Close workshop"):
        expect(page.get_by_role("button", name=facilitator_only)).to_have_count(0)
    expect(page.get_by_text("Presentation mode", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Assessments")).to_have_count(0)


def test_a_stripped_link_leads_nowhere_and_hostile_text_fetches_nothing(
    browser: Browser, app_url: str, server_store: Store, listener: tuple[int, list[str]],
) -> None:
    port, seen = listener
    attacker = f"http://127.0.0.1:{port}"
    image, link, autolink = f"![x]({attacker}/img.png)", f"[click]({attacker}/)", f"https://127.0.0.1:{port}/auto"
    aid = server_store.create_assessment("Trust day", "Platform", load_questionnaire(DATA / "mini.yaml"))
    facilitator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    facilitator_opens(facilitator, app_url, aid, server_store.new_facilitator_key())
    ws = server_store.active_workshop(aid)
    assert ws is not None

    phones = [browser.new_context(viewport=PHONE, is_mobile=True).new_page() for _ in range(2)]
    join(phones[0], app_url, ws.code, image)
    join(phones[1], app_url, ws.code, link)
    vote(phones[0], 2, f"{image} {autolink}")
    vote(phones[1], 3, link)
    expect(phones[1].get_by_text("Your vote: Level 3")).to_be_visible(timeout=RERUN_TIMEOUT)

    # the attack: strip ?join= and ?p= from the link, or type a facilitator page's address
    grace = phones[0]
    for path in ("/", "/workshop", f"/?assessment={aid}", f"/report?assessment={aid}", "/data"):
        grace.goto(app_url + path)
        only_the_voting_page(grace)
    shot(grace, "trust-participant-stripped-link")
    # another browser without the participant cookie: the workshop is open, so it is asked for a login
    stranger = browser.new_context().new_page()
    stranger.goto(f"{app_url}/workshop?assessment={aid}")
    expect(stranger.get_by_role("heading", name="Facilitator login")).to_be_visible(timeout=RERUN_TIMEOUT)
    expect(stranger.get_by_text("Open a workshop")).to_have_count(0)

    # the projected screen after the reveal: names in the room, comments, nothing fetched or clickable
    expect(facilitator.get_by_text("2 have voted · 2 joined").first).to_be_visible(timeout=10_000)
    facilitator.get_by_role("button", name="Reveal").click()
    expect(facilitator.get_by_text("Comments (anonymous)")).to_be_visible(timeout=RERUN_TIMEOUT)
    expect(facilitator.get_by_text("In the room (2):")).to_be_visible()
    shown = facilitator.get_by_test_id("stMain").inner_text().replace("\u2060", "")  # word joiners: invisible
    assert f"In the room (2): {image} · {link}" in shown  # the names, as typed
    assert f"{image} {autolink}" in shown  # the comment, as typed
    no_errors(facilitator)
    shot(facilitator, "trust-facilitator-hostile-text")
    bad = facilitator.locator(f'a[href*="127.0.0.1:{port}"], img[src*="127.0.0.1:{port}"]')
    assert bad.count() == 0, [bad.nth(i).evaluate("e => e.parentElement.outerHTML") for i in range(bad.count())]
    facilitator.wait_for_timeout(1500)  # time for any image fetch to arrive
    assert seen == []
