"""The Streamlit pages through AppTest: flows and state without a browser.

Every test gets its own database (conftest's `app_store`) and, through conftest's `app_env`, sees only
tests/data's `mini` questionnaire in the create form, so the built-in questionnaires can change freely.
What only a browser shows (layout, clicks on labels, the PDF download) is in test_browser.py.
"""

from __future__ import annotations

import pytest
from apptest import (
    ASSESSMENTS,
    QUESTIONNAIRE,
    RESULTS,
    ROADMAP,
    SCOPE,
    app,
    by_label,
    click,
    metric,
    run,
    session,
    texts,
)
from cards import cards, choose, heading, send, send_raw, shown, value
from streamlit.testing.v1 import AppTest

from assessment.present import fmt, plain
from assessment.questionnaire import Questionnaire
from assessment.scoring import score
from assessment.storage import Store

pytestmark = pytest.mark.usefixtures("app_env")


# --- empty states ---------------------------------------------------------------------


@pytest.mark.parametrize("page_path", [QUESTIONNAIRE, RESULTS, ROADMAP])
def test_pages_without_an_assessment_point_to_the_assessments_page(page_path: str) -> None:
    at = app(page=page_path)
    assert any("No assessment is open" in t for t in texts(at.info))
    assert not cards(at) and not at.metric and not at.get("download_button")


def test_assessments_page_starts_empty_and_offers_the_mini_questionnaire() -> None:
    at = app()
    assert texts(at.title) == ["Assessments"]
    assert any("No assessments yet" in t for t in texts(at.info))
    assert by_label(at.multiselect, "Layers to assess").options == ["Mini questionnaire (8 questions)"]


def test_unknown_assessment_in_the_url_warns_and_is_forgotten() -> None:
    at = app(999)
    assert any(plain("'999'") + " does not exist" in t for t in texts(at.warning))  # Markdown, shown as typed
    assert "assessment" not in at.query_params
    at.switch_page(QUESTIONNAIRE)
    run(at)
    assert any("No assessment is open" in t for t in texts(at.info))


@pytest.mark.parametrize("page_path", [ASSESSMENTS, SCOPE, QUESTIONNAIRE, RESULTS])
def test_every_page_runs_with_an_open_assessment(app_store: Store, aid: int, page_path: str) -> None:
    app_store.save_answer(aid, "alpha.governance.q1", level=2)
    at = app(aid, page=page_path)
    assert not at.error
    assert at.query_params["assessment"] == str(aid)


# --- creating and opening -----------------------------------------------------------------


def fill_create_form(at: AppTest, name: str, department: str = "Platform", scope: list[str] | None = None) -> None:
    by_label(at.text_input, "Name").input(name)
    by_label(at.text_input, "Department").input(department)
    by_label(at.text_input, "Facilitator (optional)").input("Ada")
    by_label(at.multiselect, "Layers to assess").set_value(["mini"] if scope is None else scope)
    click(at, "Create assessment")


def test_create_assessment_opens_it_in_the_questionnaire(app_store: Store) -> None:
    at = app()
    fill_create_form(at, "Q4 baseline")

    [record] = app_store.list_assessments()
    assert (record.name, record.department, record.facilitator) == ("Q4 baseline", "Platform", "Ada")
    assert record.questionnaire_id == "mini"
    assert texts(at.title) == ["Questionnaire"]
    assert at.query_params["assessment"] == str(record.id)
    assert any("Q4 baseline" in t for t in texts(at.caption))
    # The first dimension (governance) has two questions in each of the two layers: one layer at a time.
    first_layer = ["alpha.governance.q1", "alpha.governance.q2"]
    assert shown(at) == first_layer
    assert heading(at) == "Alpha · Governance & compliance"
    layer = at.button_group(key="layer-step")
    assert (layer.value, layer.options) == ("alpha", ["Alpha", "Beta"])
    assert "Alpha 0/2 · Beta 0/2" in texts(at.caption)


