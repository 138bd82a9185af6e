"""One live workshop served by two Streamlit processes on one PostgreSQL database, one of them restarted.

Everything a workshop knows is in the database, so it does not matter which server a phone reaches:
the facilitator runs the workshop on server A, the phones vote through server B, B is stopped and a
new process takes its port mid-workshop, and nothing is lost. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from browser import DATA, PHONE, Q1, Q1_TEXT, choose, free_port, no_errors, serve_app, shot, vote
from playwright.sync_api import BrowserContext, Page, expect

from assessment.content import load_questionnaire
from assessment.storage import Store

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

# ms; two servers and five browser pages share the machine (2 slow cores in CI): wait long, fail late
TIMEOUT = 30_000  # a rerun's result, or a live fragment's next read of the database
SLOW_TIMEOUT = 60_000  # a fresh page loading; the first Plotly chart; a page noticing its server left or came back


def join(page: Page, server: str, code: str, name: str = "") -> None:
    """Open the join link on `server`, join (named or anonymous) and wait for the question on screen."""
    page.goto(f"{server}/?join={code}")
    expect(page.get_by_role("heading", name="Join the workshop")).to_be_visible(timeout=TIMEOUT)
    if name:
        page.get_by_label("Your name (optional)").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text(Q1_TEXT)).to_be_visible(timeout=TIMEOUT)


def test_two_servers_and_a_restart_serve_one_workshop(
    new_context: Callable[..., BrowserContext], pg_url: str, tmp_path: Path,
) -> None:
    store = Store.open(pg_url)  # migrates the fresh schema before either server opens it
    aid = store.create_assessment("Two-server workshop", "Platform", load_questionnaire(DATA / "mini.yaml"))
    # every browser here reaches the servers from 127.0.0.1: one address, four participants
    env = {"DATABASE_URL": pg_url, "QUESTIONNAIRE_PATH": str(DATA), "ASSESSMENT_JOINS_PER_ADDRESS": "10"}
    for name in ("a", "b", "b-restarted"):
        (tmp_path / name).mkdir()
    port_b = free_port()  # B's replacement takes the same address, so B's open pages reconnect to it

    def new_page(**context_args: object) -> Page:
        page = new_context(**context_args).new_page()
        page.set_default_navigation_timeout(SLOW_TIMEOUT)  # a fresh context downloads Streamlit's scripts
        return page

    def phone() -> Page:
        return new_page(viewport=PHONE, is_mobile=True)

    with serve_app(tmp_path / "a", **env) as server_a:
        facilitator = new_page(viewport={"width": 1280, "height": 900})
        facilitator.goto(f"{server_a}/workshop?assessment={aid}")
        # no account: the one-time key printed on the server proves who the facilitator is
        facilitator.get_by_role("textbox", name="One-time facilitator key").fill(store.new_facilitator_key())
        facilitator.get_by_role("button", name="Use the key").click()
        facilitator.get_by_role("button", name="Open a workshop").click()
        expect(facilitator.get_by_text("Join code:")).to_be_visible(timeout=TIMEOUT)
        facilitator.get_by_role("button", name="Put on screen").click()
        expect(facilitator.get_by_role("button", name="Reveal")).to_be_visible(timeout=TIMEOUT)
        expect(facilitator.get_by_text("0 have voted · 0 joined").first).to_be_visible()
        ws = store.active_workshop(aid)
        assert ws is not None and ws.current_question == Q1

        ada, grace, anon = phone(), phone(), phone()
        with serve_app(tmp_path / "b", port=port_b, **env) as server_b:
            join(ada, server_a, ws.code, "Ada")
            join(grace, server_b, ws.code, "Grace")
            join(anon, server_b, ws.code)
            # A's live counter sees the joins that went through B
            expect(facilitator.get_by_text("0 have voted · 3 joined").first).to_be_visible(timeout=TIMEOUT)

            # Ada double-clicks Vote: one vote
            choose(ada, 1)
            ada.get_by_label("Comment (optional)").fill("only one team does this")
            ada.get_by_label("Comment (optional)").press("Tab")
            ada.get_by_role("button", name="Vote").dblclick()
            expect(ada.get_by_text("Your vote: Level 1")).to_be_visible(timeout=TIMEOUT)
            vote(grace, 3)
            expect(grace.get_by_text("Your vote: Level 3")).to_be_visible(timeout=TIMEOUT)
            vote(anon, 4, "we automate it")
            expect(anon.get_by_text("Your vote: Level 4")).to_be_visible(timeout=TIMEOUT)
            expect(facilitator.get_by_text("3 have voted · 3 joined").first).to_be_visible(timeout=TIMEOUT)
            assert sorted(v.choice for v in store.votes_for(ws.id, Q1)) == ["1", "3", "4"]

            # Grace reloads on B: her vote is still hers
            grace.reload()
            expect(grace.get_by_text("Your vote: Level 3")).to_be_visible(timeout=TIMEOUT)
            no_errors(grace)

        # B is gone (its process terminated): its pages say so and retry; A carries on without it
        for page in (grace, anon):
            expect(page.get_by_text("Connection error")).to_be_visible(timeout=SLOW_TIMEOUT)
        expect(facilitator.get_by_text("3 have voted · 3 joined").first).to_be_visible(timeout=TIMEOUT)

        with serve_app(tmp_path / "b-restarted", port=port_b, **env) as server_b2:
            assert server_b2 == server_b
            # Grace's page reconnects by itself to the new process, and takes her changed vote
            expect(grace.get_by_text("Connection error")).to_have_count(0, timeout=SLOW_TIMEOUT)
            vote(grace, 4, "two teams do")
            expect(grace.get_by_text("Your vote: Level 4")).to_be_visible(timeout=TIMEOUT)
            grace.reload()  # a fresh session: what it shows now comes from the database
            expect(grace.get_by_text("Your vote: Level 4")).to_be_visible(timeout=TIMEOUT)
            expect(grace.get_by_label("Comment (optional)")).to_have_value("two teams do")
            # the anonymous participant reopens their link on the new process: vote and comment are there
            anon.reload()
            expect(anon.get_by_text("Your vote: Level 4")).to_be_visible(timeout=TIMEOUT)
            expect(anon.get_by_label("Comment (optional)")).to_have_value("we automate it")
            vote(anon, 3)  # and it can still change its mind
            expect(anon.get_by_text("Your vote: Level 3")).to_be_visible(timeout=TIMEOUT)
            no_errors(anon)

            # a late joiner on the new process sees the question on screen at once
            late = phone()
            join(late, server_b2, ws.code, "Linus")
            expect(late.get_by_role("button", name="Vote")).to_be_disabled(timeout=TIMEOUT)  # nothing chosen yet
            expect(facilitator.get_by_text("3 have voted · 4 joined").first).to_be_visible(timeout=TIMEOUT)

            facilitator.get_by_role("button", name="Reveal").click()
            expect(facilitator.get_by_text("The room disagrees")).to_be_visible(timeout=TIMEOUT)
            expect(facilitator.get_by_test_id("stMetric").filter(has_text="Median")).to_contain_text("3")
            expect(facilitator.get_by_test_id("stPlotlyChart")).to_be_visible(timeout=SLOW_TIMEOUT)
            # every phone, on either server, follows the reveal by itself
            for page in (ada, grace, anon, late):
                expect(page.get_by_text("The facilitator has revealed the votes")).to_be_visible(timeout=TIMEOUT)
            expect(anon.get_by_text("Your vote: Level 3.")).to_be_visible()
            expect(late.get_by_text("You did not vote on this question.")).to_be_visible()
            shot(facilitator, "two-servers-facilitator-revealed")
            shot(anon, "two-servers-phone-revealed")

            facilitator.get_by_role("button", name="Record consensus").click()
            expect(facilitator.get_by_text("Recorded Level 3 as the answer")).to_be_visible(timeout=TIMEOUT)
            no_errors(facilitator)

    answer = store.answers(aid)[Q1]
    assert (answer.level, answer.na) == (3, False)
    assert answer.note == "- only one team does this\n- we automate it\n- two teams do"
    assert sorted(v.choice for v in store.votes_for(ws.id, Q1)) == ["1", "3", "4"]
    assert store.participant_count(ws.id) == 4
    store.engine.dispose()
