"""The real app in Chromium: what only a browser shows (clicks on labels, the keyboard, focus, the layout
of the Questionnaire's level cards, reloads, the PDF download).

conftest's `app_url` starts `assessment serve` once for the module, with its own database
(`server_store`) and tests/data on QUESTIONNAIRE_PATH; the form then assesses only the `mini`
questionnaire. Screenshots of every page visited are saved in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from browser import ARTIFACTS, DATA, RERUN_TIMEOUT, no_errors, patient, shot
from playwright.sync_api import BrowserContext, Locator, Page, expect
from pypdf import PdfReader

from assessment.content import load_questionnaire
from assessment.present import fmt
from assessment.scoring import score
from assessment.storage import Answer, Store

pytestmark = pytest.mark.browser

PDF_TIMEOUT = 90_000  # ms: the first PDF starts kaleido's Chromium


MINI = "Mini questionnaire (8 questions)"


def create_assessment(page: Page, name: str) -> None:
    """Fill the create form with only the mini questionnaire in "Layers to assess", then submit."""
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Department", exact=True).fill("Platform")
    page.get_by_label("Facilitator (optional)").fill("Ada")
    layers = page.get_by_test_id("stMultiSelect").filter(has_text="Layers to assess")
    others = layers.get_by_role("button", name=re.compile(rf"^Remove (?!{re.escape(MINI)})"))
    while others.count():  # whatever the default selection is, remove every other questionnaire
        others.first.click()
    if not layers.get_by_role("button", name=f"Remove {MINI}").count():
        layers.get_by_role("combobox").click()
        page.get_by_role("option", name=MINI).click()
        page.keyboard.press("Escape")
    expect(layers.get_by_role("button", name=re.compile(r"^Remove "))).to_have_count(1)
    expect(layers.get_by_role("button", name=f"Remove {MINI}")).to_be_visible()
    shot(page, "assessments-form")
    page.get_by_role("button", name="Create assessment").click()


# The first dimension (governance) shows these questions, one layer at a time, each on one level card.
FIRST_DIMENSION = [
    "Question 1 about governance & compliance in alpha?",
    "Question 2 about governance & compliance in alpha?",
    "Question 5 about governance & compliance in beta?",
    "Question 6 about governance & compliance in beta?",
]


def show_layer(page: Page, name: str) -> None:
    """Click a layer in the Questionnaire's layer control and wait for its questions."""
    page.get_by_test_id("stButtonGroup").get_by_role("radio", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(rf"^{name} · "))).to_be_visible()


def level_card(page: Page, question: str) -> Locator:
    """A question's level card (assessment_app/app_pages/level_cards.js), found by its question line. The cards live in
    the component's open shadow root, which Playwright's selectors pierce."""
    title = page.locator(".lc-question", has_text=re.compile(rf"^{re.escape(question)}$"))
    card = page.locator(".lc-card").filter(has=title)
    expect(card).to_have_count(1)
    return card


def level(card: Locator, name: str) -> Locator:
    """A level's radio in a card, by the level's name ("3 · Defined", "N/A"): its accessible name is the
    name followed by the level's description for this question."""
    # Playwright writes the pattern into a /…/ selector without escaping "/": "N/A" needs it escaped.
    return card.get_by_role("radio", name=re.compile("^" + re.escape(name).replace("/", r"\/")))


SAVED = re.compile(r"^✓ Saved at \d\d:\d\d:\d\d$")  # a card's status line once its answer is stored


# Three answers on the first dimension: question text, its id, the level label clicked, stored level.
ANSWERS = [
    ("Question 1 about governance & compliance in alpha?", "alpha.governance.q1", "2 · Repeatable", 2),
    ("Question 2 about governance & compliance in alpha?", "alpha.governance.q2", "4 · Optimised", 4),
    ("Question 5 about governance & compliance in beta?", "beta.governance.q1", "N/A", None),
]