def test_create_without_a_name_shows_an_error_and_creates_nothing(app_store: Store) -> None:
    at = app()
    fill_create_form(at, "   ")
    assert any("needs a name" in t for t in texts(at.error))
    assert texts(at.title) == ["Assessments"]
    assert app_store.list_assessments() == []


def test_create_without_a_layer_shows_an_error(app_store: Store) -> None:
    at = app()
    fill_create_form(at, "Q4 baseline", scope=[])
    assert any("at least one layer" in t for t in texts(at.error))
    assert app_store.list_assessments() == []


def test_open_button_opens_the_chosen_assessment(app_store: Store, mini: Questionnaire) -> None:
    first = app_store.create_assessment("First", "Platform", mini)
    app_store.create_assessment("Second", "Data", mini)
    at = app()
    by_label(at.selectbox, "Assessment").set_value(first)
    click(at, "Open")
    assert texts(at.title) == ["Questionnaire"]
    assert at.query_params["assessment"] == str(first)
    assert any("**First** · Platform" in t for t in texts(at.caption))


def test_the_open_assessment_survives_navigation_that_drops_the_url(aid: int) -> None:
    """st.switch_page and the sidebar links clear query parameters; the session keeps the assessment."""
    at = app(aid, page=QUESTIONNAIRE)
    del at.query_params["assessment"]
    at.switch_page(ASSESSMENTS)
    run(at)
    assert any("Open: **Q4 baseline**" in t for t in texts(at.success))
    assert at.query_params["assessment"] == str(aid)  # put back, so a reload keeps it


# --- answering -------------------------------------------------------------------------------


def show_layer(at: AppTest, layer: str) -> AppTest:
    """Pick a layer in the Questionnaire's layer control."""
    at.button_group(key="layer-step").set_value(layer)
    return run(at)


def test_choosing_a_level_saves_it_at_once(app_store: Store, aid: int) -> None:
    at = app(aid, page=QUESTIONNAIRE)
    choose(at, "alpha.governance.q1", "2")
    assert not at.exception

    saved = app_store.answers(aid)["alpha.governance.q1"]
    assert (saved.level, saved.na, saved.answered_by) == (2, False, "app")
    card = cards(at)["alpha.governance.q1"]
    assert (card["value"], card["warning"]) == ("2", "")
    assert card["status"].startswith("✓ Saved at")
    assert cards(at)["alpha.governance.q2"]["status"] == ""  # only the card that was clicked
    assert at.get("progress")[0].proto.text == "1 of 8 questions answered"

    choose(at, "alpha.governance.q1", "3")
    show_layer(at, "beta")
    choose(at, "beta.governance.q1", "na")
    assert not at.exception
    answers = app_store.answers(aid)
    assert (answers["alpha.governance.q1"].level, answers["alpha.governance.q1"].version) == (3, 2)
    assert (answers["beta.governance.q1"].level, answers["beta.governance.q1"].na) == (None, True)
    assert value(at, "beta.governance.q1") == "na"
    assert not any(c["warning"] for c in cards(at).values())  # no conflict: the page tracked its own versions


def test_every_card_offers_the_five_levels_and_na(aid: int) -> None:
    at = app(aid, page=QUESTIONNAIRE)
    card = cards(at)["alpha.governance.q1"]
    assert [x["value"] for x in card["levels"]] == ["0", "1", "2", "3", "4", "na"]
    assert card["levels"][-1]["name"] == "N/A"
    assert (card["value"], card["note"], card["evidence"], card["status"]) == (None, "", "", "")
    assert (card["disabled"], card["large"]) == (False, False)


