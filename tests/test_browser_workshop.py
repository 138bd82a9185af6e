"""A live workshop in real Chromium: one facilitator and three participants' phones at once.

The server is conftest's `app_url` (`assessment serve` on a free port, its own data folder); the
test talks to the same database (`server_store`) to check what was stored. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import pytest
from browser import DATA, PHONE, Q1, Q1_TEXT, RERUN_TIMEOUT, choose, no_errors, shot, vote
from playwright.sync_api import Browser, expect

from assessment.content import load_questionnaire
from assessment.storage import Store

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 10_000  # ms: the live fragments re-read the database every second (slack for slow CI)


def test_workshop_with_a_facilitator_and_three_phones(browser: Browser, app_url: str, server_store: Store) -> None:
    aid = server_store.create_assessment("Workshop day", "Platform", load_questionnaire(DATA / "mini.yaml"))

    facilitator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    facilitator.goto(f"{app_url}/workshop?assessment={aid}")
    # no account: the one-time key printed on the server proves who the facilitator is
    facilitator.get_by_role("textbox", name="One-time facilitator key").fill(server_store.new_facilitator_key())
    facilitator.get_by_role("button", name="Use the key").click()
    facilitator.get_by_role("button", name="Open a workshop").click()
    expect(facilitator.get_by_text("Join code:")).to_be_visible(timeout=RERUN_TIMEOUT)
    ws = server_store.active_workshop(aid)
    assert ws is not None
    expect(facilitator.get_by_text("Scan to join")).to_be_visible()  # the QR code's caption
    facilitator.get_by_role("button", name="Put on screen").click()
    expect(facilitator.get_by_text("0 have voted · 0 joined").first).to_be_visible(timeout=RERUN_TIMEOUT)

    phones = [browser.new_context(viewport=PHONE, is_mobile=True).new_page() for _ in range(3)]
    for page, name in zip(phones, ["Ada", "Grace", ""], strict=True):
        page.goto(f"{app_url}/?join={ws.code}")
        expect(page.get_by_role("heading", name="Join the workshop")).to_be_visible(timeout=RERUN_TIMEOUT)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # no way to the facilitator pages
        if name:
            page.get_by_label("Your name (optional)").fill(name)
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_text(Q1_TEXT)).to_be_visible(timeout=RERUN_TIMEOUT)
        assert "p=" in page.url
    shot(phones[2], "workshop-participant-question")

    # the facilitator's counter follows the joins and votes without a refresh
    expect(facilitator.get_by_text("0 have voted · 3 joined").first).to_be_visible(timeout=LIVE_TIMEOUT)
    vote(phones[0], 1, "only one team does this")
    vote(phones[1], 3)
    expect(phones[1].get_by_text("Your vote: Level 3")).to_be_visible(timeout=RERUN_TIMEOUT)

    # the anonymous participant picks a level, reloads before voting, then votes, reloads again: kept
    anon = phones[2]
    choose(anon, 4)
    anon.reload()
    expect(anon.get_by_text(Q1_TEXT)).to_be_visible(timeout=RERUN_TIMEOUT)
    expect(anon.get_by_role("button", name="Vote")).to_be_disabled()  # nothing was voted yet
    vote(anon, 4, "we automate it")
    expect(anon.get_by_text("Your vote: Level 4")).to_be_visible(timeout=RERUN_TIMEOUT)
    anon.reload()
    expect(anon.get_by_text("Your vote: Level 4")).to_be_visible(timeout=RERUN_TIMEOUT)
    expect(anon.get_by_label("Comment (optional)")).to_have_value("we automate it")
    vote(anon, 3)  # changed its mind before the reveal
    expect(anon.get_by_text("Your vote: Level 3")).to_be_visible(timeout=RERUN_TIMEOUT)
    no_errors(anon)
    shot(anon, "workshop-participant-voted")

    expect(facilitator.get_by_text("3 have voted · 3 joined").first).to_be_visible(timeout=LIVE_TIMEOUT)
    shot(facilitator, "workshop-facilitator-voting")
    facilitator.get_by_role("button", name="Reveal").click()
    expect(facilitator.get_by_text("The room disagrees")).to_be_visible(timeout=RERUN_TIMEOUT)
    expect(facilitator.get_by_test_id("stMetric").filter(has_text="Median")).to_contain_text("3")
    expect(facilitator.get_by_test_id("stPlotlyChart")).to_be_visible(timeout=RERUN_TIMEOUT)
    # names only in the room's list, never next to votes or comments
    expect(facilitator.get_by_text("Ada")).to_contain_text("In the room (3): Ada · Grace · anonymous #1")

    # the phones follow the reveal by themselves, and voting is over
    for page in phones:
        expect(page.get_by_text("The facilitator has revealed the votes")).to_be_visible(timeout=LIVE_TIMEOUT)
    shot(phones[0], "workshop-participant-revealed")
    shot(facilitator, "workshop-facilitator-revealed")

    facilitator.get_by_role("button", name="Record consensus").click()
    expect(facilitator.get_by_text("Recorded Level 3 as the answer")).to_be_visible(timeout=RERUN_TIMEOUT)
    no_errors(facilitator)
    answer = server_store.answers(aid)[Q1]
    assert answer.level == 3
    assert answer.note == "- only one team does this\n- we automate it"
    assert sorted(v.choice for v in server_store.votes_for(ws.id, Q1)) == ["1", "3", "3"]