def stored_answer(store: Store, aid: int, qid: str, until: Callable[[Answer | None], bool]) -> Answer | None:
    """The app's stored answer to `qid` once `until` holds for it, or as it is after RERUN_TIMEOUT: a key
    press saves a rerun later, and the card's status line may already show an earlier save."""
    deadline = time.monotonic() + RERUN_TIMEOUT / 1000
    while True:
        answer = store.answers(aid).get(qid)
        if until(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def open_questionnaire(page: Page, app_url: str, store: Store, name: str) -> int:
    """A new assessment on the mini questionnaire, opened on the Questionnaire page; returns its id."""
    aid = store.create_assessment(name, "Platform", load_questionnaire(DATA / "mini.yaml"))
    page.goto(f"{app_url}/questionnaire?assessment={aid}")
    expect(page.locator(".lc-card")).to_have_count(2)  # the first layer's two questions
    return aid


def test_create_answer_reload_results_and_pdf(page: Page, app_url: str, server_store: Store) -> None:
    # Assessments: create one through the form.
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Assessments")).to_be_visible()
    expect(page.get_by_role("heading", name="Create an assessment")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_editable()
    expect(page.get_by_role("button", name="Create assessment")).to_be_enabled()
    no_errors(page)
    shot(page, "assessments")
    create_assessment(page, "Browser baseline")

    # Questionnaire: opened on the new assessment, first dimension.
    expect(page.get_by_role("heading", name="Questionnaire")).to_be_visible()
    expect(page.get_by_text("Browser baseline", exact=False).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]assessment=\d+"))
    aid = int(re.search(r"assessment=(\d+)", page.url).group(1))
    expect(page.locator(".lc-card")).to_have_count(2)  # the first layer's two questions

    for n, (text, _, label, _) in enumerate(ANSWERS, start=1):
        if "beta" in text:
            show_layer(page, "Beta")
        card = level_card(page, text)
        card.get_by_text(label, exact=True).click()  # the level's name, not its radio: as a person clicks
        expect(card.locator(".lc-status")).to_have_text(SAVED)
        expect(page.get_by_text(f"{n} of 8 questions answered")).to_be_visible()
        expect(level(card, label)).to_be_checked()
        expect(card.get_by_role("radio", checked=True)).to_have_count(1)
    expect(page.locator(".lc-status", has_text="✓ Saved at")).to_have_count(1)  # the beta question on screen
    expect(page.get_by_text("✓ Alpha 2/2 · Beta 1/2")).to_be_visible()
    no_errors(page)
    shot(page, "questionnaire")

    # Reload: a new session; the URL alone brings back the assessment, the layer and the answers.
    page.reload()
    expect(page.get_by_role("heading", name="Questionnaire")).to_be_visible()
    expect(page.get_by_role("heading", name="Beta · Governance & compliance")).to_be_visible()
    expect(page.locator(".lc-card")).to_have_count(2)
    expect(page.get_by_text("3 of 8 questions answered")).to_be_visible()
    for text, _, label, _ in reversed(ANSWERS):
        if "alpha" in text:
            show_layer(page, "Alpha")
        card = level_card(page, text)
        expect(level(card, label)).to_be_checked()
        expect(card.get_by_role("radio", checked=True)).to_have_count(1)
        expect(card.locator(".lc-status")).to_have_text("")  # a new session has saved nothing yet
    show_layer(page, "Beta")
    unanswered = level_card(page, "Question 6 about governance & compliance in beta?")
    expect(unanswered.get_by_role("radio", checked=True)).to_have_count(0)
    no_errors(page)
    shot(page, "questionnaire-reloaded")

    saved = server_store.answers(aid)
    record = server_store.get_assessment(aid)
    assert {qid: (a.level, a.na) for qid, a in saved.items()} == {
        qid: (level, level is None) for _, qid, _, level in ANSWERS
    }
    assert record.questionnaire_id == "mini"

    # Results through the sidebar: the session remembers the assessment even though the link drops the URL.
    page.get_by_test_id("stSidebarNav").get_by_text("Results", exact=True).click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expected = score(load_questionnaire(DATA / "mini.yaml"), {qid: level for _, qid, _, level in ANSWERS})
    overall = page.get_by_test_id("stMetric").filter(has_text="Overall")
    expect(overall.get_by_test_id("stMetricValue")).to_have_text(f"{fmt(expected.overall)} / 4")
    expect(page.get_by_text("5 of 8 questions are unanswered")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    expect(page).to_have_url(re.compile(rf"[?&]assessment={aid}\b"))
    no_errors(page)
    shot(page, "results")

    # The PDF report, built when the button is clicked.
    with page.expect_download(timeout=PDF_TIMEOUT) as info:
        page.get_by_role("button", name="Download PDF report").click()
    download = info.value
    assert download.failure() is None
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5_000
    assert download.suggested_filename == f"assessment-{aid}-report.pdf"
    assert "Browser baseline" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    ARTIFACTS.mkdir(exist_ok=True)
    download.save_as(ARTIFACTS / "browser-report.pdf")
    no_errors(page)


def test_the_dimension_stays_put_while_answering(page: Page, app_url: str, server_store: Store) -> None:
    open_questionnaire(page, app_url, server_store, "Navigation")
    expect(page.get_by_text(FIRST_DIMENSION[0], exact=True).first).to_be_visible()

    page.get_by_role("button", name="Next →").click()  # the same dimension's next layer
    expect(page.get_by_text(FIRST_DIMENSION[2], exact=True).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]layer=beta\b"))
    page.get_by_role("button", name="Next →").click()  # the next dimension's first layer
    steps = [("alpha", 3, "2 · Repeatable"), ("beta", 7, "3 · Defined")]  # layer, question number, level
    for n, (layer, number, label) in enumerate(steps, start=1):
        monitoring = f"Question {number} about monitoring & observability in {layer}?"
        expect(page.get_by_text(monitoring, exact=True).first).to_be_visible()
        card = level_card(page, monitoring)
        card.get_by_text(label, exact=True).click()
        expect(card.locator(".lc-status")).to_have_text(SAVED)
        expect(page.get_by_text(f"{n} of 8 questions answered")).to_be_visible()
        expect(level(card, label)).to_be_checked()
        expect(page.get_by_text(monitoring, exact=True).first).to_be_visible()  # it stays put
        expect(page).to_have_url(re.compile(r"[?&]dimension=1\b"))
        expect(page).to_have_url(re.compile(rf"[?&]layer={layer}\b"))
        if layer == "alpha":
            page.get_by_role("button", name="Next →").click()
    expect(page.get_by_text("Monitoring & observability is complete")).to_be_visible()
    no_errors(page)
    shot(page, "questionnaire-second-dimension")

    page.get_by_role("button", name="Next →").click()
    expect(page.get_by_text("Question 4 about cost optimisation in alpha?", exact=True).first).to_be_visible()
    page.get_by_role("button", name="Next →").click()
    expect(page.get_by_text("Question 8 about cost optimisation in beta?", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="See results →")).to_be_visible()


# --- The level cards (assessment_app/app_pages/level_cards.js): keyboard, focus, notes as text, layout ---

Q1, Q2 = FIRST_DIMENSION[0], FIRST_DIMENSION[1]
EVIL_NOTE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script> **bold**'


def open_note(card: Locator) -> Locator:
    """Open a card's "Note and evidence link" and return its note field."""
    card.get_by_text("Note and evidence link", exact=True).click()
    note = card.get_by_role("textbox", name="Note")
    expect(note).to_be_visible()
    return note


def human_click(page: Page, target: Locator) -> None:
    """A click with a person's pause between pressing and releasing the button (Playwright's own click
    sends both within a millisecond)."""
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(100)
    page.mouse.up()


def test_the_app_asks_nothing_of_the_internet(page: Page, app_url: str, server_store: Store) -> None:
    """Every request the browser makes stays on the app's own server: no fonts, icons or scripts from a
    CDN (Streamlit fetches ":material/…" page icons from fonts.gstatic.com), so a room without internet,
    or behind a strict proxy, sees the same app."""
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:")) else None)
    open_questionnaire(page, app_url, server_store, "Offline")
    level_card(page, "Question 1 about governance & compliance in alpha?").get_by_text("2 · Repeatable").click()
    expect(page.locator(".lc-status").first).to_contain_text("Saved at")
    page.get_by_role("link", name="Results").click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    page.wait_for_timeout(1000)
    assert outside == []
    icon = page.locator("link[rel~='icon']").first.get_attribute("href")
    assert icon is not None and icon.startswith("data:image/svg+xml")


def test_arrow_keys_answer_a_question_without_a_mouse(page: Page, app_url: str, server_store: Store) -> None:
    aid = open_questionnaire(page, app_url, server_store, "Keyboard")
    card = level_card(page, Q1)
    card.get_by_role("radio").first.focus()  # where Tab lands in a group with nothing checked yet
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")

    third = level(card, "2 · Repeatable")
    expect(third).to_be_checked()
    expect(card.locator(".lc-status")).to_have_text(SAVED)
    expect(page.get_by_text("1 of 8 questions answered")).to_be_visible()  # the page rerun kept the focus:
    expect(third).to_be_focused()
    # the focus ring is drawn around the level the keyboard is on, and only there
    levels = card.locator("label.lc-level")
    expect(levels.nth(2)).to_have_css("outline-style", "solid")
    expect(levels.nth(1)).to_have_css("outline-style", "none")
    answer = stored_answer(server_store, aid, "alpha.governance.q1", lambda a: a is not None and a.level == 2)
    assert answer is not None and (answer.level, answer.na) == (2, False)

    # Tab leaves the question for its note link, then reaches the next question; Space answers it.
    page.keyboard.press("Tab")
    expect(card.get_by_text("Note and evidence link", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    second = level_card(page, Q2)
    expect(level(second, "0 · None")).to_be_focused()
    page.keyboard.press("Space")
    expect(level(second, "0 · None")).to_be_checked()
    expect(page.get_by_text("2 of 8 questions answered")).to_be_visible()
    answer = stored_answer(server_store, aid, "alpha.governance.q2", lambda a: a is not None and a.level == 0)
    assert answer is not None and (answer.level, answer.na) == (0, False)
    expect(level(card, "2 · Repeatable")).to_be_checked()  # the first answer is untouched
    no_errors(page)


def test_note_and_evidence_link_save_on_leaving_the_field_and_show_as_text(
    page: Page, app_url: str, server_store: Store,
) -> None:
    aid = open_questionnaire(page, app_url, server_store, "Notes")
    card = level_card(page, Q1)
    note = open_note(card)
    note.fill(EVIL_NOTE)
    note.press("Tab")  # leaving the field is what saves it
    link = card.get_by_role("textbox", name="Evidence link")
    expect(link).to_be_focused()
    shown = card.locator(".lc-saved-note")
    expect(shown).to_have_text(f"Note: {EVIL_NOTE}")  # what was typed, character for character
    answer = stored_answer(server_store, aid, "alpha.governance.q1", lambda a: a is not None and a.note == EVIL_NOTE)
    assert answer is not None
    assert (answer.note, answer.level, answer.na) == (EVIL_NOTE, None, False)
    expect(page.get_by_text("0 of 8 questions answered")).to_be_visible()  # a note alone is not an answer

    link.fill("https://example.org/dashboards/models")
    link.press("Tab")
    expect(shown).to_have_text(f"Note: {EVIL_NOTE} · Evidence: https://example.org/dashboards/models")
    answer = stored_answer(server_store, aid, "alpha.governance.q1", lambda a: a is not None and bool(a.evidence_url))
    assert answer is not None
    assert (answer.note, answer.evidence_url) == (EVIL_NOTE, "https://example.org/dashboards/models")
    # The note is text, never markup: no image, no script run, no bold.
    assert page.evaluate("() => window.__pwned") is None
    expect(card.locator("img")).to_have_count(0)
    expect(card.locator("script, strong, b")).to_have_count(0)
    no_errors(page)
    shot(page, "questionnaire-cards")

    # A new session shows what is stored, still as text, in the fields and under them.
    page.reload()
    card = level_card(page, Q1)
    expect(card.locator(".lc-saved-note")).to_have_text(
        f"Note: {EVIL_NOTE} · Evidence: https://example.org/dashboards/models")
    note = open_note(card)
    expect(note).to_have_value(EVIL_NOTE)
    expect(card.get_by_role("textbox", name="Evidence link")).to_have_value("https://example.org/dashboards/models")
    expect(card.locator("img")).to_have_count(0)
    assert page.evaluate("() => window.__pwned") is None
    no_errors(page)


def test_a_save_never_overwrites_the_note_being_typed(page: Page, app_url: str, server_store: Store) -> None:
    aid = open_questionnaire(page, app_url, server_store, "Typing")
    card = level_card(page, Q1)
    note = open_note(card)
    note.click()
    page.keyboard.type("The platform team owns")

    # Another question is answered while the note is still being typed (a click that does not take the
    # focus, like one from a second person at the same screen): the page reruns around the field.
    other = level_card(page, Q2)
    level(other, "1 · Initial").evaluate("radio => radio.click()")
    expect(other.locator(".lc-status")).to_have_text(SAVED)
    expect(page.get_by_text("1 of 8 questions answered")).to_be_visible()  # a whole-page rerun
    expect(note).to_be_focused()
    expect(note).to_have_value("The platform team owns")
    page.keyboard.type(" the model registry")

    # Then a level of the same card: the click takes the focus, the note is saved on the way out.
    human_click(page, card.get_by_text("3 · Defined", exact=True))
    expect(level(card, "3 · Defined")).to_be_checked()
    expect(card.locator(".lc-status")).to_have_text(SAVED)
    typed = "The platform team owns the model registry"
    expect(card.locator(".lc-saved-note")).to_have_text(f"Note: {typed}")
    expect(note).to_have_value(typed)
    answer = stored_answer(server_store, aid, "alpha.governance.q1",
                           lambda a: a is not None and a.level == 3 and a.note == typed)
    assert answer is not None and (answer.level, answer.note) == (3, typed)
    no_errors(page)


def test_a_tap_on_a_level_right_after_typing_keeps_the_note(
    new_context: Callable[..., BrowserContext], app_url: str, server_store: Store,
) -> None:
    page = patient(new_context(viewport={"width": 1024, "height": 768}, has_touch=True).new_page())  # a tablet
    aid = open_questionnaire(page, app_url, server_store, "Tablet")
    card = level_card(page, Q1)
    note = open_note(card)
    note.fill("Asked for the audit log")
    card.get_by_text("3 · Defined", exact=True).tap()
    expect(level(card, "3 · Defined")).to_be_checked()
    expect(card.locator(".lc-status")).to_have_text(SAVED)
    answer = stored_answer(server_store, aid, "alpha.governance.q1", lambda a: a is not None and a.level == 3)
    assert answer is not None and answer.level == 3
    # No typed text is lost: the rerun that stored the level either stored the note or left it in the field.
    assert "Asked for the audit log" in (answer.note, note.input_value()), (answer.note, note.input_value())


@pytest.mark.parametrize(("width", "per_row"), [(390, 1), (1280, 3), (1920, 6)])
def test_levels_fit_the_width_of_the_screen(page: Page, app_url: str, server_store: Store, width: int,
                                            per_row: int) -> None:
    """A phone stacks the six levels, a laptop shows two rows of three, a projector one row of six."""
    page.set_viewport_size({"width": width, "height": 900})
    open_questionnaire(page, app_url, server_store, f"Layout {width}")
    levels = level_card(page, Q1).locator("label.lc-level")
    expect(levels).to_have_count(6)
    tops = [round(box["y"]) for box in (x.bounding_box() for x in levels.all())]
    rows = [tops[i:i + per_row] for i in range(0, len(tops), per_row)]
    assert all(len(set(row)) == 1 for row in rows), tops  # each row side by side…
    assert [row[0] for row in rows] == sorted({*tops}), tops  # …and one row under the other
    no_errors(page)
    shot(page, f"questionnaire-cards-{width}")