def test_note_and_evidence_link_are_saved(app_store: Store, aid: int) -> None:
    at = app(aid, page=QUESTIONNAIRE)
    choose(at, "alpha.governance.q2", "1")
    send(at, "alpha.governance.q2", note="Policy exists in a wiki; Bob follows up.")
    send(at, "alpha.governance.q2", evidence="https://wiki.example/policy")
    assert not at.exception

    saved = app_store.answers(aid)["alpha.governance.q2"]
    assert saved.level == 1
    assert saved.note == "Policy exists in a wiki; Bob follows up."
    assert saved.evidence_url == "https://wiki.example/policy"
    card = cards(at)["alpha.governance.q2"]
    assert (card["value"], card["note"], card["evidence"]) == ("1", saved.note, saved.evidence_url)


def test_a_note_alone_is_saved_without_a_level(app_store: Store, aid: int) -> None:
    at = app(aid, page=QUESTIONNAIRE)
    show_layer(at, "beta")
    send(at, "beta.governance.q2", note="Ask the security team.")
    assert not at.exception
    saved = app_store.answers(aid)["beta.governance.q2"]
    assert (saved.level, saved.na, saved.note) == (None, False, "Ask the security team.")
    assert (value(at, "beta.governance.q2"), cards(at)["beta.governance.q2"]["note"]) == (None, saved.note)
    assert at.get("progress")[0].proto.text == "0 of 8 questions answered"  # a note is not an answer


def test_saved_answers_and_notes_are_shown_when_the_page_is_opened_again(app_store: Store, aid: int) -> None:
    app_store.save_answer(aid, "alpha.governance.q1", level=4, note="Automated gate in CI")
    app_store.save_answer(aid, "beta.governance.q2", na=True)
    at = app(aid, page=QUESTIONNAIRE)
    assert value(at, "alpha.governance.q1") == "4"
    assert value(at, "alpha.governance.q2") is None
    assert cards(at)["alpha.governance.q1"]["note"] == "Automated gate in CI"
    assert cards(at)["alpha.governance.q1"]["status"] == ""  # saved earlier, not by this session
    assert at.get("progress")[0].proto.text == "2 of 8 questions answered"
    assert "✓ Alpha 1/2 · Beta 1/2" not in texts(at.caption)
    assert "Alpha 1/2 · Beta 1/2" in texts(at.caption)
    show_layer(at, "beta")
    assert value(at, "beta.governance.q2") == "na"


def test_a_saved_note_reaches_its_card_as_plain_text(app_store: Store, aid: int) -> None:
    hostile = "**bold** <img src=x onerror=alert(1)> [site](javascript:alert(1))"
    app_store.save_answer(aid, "alpha.governance.q1", level=2, note=hostile, evidence_url="https://wiki.example/p")
    at = app(aid, page=QUESTIONNAIRE)
    card = cards(at)["alpha.governance.q1"]
    assert (card["note"], card["evidence"]) == (hostile, "https://wiki.example/p")
    assert not any(hostile in m.value for m in at.markdown)  # never handed to the markdown renderer


@pytest.mark.parametrize("note", ["<img src=x onerror=alert(1)>", "**bold**", "file:///etc/passwd"])
def test_a_note_with_markup_is_saved_and_sent_back_verbatim(app_store: Store, aid: int, note: str) -> None:
    """The page keeps what the room typed; level_cards.js writes it with textContent (test_browser shows it)."""
    at = app(aid, page=QUESTIONNAIRE)
    send(at, "alpha.governance.q1", note=note)
    assert not at.exception
    assert app_store.answers(aid)["alpha.governance.q1"].note == note
    assert cards(at)["alpha.governance.q1"]["note"] == note
    assert not any(note in m.value for m in at.markdown)
    assert cards(app(aid, page=QUESTIONNAIRE))["alpha.governance.q1"]["note"] == note  # and after a reload


GOOD = {"qid": "alpha.governance.q1", "changed": "level", "level": "2", "note": "", "evidence": ""}


