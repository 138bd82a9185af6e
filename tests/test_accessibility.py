"""WCAG 2.2 AA in the running app, checked by axe-core in Chromium on every page and state a user reaches.

One app server for the module, on a demo organisation (the built-in questionnaires, 3 departments × 2
dates). `audit` runs axe-core's WCAG 2.0/2.1/2.2 A and AA rules in every frame of the page, and inside
the level cards' shadow root (axe enters open shadow roots; the cards are checked there, not skipped):
no serious or critical violation may remain. Presentation mode is held to 7:1 as well (axe's
`color-contrast-enhanced`, WCAG AAA). The voting page is checked on a 320 px wide phone and at 200 %
zoom: no horizontal scrolling, every control at least 24 × 24 px.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser import no_errors, shot
from playwright.sync_api import Browser, Page, expect

from assessment.storage import Store

pytestmark = pytest.mark.browser

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}
AXE = Axe()
SETTLE_TIMEOUT = 60  # s for a page to finish drawing on a loaded machine
PAGE_TIMEOUT = 45_000  # ms for an action or an expectation


def slow(page: Page) -> Page:
    """Timeouts for a machine shared with other test runs: axe and several pages per test."""
    page.set_default_timeout(PAGE_TIMEOUT)
    expect.set_options(timeout=PAGE_TIMEOUT)
    return page


@pytest.fixture
def page(page: Page) -> Page:
    page.set_viewport_size({"width": 1280, "height": 900})
    return slow(page)


@pytest.fixture
def demo_store(demo_dir: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{demo_dir / 'assessments.db'}")
    yield s
    s.engine.dispose()


def settled(page: Page) -> None:
    """The page has finished drawing and stayed so for a second: no skeleton placeholder, no "Running…"
    indicator (a page can rerun again after its first run, e.g. when it writes its URL), no error."""
    busy = """() => !![...document.querySelectorAll('[data-testid="stSkeleton"], [data-testid="stStatusWidget"]')]
        .find(e => e.offsetParent !== null)"""
    deadline, calm = time.monotonic() + SETTLE_TIMEOUT, 0
    while calm < 3:
        assert time.monotonic() < deadline, f"{page.url} still drawing after {SETTLE_TIMEOUT} s"
        calm = 0 if page.evaluate(busy) else calm + 1
        page.wait_for_timeout(400)
    no_errors(page)


def audit(page: Page, state: str, *, enhanced: bool = False) -> None:
    """axe-core on the page and every frame in it; fails listing each serious or critical violation.

    `enhanced` adds WCAG AAA (7:1 text contrast), for presentation mode."""
    settled(page)
    tags = WCAG_AA + (["wcag2aaa"] if enhanced else [])
    problems = []
    for frame in page.frames:  # a custom component in an iframe is only checked from inside it
        result = AXE.run(frame, options={"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]})
        for v in result.response["violations"]:
            if v["impact"] in BLOCKING:
                nodes = "; ".join(f"{n['target']}: {n.get('failureSummary', '')[:160]}" for n in v["nodes"][:3])
                problems.append(f"{v['impact']} {v['id']} ({v['help']}) × {len(v['nodes'])}: {nodes}")
    if problems:
        shot(page, f"a11y-{state}")  # test-artifacts/browser-a11y-STATE.png, for a human to look at
    assert not problems, f"{state}:\n" + "\n".join(problems)


def test_every_facilitator_page_passes_axe(page: Page, demo_url: str, demo_ids: list[int]) -> None:
    aid = demo_ids[0]
    page.goto(demo_url)
    expect(page.get_by_role("heading", name="Assessments", exact=True)).to_be_visible()
    audit(page, "assessments")
    for path, heading in [("", "Assessments"), ("scope", "Scope"), ("roadmap", "Roadmap"), ("report", "Report"),
                          ("data", "Data")]:
        page.goto(f"{demo_url}/{path}?assessment={aid}")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        audit(page, f"{path or 'assessments'}-open")

    # Results: every chart's summary under it and its data one click away, in a real table
    page.goto(f"{demo_url}/results?assessment={aid}")
    expect(page.get_by_role("heading", name="Results", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^All layers: Radar of \d+ dimensions"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Heatmap of 3 × \d+ scores, each written in its cell"))).to_be_visible()
    data = page.get_by_text("Show the chart's data as a table")
    expect(data).to_have_count(5)  # the overall radar, one per layer (in tabs), the heatmap
    data.last.click()
    heat = page.get_by_test_id("stExpander").last.get_by_role("table")
    expect(heat).to_be_visible()
    expect(heat.get_by_role("columnheader").first).to_be_visible()
    expect(heat.get_by_role("row")).to_have_count(4)  # a header row and one per layer
    audit(page, "results")

    page.goto(f"{demo_url}/compare")
    expect(page.get_by_role("heading", name="Compare", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Radar of \d+ dimensions overlaying "))).to_be_visible()
    audit(page, "compare-departments")
    page.get_by_test_id("stButtonGroup").get_by_role("radio", name="Over time").click()
    expect(page.get_by_text(re.compile(r"^Lines of \d+ dimensions over 2 assessments"))).to_be_visible()
    audit(page, "compare-over-time")


def test_the_level_cards_are_a_labelled_radio_group_and_pass_axe(page: Page, demo_url: str,
                                                                  demo_ids: list[int]) -> None:
    page.goto(f"{demo_url}/questionnaire?assessment={demo_ids[1]}")
    card = page.locator(".lc-card").first
    expect(card).to_be_visible()
    question = card.locator(".lc-question").inner_text()
    group = page.get_by_role("radiogroup", name=question, exact=True)
    expect(group).to_have_count(1)
    radios = group.get_by_role("radio")
    expect(radios).to_have_count(6)  # five levels and N/A
    names = card.locator(".lc-name").all_inner_texts()
    texts = card.locator(".lc-desc").all_inner_texts()
    for i in (0, 2, 5):  # each level named by its name, described by what an assessor sees at that level
        expect(radios.nth(i)).to_have_accessible_name(names[i])
        expect(radios.nth(i)).to_have_accessible_description(texts[i])
    radios.nth(3).check()
    expect(card.locator(".lc-status")).to_have_text(re.compile(r"^✓ Saved at"))
    expect(group.get_by_role("radio", checked=True)).to_have_accessible_name(names[3])
    card.locator(".lc-more summary").click()  # the note and link fields open: labelled too
    expect(card.get_by_role("textbox", name="Note")).to_be_visible()
    expect(card.get_by_role("textbox", name="Evidence link")).to_be_visible()
    audit(page, "questionnaire")


def test_presentation_mode_has_7_to_1_contrast(page: Page, demo_url: str, demo_ids: list[int]) -> None:
    for path, ready in [("questionnaire", page.locator(".lc-card").first),
                        ("results", page.get_by_role("heading", name="Results", exact=True))]:
        page.goto(f"{demo_url}/{path}?assessment={demo_ids[0]}")
        expect(ready).to_be_visible()
        settled(page)
        page.get_by_test_id("stSidebar").get_by_text("Presentation mode").click()
        expect(page.get_by_role("button", name="Exit presentation mode")).to_be_visible()
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()
        if path == "questionnaire":
            expect(page.locator(".lc-large")).to_have_count(1)
        audit(page, f"presentation-{path}", enhanced=True)


def fits(page: Page, state: str) -> None:
    """No horizontal scrolling (WCAG 1.4.10 reflow) and every control at least 24 × 24 px (2.5.8)."""
    overflow = page.evaluate("""() => [document.documentElement,
        ...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.dataset.testid || e.tagName)""")
    assert overflow == [], f"{state}: scrolls sideways: {overflow}"
    small = page.evaluate("""() => [...document.querySelectorAll(
            '[data-testid="stMain"] button, [data-testid="stMain"] input, [data-testid="stMain"] textarea,'
            + ' [data-testid="stMain"] label:has(input[type=radio])')]
        .filter(e => e.offsetParent !== null && e.type !== 'radio')
        .map(e => [e.innerText || e.getAttribute('aria-label') || e.tagName, e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 24 || r.height < 24).map(([t, r]) => `${t} ${r.width}×${r.height}`)""")
    assert small == [], f"{state}: targets under 24 px: {small}"


def test_workshop_and_the_voting_page_on_a_320px_phone_and_at_200_percent_zoom(
        browser: Browser, demo_url: str, demo_ids: list[int], demo_store: Store) -> None:
    aid = demo_ids[2]
    facilitator = slow(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
    facilitator.goto(f"{demo_url}/workshop?assessment={aid}")
    key = facilitator.get_by_role("textbox", name="One-time facilitator key")
    expect(key).to_be_visible()
    audit(facilitator, "workshop-key")
    key.fill(demo_store.new_facilitator_key())
    facilitator.get_by_role("button", name="Use the key").click()
    facilitator.get_by_role("button", name="Open a workshop").click()
    expect(facilitator.get_by_text("Join code:")).to_be_visible()
    ws = demo_store.active_workshop(aid)
    assert ws is not None
    facilitator.get_by_role("button", name="Put on screen").click()
    expect(facilitator.get_by_text("0 have voted · 0 joined").first).to_be_visible()
    audit(facilitator, "workshop-open")

    phone = slow(browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True,
                                        has_touch=True).new_page())
    zoomed = slow(browser.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2).new_page())
    for page, label, choice in [(phone, "320px", 1), (zoomed, "zoom200", 3)]:
        page.goto(f"{demo_url}/?join={ws.code}")
        expect(page.get_by_role("heading", name="Join the workshop")).to_be_visible()
        fits(page, f"vote-join-{label}")
        audit(page, f"vote-join-{label}")
        page.get_by_label("Your name (optional)").fill(f"Reader {label}")
        page.get_by_role("button", name="Join").click()
        radios = page.get_by_test_id("stRadio").get_by_role("radio")
        expect(radios).to_have_count(7)
        fits(page, f"vote-question-{label}")
        audit(page, f"vote-question-{label}")
        page.get_by_test_id("stRadio").locator("label").nth(choice).click()
        page.get_by_role("button", name="Vote").click()
        expect(page.get_by_text(re.compile(r"^Your vote: Level"))).to_be_visible()
        fits(page, f"vote-voted-{label}")
        audit(page, f"vote-voted-{label}")

    expect(facilitator.get_by_text("2 have voted · 2 joined").first).to_be_visible()
    facilitator.get_by_role("button", name="Reveal").click()
    summary = re.compile(r"^2 votes: Level \d: 1, Level \d: 1; median .*; a disagreement, the votes span")
    expect(facilitator.get_by_text(summary)).to_be_visible()  # the chart's summary, under it
    expect(facilitator.get_by_text("The room disagrees:")).to_be_visible()  # written, not only coloured
    audit(facilitator, "workshop-revealed")
    expect(phone.get_by_text("The facilitator has revealed the votes")).to_be_visible()
    fits(phone, "vote-revealed-320px")
    audit(phone, "vote-revealed-320px")

    # with a workshop open, facilitator pages ask for a login: that page too
    login = slow(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
    login.goto(demo_url)
    expect(login.get_by_role("button", name=re.compile("Log in|Use the key")).first).to_be_visible()
    audit(login, "login")
    for p in (facilitator, phone, zoomed, login):
        p.context.close()