@pytest.mark.parametrize("event", [
    {**GOOD, "qid": "nope.q1"},  # not a question of this assessment
    {**GOOD, "level": "7"},
    {**GOOD, "level": 3},  # a number, not the option "3"
    {**GOOD, "level": "<b>"},
    {**GOOD, "level": None},  # "changed: level" to nothing: a radio cannot be unticked
    {**GOOD, "level": "7", "changed": "note", "note": "sneaked in with a bad level"},
    {**GOOD, "changed": "note", "note": 42},
    {**GOOD, "changed": "note", "note": ["a", "b"]},
    {**GOOD, "changed": "evidence", "evidence": {"href": "x"}},
    {**GOOD, "evidence": 7},  # a level with a malformed link alongside
    {**GOOD, "changed": "vote"},
    {k: v for k, v in GOOD.items() if k != "changed"},
    {"qid": "alpha.governance.q1", "changed": "note"},  # says a note changed, sends none
    {"qid": "alpha.governance.q1"},
    {"level": "2", "changed": "level"},
    {**GOOD, "qid": ["alpha.governance.q1"]},  # unhashable
    "alpha.governance.q1",
    None,
])
def test_an_event_the_page_does_not_expect_is_ignored(app_store: Store, aid: int, event: object) -> None:
    at = app(aid, page=QUESTIONNAIRE)
    before = cards(at)
    send_raw(at, event)
    assert not at.exception and not at.error
    assert app_store.answers(aid) == {}
    assert cards(at) == before  # the page still renders, unchanged
    assert at.get("progress")[0].proto.text == "0 of 8 questions answered"

    send_raw(at, GOOD)  # the same channel carries a good answer
    assert app_store.answers(aid)["alpha.governance.q1"].level == 2


def test_a_final_assessment_shows_disabled_cards_and_saves_nothing(app_store: Store, aid: int) -> None:
    app_store.save_answer(aid, "alpha.governance.q1", level=1, note="agreed")
    app_store.set_status(aid, "final")
    at = app(aid, page=QUESTIONNAIRE)
    assert any("final and read-only" in t for t in texts(at.info))
    assert all(c["disabled"] for c in cards(at).values()) and len(cards(at)) == 2

    choose(at, "alpha.governance.q1", "4")
    choose(at, "alpha.governance.q2", "2")
    send(at, "alpha.governance.q1", note="changed after the fact")
    assert not at.exception and not at.error
    [saved] = app_store.answers(aid).values()
    assert (saved.question_id, saved.level, saved.note, saved.version) == ("alpha.governance.q1", 1, "agreed", 1)
    card = cards(at)["alpha.governance.q1"]
    assert (card["value"], card["note"], card["status"]) == ("1", "agreed", "")


def test_a_conflicting_edit_keeps_theirs_and_a_second_click_overwrites(app_store: Store, aid: int) -> None:
    qid = "alpha.governance.q1"
    app_store.save_answer(aid, qid, level=1)
    at = app(aid, page=QUESTIONNAIRE)
    app_store.save_answer(aid, qid, level=3, note="from the other laptop", answered_by="Grace")  # after the page loaded

    choose(at, qid, "2")
    assert not at.exception
    theirs = app_store.answers(aid)[qid]
    assert (theirs.level, theirs.answered_by, theirs.version) == (3, "Grace", 2)
    card = cards(at)[qid]
    assert "Someone else (Grace) changed this answer to level 3 while you gave level 2" in card["warning"]
    assert (card["value"], card["note"], card["status"]) == ("3", "from the other laptop", "")

    choose(at, qid, "2")  # deliberately, knowing theirs
    assert not at.exception
    mine = app_store.answers(aid)[qid]
    assert (mine.level, mine.answered_by, mine.version) == (2, "app", 3)
    assert mine.note == "from the other laptop"  # their note is not lost with their level
    card = cards(at)[qid]
    assert (card["value"], card["warning"]) == ("2", "")
    assert card["status"].startswith("✓ Saved at")


def test_a_first_answer_does_not_overwrite_one_given_elsewhere_meanwhile(app_store: Store, aid: int) -> None:
    """Unanswered when the page loaded, answered with a note on another laptop, then clicked here."""
    qid = "alpha.governance.q1"
    at = app(aid, page=QUESTIONNAIRE)
    app_store.save_answer(aid, qid, level=3, note="theirs", answered_by="Grace")
    choose(at, qid, "2")
    saved = app_store.answers(aid)[qid]
    assert (saved.level, saved.note, saved.answered_by) == (3, "theirs", "Grace")
    assert "Grace" in cards(at)[qid]["warning"]
    choose(at, qid, "2")
    saved = app_store.answers(aid)[qid]
    assert (saved.level, saved.note) == (2, "theirs")  # a level never clears a note


def test_a_note_that_meets_a_conflict_is_kept_in_the_warning(app_store: Store, aid: int) -> None:
    qid = "alpha.governance.q1"
    app_store.save_answer(aid, qid, note="first thoughts")
    at = app(aid, page=QUESTIONNAIRE)
    app_store.save_answer(aid, qid, level=3, note="first thoughts", answered_by="Grace")
    send(at, qid, note="mine, typed in the room")
    warning = cards(at)[qid]["warning"]
    assert "changed this answer to level 3 while you gave a note" in warning
    assert "“mine, typed in the room”" in warning and "level None" not in warning
    assert app_store.answers(aid)[qid].note == "first thoughts"
    send(at, qid, note="mine, typed in the room")
    saved = app_store.answers(aid)[qid]
    assert (saved.level, saved.note) == (3, "mine, typed in the room")  # a note keeps their level


def test_a_change_made_elsewhere_and_then_shown_here_is_not_a_conflict(app_store: Store, aid: int) -> None:
    """Once the page has run again and shows their answer, changing it is a plain edit, not a clash."""
    qid = "alpha.governance.q1"
    app_store.save_answer(aid, qid, level=1)
    at = app(aid, page=QUESTIONNAIRE)
    app_store.save_answer(aid, qid, level=3, answered_by="Grace")
    at.run()  # the page runs again (another click, a reload): it now shows level 3
    assert value(at, qid) == "3"
    choose(at, qid, "2")
    assert cards(at)[qid]["warning"] == ""
    assert (app_store.answers(aid)[qid].level, app_store.answers(aid)[qid].version) == (2, 3)


# --- dimension navigation ------------------------------------------------------------------------


def test_next_and_previous_walk_through_the_layers_then_the_dimensions(aid: int) -> None:
    at = app(aid, page=QUESTIONNAIRE)
    assert at.selectbox(key="dim-index").value == 0
    assert by_label(at.button, "← Previous").disabled
    assert shown(at) == ["alpha.governance.q1", "alpha.governance.q2"]
    assert by_label(at.button, "Next →").help == "On to " + plain("Beta · Governance & compliance")

    click(at, "Next →")
    assert at.selectbox(key="dim-index").value == 0
    assert at.button_group(key="layer-step").value == "beta"
    assert shown(at) == ["beta.governance.q1", "beta.governance.q2"]
    assert at.query_params["layer"] == "beta"

    click(at, "Next →")
    assert at.selectbox(key="dim-index").value == 1
    assert shown(at) == ["alpha.monitoring.q1"]
    assert at.query_params["dimension"] == "1"
    assert at.query_params["layer"] == "alpha"

    for _ in range(3):
        click(at, "Next →")
    assert shown(at) == ["beta.cost.q1"]
    assert "Next →" not in [b.label for b in at.button]

    click(at, "← Previous")
    assert at.selectbox(key="dim-index").value == 2
    assert shown(at) == ["alpha.cost.q1"]
    click(at, "← Previous")
    assert at.selectbox(key="dim-index").value == 1
    assert shown(at) == ["beta.monitoring.q1"]


def test_the_selectbox_layer_control_and_the_url_choose_what_is_shown(aid: int) -> None:
    at = app(aid, page=QUESTIONNAIRE)
    show_layer(at, "beta")
    at.selectbox(key="dim-index").set_value(2).run()
    assert not at.exception
    assert shown(at) == ["alpha.cost.q1"]  # a new dimension starts at its first layer
    show_layer(at, "beta")
    assert shown(at) == ["beta.cost.q1"]

    at = questionnaire_from_url(aid, dimension="1", layer="beta")
    assert shown(at) == ["beta.monitoring.q1"]
    at = questionnaire_from_url(aid, dimension="x", layer="<script>")
    assert shown(at) == ["alpha.governance.q1", "alpha.governance.q2"]


def questionnaire_from_url(aid: int, **params: str) -> AppTest:
    """A new session opened on a Questionnaire link: ?assessment=ID plus the given query parameters."""
    at = session()
    at.query_params["assessment"] = str(aid)
    at.query_params.update(params)
    run(at).switch_page(QUESTIONNAIRE)
    return run(at)


def test_a_complete_dimension_shows_its_score(aid: int) -> None:
    at = app(aid, page=QUESTIONNAIRE)
    at.selectbox(key="dim-index").set_value(1).run()
    choose(at, "alpha.monitoring.q1", "3")
    assert not any("is complete" in t for t in texts(at.success))
    show_layer(at, "beta")
    choose(at, "beta.monitoring.q1", "1")
    assert not at.exception
    assert any(plain("Monitoring & observability") + " is complete: score **2.0**" in t for t in texts(at.success))


def test_see_results_on_the_last_dimension_opens_results(aid: int) -> None:
    at = app(aid, page=QUESTIONNAIRE)
    at.selectbox(key="dim-index").set_value(2).run()
    choose(at, "alpha.cost.q1", "2")
    click(at, "Next →")
    click(at, "See results →")
    assert texts(at.title) == ["Results"]
    assert metric(at, "Overall") == "2.0 / 4"


# --- results -------------------------------------------------------------------------------------


PARTIAL = {
    "alpha.governance.q1": 4, "alpha.governance.q2": 1, "alpha.monitoring.q1": 3,
    "beta.governance.q1": 2, "beta.cost.q1": None,  # None = N/A
}


def save_all(app_store: Store, aid: int, answers: dict[str, int | None]) -> None:
    for qid, level in answers.items():
        app_store.save_answer(aid, qid, level=level, na=level is None)


def test_results_show_the_scores_of_the_scoring_module(app_store: Store, aid: int, mini: Questionnaire) -> None:
    save_all(app_store, aid, PARTIAL)
    expected = score(mini, PARTIAL)
    at = app(aid, page=RESULTS)

    assert texts(at.title) == ["Results"]
    assert metric(at, "Overall") == f"{fmt(expected.overall)} / 4"
    layers = dict(zip(expected.layers["layer"], expected.layers["score"], strict=True))
    assert metric(at, "Alpha") == f"{fmt(layers['alpha'])} / 4"
    assert metric(at, "Beta") == f"{fmt(layers['beta'])} / 4"
    unanswered = expected.total - expected.answered - expected.na
    assert unanswered == 3
    assert any(f"{unanswered} of 8 questions are unanswered" in t for t in texts(at.warning))
    assert [t.label for t in at.tabs] == ["All layers", "Alpha", "Beta"]
    [button] = at.get("download_button")
    assert button.label == "Download PDF report"


def test_complete_results_have_no_unanswered_warning(app_store: Store, aid: int, mini: Questionnaire) -> None:
    answers = {q.id: 3 for q in mini.questions}
    save_all(app_store, aid, answers)
    at = app(aid, page=RESULTS)
    assert not at.warning
    assert metric(at, "Overall") == "3.0 / 4"
    assert any("at or above its target" in t for t in texts(at.success))
    assert at.get("download_button")


def test_results_without_any_level_say_there_is_nothing_to_score(app_store: Store, aid: int) -> None:
    app_store.save_answer(aid, "alpha.cost.q1", na=True)
    at = app(aid, page=RESULTS)
    assert any("nothing to score" in t for t in texts(at.info))
    assert not at.metric and not at.get("download_button")
