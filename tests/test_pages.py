"""Assessments (filters, duplicate, delete, demo), Scope, Roadmap, Compare and presentation mode through AppTest.

Like test_app.py: every test has its own database (conftest's `app_store`) and, unless it asks
for the `builtin` fixture, sees only tests/data's `mini` questionnaire, which keeps the demo organisation
at 6 × 8 saves. The Scope recommender needs the built-in questionnaires (layers mlops/llmops/aiops).
What only a browser shows (the radar's legend, the hidden sidebar) is in test_browser_pages.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from apptest import ASSESSMENTS, COMPARE, QUESTIONNAIRE, ROADMAP, SCOPE, app, by_label, click, run, texts
from cards import cards, choose, heading, shown
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from assessment import content
from assessment.content import load_all
from assessment.demo import DEMO_ORGANISATION, create_demo_organisation
from assessment.present import plain
from assessment.questionnaire import Questionnaire
from assessment.roadmap import PHASE_NAMES
from assessment.storage import Store

pytestmark = pytest.mark.usefixtures("app_env")

DATA = Path(__file__).resolve().parent / "data"
DEMO_BUTTON = "Load the demo organisation (3 departments × 2 dates)"
DEPARTMENTS = sorted({dep for dep, *_ in DEMO_ORGANISATION})
NOW = PHASE_NAMES["now"]
BUILTIN_FOLDER = content.DEFAULT_FOLDER


@pytest.fixture
def builtin(app_env: None, monkeypatch: pytest.MonkeyPatch) -> list[Questionnaire]:
    """The built-in questionnaires instead of `mini` (undoes that part of `app_env`)."""
    monkeypatch.setattr(content, "DEFAULT_FOLDER", BUILTIN_FOLDER)
    monkeypatch.delenv("QUESTIONNAIRE_PATH")
    st.cache_data.clear()
    return load_all([BUILTIN_FOLDER])


@pytest.fixture
def demo(app_store: Store, mini: Questionnaire) -> list[int]:
    """The demo organisation on the mini questionnaire, created behind the app's back."""
    return create_demo_organisation(app_store, mini)


def flat(at: AppTest) -> list:
    """Every element of the main area in page order, the contents of blocks (columns, expanders…) inlined."""
    out = []

    def walk(node) -> None:  # noqa: ANN001 - an AppTest Block
        for child in node.children.values():
            if isinstance(child, Block):
                walk(child)
            else:
                out.append(child)

    walk(at.main)
    return out


def dataframe_after(at: AppTest, heading: str) -> pd.DataFrame:
    """The first dataframe after the subheader starting with `heading`."""
    elements = flat(at)
    start = next(i for i, e in enumerate(elements) if e.type == "subheader" and e.value.startswith(heading))
    return next(e for e in elements[start:] if e.type == "dataframe").value


# --- Assessments: demo organisation, filters, duplicate, delete ---------------------------------------


def test_empty_database_offers_the_demo_organisation_which_creates_six_assessments(app_store: Store) -> None:
    at = app()
    assert any("No assessments yet" in t for t in texts(at.info))
    click(at, DEMO_BUTTON)

    records = app_store.list_assessments()
    assert len(records) == len(DEMO_ORGANISATION) == 6
    assert sorted({r.department for r in records}) == DEPARTMENTS and len(DEPARTMENTS) == 3
    assert all(app_store.answers(r.id) for r in records)
    assert DEMO_BUTTON not in [b.label for b in at.button]
    assert len(at.dataframe[0].value) == 6


def test_the_department_filter_narrows_the_table(demo: list[int]) -> None:
    at = app()
    assert len(at.dataframe[0].value) == 6
    by_label(at.multiselect, "Department").set_value(["IT Operations"])
    run(at)
    shown = at.dataframe[0].value
    assert list(shown["department"]) == ["IT Operations"] * 2
    assert set(by_label(at.selectbox, "Assessment").options) == {
        o for o in by_label(at.selectbox, "Assessment").options if "IT Operations" in o
    }
    by_label(at.multiselect, "Department").set_value(["IT Operations", "Customer Service AI"])
    run(at)
    assert sorted(set(at.dataframe[0].value["department"])) == ["Customer Service AI", "IT Operations"]
    assert len(at.dataframe[0].value) == 4


@pytest.mark.parametrize("copy_answers", [False, True], ids=["empty", "with-answers"])
def test_duplicate_creates_a_draft_in_the_same_department(
    app_store: Store, demo: list[int], copy_answers: bool,
) -> None:
    source = app_store.get_assessment(demo[0])
    at = app()
    by_label(at.selectbox, "Assessment").set_value(source.id)
    run(at)
    by_label(at.text_input, "New name").input("Re-assessment")
    if copy_answers:
        by_label(at.checkbox, "Start from the previous answers").check()
    click(at, "Create the copy")

    [new] = [r for r in app_store.list_assessments() if r.id not in demo]
    assert (new.name, new.department, new.status) == ("Re-assessment", source.department, "draft")
    assert new.assessed_on == dt.date.today()
    assert new.questionnaire_hash == source.questionnaire_hash
    copied = {qid: (a.level, a.na, a.note) for qid, a in app_store.answers(new.id).items()}
    if copy_answers:
        assert copied == {qid: (a.level, a.na, a.note) for qid, a in app_store.answers(source.id).items()}
    else:
        assert copied == {}
    assert texts(at.title) == ["Questionnaire"]
    assert at.query_params["assessment"] == str(new.id)


def test_delete_needs_delete_typed_then_removes_the_assessment(app_store: Store, demo: list[int]) -> None:
    victim = demo[3]
    at = app()
    by_label(at.selectbox, "Assessment").set_value(victim)
    run(at)
    assert by_label(at.button, "Delete for good").disabled
    at.text_input(key=f"confirm-delete-{victim}").input("delete")
    run(at)
    assert by_label(at.button, "Delete for good").disabled
    assert len(app_store.list_assessments()) == 6

    at.text_input(key=f"confirm-delete-{victim}").input("DELETE")
    run(at)
    assert not by_label(at.button, "Delete for good").disabled
    click(at, "Delete for good")
    assert victim not in [r.id for r in app_store.list_assessments()]
    assert len(app_store.list_assessments()) == 5
    assert len(at.dataframe[0].value) == 5
    assert any(f"#{victim}" in t for t in texts(at.toast))


# --- Scope ---------------------------------------------------------------------------------------------


def test_detect_fraud_recommends_only_mlops(builtin: list[Questionnaire]) -> None:
    assert {layer.id for q in builtin for layer in q.layers} >= {"mlops", "llmops", "aiops"}
    at = app(page=SCOPE)
    assert by_label(at.multiselect, "Layers to assess").value == ["mlops", "llmops", "aiops"]  # the default
    by_label(at.multiselect, "Objectives").set_value(["Detect fraud"])
    run(at)
    assert by_label(at.multiselect, "Layers to assess").value == ["mlops"]
    assert any(t.startswith("- " + plain("Detect fraud:")) for t in texts(at.markdown))  # shown as typed


def test_an_assessment_created_from_the_scope_stores_its_targets(
    app_store: Store, builtin: list[Questionnaire],
) -> None:
    at = app(page=SCOPE)
    by_label(at.multiselect, "Objectives").set_value(["Detect fraud"])
    run(at)
    by_label(at.text_input, "Assessment name").input("Fraud models Q1")
    by_label(at.text_input, "Department").input("Risk")
    by_label(at.button, "Create assessment with this scope").click()
    run(at)

    [record] = app_store.list_assessments()
    assert (record.name, record.department) == ("Fraud models Q1", "Risk")
    assert texts(at.title) == ["Questionnaire"]
    q = record.questionnaire
    assert [layer.id for layer in q.layers] == ["mlops"]
    assert q.questions and {x.layer for x in q.questions} == {"mlops"}
    mlops = next(x for x in builtin if x.id == "mlops")
    assert len(q.questions) == len(mlops.questions)
    targets = app_store.targets(record.id)
    assert targets[("mlops", "monitoring")] == 4
    assert targets[("mlops", "automation")] == 3
    assert {layer for layer, _ in targets} == {"mlops"}
    assert {dim for _, dim in targets} == {d.id for d in q.dimensions}
    # The objective's weights went into the snapshot: monitoring 3, automation and security 2.
    weights = {d.id: d.weight for d in q.dimensions}
    assert (weights["monitoring"], weights["automation"], weights["security"]) == (3, 2, 2)


BAD_YAML = b"""id: broken
title: Broken
version: "1"
layers: []
colour: blue
"""


def test_an_invalid_uploaded_questionnaire_shows_its_file_line_errors() -> None:
    at = app(page=SCOPE)
    by_label(at.file_uploader, "Questionnaire YAML").set_value(("team.yaml", BAD_YAML, "application/x-yaml"))
    run(at)
    assert any(t.startswith(plain("team.yaml") + " has ") and "nothing was loaded" in t for t in texts(at.error))
    [code] = at.code
    lines = code.value.splitlines()
    assert "team.yaml:4: layers: List should have at least 1 item after validation, not 0" in lines
    assert any(line.startswith("team.yaml:5: colour: unknown field") for line in lines)
    assert all(line.startswith("team.yaml:") for line in lines)
    assert not at.success


def test_a_valid_uploaded_questionnaire_is_offered_for_this_session() -> None:
    text = (DATA / "mini.yaml").read_text().replace("id: mini", "id: uploaded", 1).replace(
        "title: Mini questionnaire", "title: Uploaded questionnaire", 1)
    at = app(page=SCOPE)
    by_label(at.file_uploader, "Questionnaire YAML").set_value(("ours.yaml", text.encode(), "application/x-yaml"))
    run(at)
    assert any("Loaded “Uploaded questionnaire” (8 questions" in t for t in texts(at.success))
    # Offered at once in the list above the uploader (the page reruns after a new upload) ...
    assert "Uploaded questionnaire" in by_label(at.multiselect, "Questionnaires").options
    # ... and in the create form of the Assessments page, for this session.
    at.switch_page(ASSESSMENTS)
    run(at)
    assert "Uploaded questionnaire (8 questions)" in by_label(at.multiselect, "Layers to assess").options


# --- Roadmap -------------------------------------------------------------------------------------------


@pytest.fixture
def low(app_store: Store, mini: Questionnaire) -> int:
    """An assessment on mini with every question answered: level 1 (below the default target 3) or N/A."""
    aid = app_store.create_assessment("Roadmap", "Platform", mini)
    for x in mini.questions:
        app_store.save_answer(aid, x.id, level=1)
    return aid


def now_items(at: AppTest) -> pd.DataFrame:
    return dataframe_after(at, NOW)


def test_roadmap_without_answers_asks_for_answers(app_store: Store, mini: Questionnaire) -> None:
    aid = app_store.create_assessment("Empty", "Platform", mini)
    at = app(aid, page=ROADMAP)
    assert texts(at.title) == ["Roadmap"]
    assert any("Answer some questions first" in t for t in texts(at.info))
    assert not [s for s in texts(at.subheader) if s.startswith(NOW)]


def test_answers_below_target_fill_the_now_phase(low: int) -> None:
    at = app(low, page=ROADMAP)
    assert not at.error and not at.warning
    subheaders = texts(at.subheader)
    assert "Timeline" in subheaders
    assert f"{NOW} · 5 items" in subheaders  # 8 questions × 2 steps (1→2, 2→3), 5 per phase
    items = now_items(at)
    assert len(items) == 5
    assert set(items["Step"]) <= {"1 → 2", "2 → 3"}
    assert list(items["Priority"]) == sorted(items["Priority"], reverse=True)
    # Capacity: 8 items per phase.
    by_label(at.slider, "Items per phase").set_value(8)
    run(at)
    assert f"{NOW} · 8 items" in texts(at.subheader)


def test_stored_targets_change_the_roadmap(app_store: Store, low: int, mini: Questionnaire) -> None:
    at = app(low, page=ROADMAP)
    before = now_items(at)
    assert set(before["Layer"]) == {"Alpha", "Beta"}
    assert "3 → 4" not in set(before["Step"])  # the default target is 3

    # Beta's targets down to its level, Alpha's up to 4: only Alpha is left, with a step to level 4 now
    # (alpha.governance.q2 weighs 2 in a dimension weighing 2: its steps score 12, 8, 4).
    targets = {(layer.id, d.id): 1 if layer.id == "beta" else 4 for layer in mini.layers for d in mini.dimensions}
    app_store.set_targets(low, targets)
    at = app(low, page=ROADMAP)
    after = now_items(at)
    assert set(after["Layer"]) == {"Alpha"}
    assert "3 → 4" in set(after["Step"])
    assert list(after["Priority"]) == [12, 8, 6, 4, 4]
    all_gaps = dataframe_after(at, "All gaps by priority")
    assert set(all_gaps["Target"]) == {4} and set(all_gaps["Gap"]) == {3}

    # Every target at or under the answers: nothing to plan.
    app_store.set_targets(low, dict.fromkeys(targets, 1))
    at = app(low, page=ROADMAP)
    assert any("nothing to plan" in t for t in texts(at.success))
    assert not [s for s in texts(at.subheader) if s.startswith(NOW)]


# --- Compare -------------------------------------------------------------------------------------------


def test_compare_needs_two_assessments(app_store: Store, mini: Questionnaire) -> None:
    at = app(page=COMPARE)
    assert any("at least two assessments" in t for t in texts(at.info))
    app_store.create_assessment("Only one", "Platform", mini)
    at = app(page=COMPARE)
    assert any("at least two assessments" in t for t in texts(at.info))
    assert not at.dataframe


def test_compare_departments_of_the_demo_organisation(demo: list[int]) -> None:
    at = app(page=COMPARE)
    assert not at.error and not at.warning
    chosen = by_label(at.multiselect, "Assessments (one per department by default: the latest)").value
    assert len(chosen) == 3
    deltas = dataframe_after(at, "Delta against the organisation mean")
    assert list(deltas.index) == [*DEPARTMENTS, "Organisation mean"]
    assert list(deltas.columns) == ["Governance & compliance", "Monitoring & observability", "Cost optimisation"]
    assert all(v == "–" or v[0] in "+-" for dep in DEPARTMENTS for v in deltas.loc[dep])
    extremes = dataframe_after(at, "Strongest and weakest per dimension")
    assert set(extremes["Strongest"]) <= set(DEPARTMENTS)

    # Fewer than two chosen: an info, no table.
    by_label(at.multiselect, "Assessments (one per department by default: the latest)").set_value(chosen[:1])
    run(at)
    assert any("Choose at least two" in t for t in texts(at.info))
    assert not at.dataframe


def test_compare_charts_show_markup_in_department_names_as_text(app_store: Store, mini: Questionnaire) -> None:
    for department in ("<b>Ops</b>", '<a href="https://evil.example">Data</a>'):
        aid = app_store.create_assessment("A", department, mini)
        app_store.save_answer(aid, "alpha.governance.q1", level=2)
    at = app(page=COMPARE)
    assert not at.exception
    radar, heatmap = (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
    escaped = ["&lt;b&gt;Ops&lt;/b&gt;", '&lt;a href="https://evil.example"&gt;Data&lt;/a&gt;']
    assert sorted(t["name"] for t in radar["data"]) == sorted(escaped)
    assert sorted(heatmap["layout"]["yaxis"]["ticktext"]) == sorted(escaped)


def test_compare_one_department_over_time(demo: list[int]) -> None:
    at = app(page=COMPARE)
    at.segmented_control(key="compare-mode").set_value("Over time")
    run(at)
    by_label(at.selectbox, "Department").set_value("IT Operations")
    run(at)
    assert "Change between consecutive assessments" in texts(at.subheader)
    changes = dataframe_after(at, "Change between consecutive assessments")
    assert len(changes) == 1
    [between] = changes.index
    old, new = (dt.date.today() - dt.timedelta(days=d) for d in (160, 10))
    assert between == f"{old.isoformat()} → {new.isoformat()}"
    assert all(v == "–" or v[0] in "+-" for v in changes.iloc[0])


def test_over_time_with_one_assessment_in_the_department(app_store: Store, mini: Questionnaire) -> None:
    app_store.create_assessment("A", "Platform", mini)
    app_store.create_assessment("B", "Data", mini)
    at = app(page=COMPARE)
    at.segmented_control(key="compare-mode").set_value("Over time")
    run(at)
    assert any("has one assessment so far" in t for t in texts(at.info))


# --- Presentation mode ------------------------------------------------------------------------------


def test_presentation_mode_shows_one_question_at_a_time(app_store: Store, mini: Questionnaire) -> None:
    aid = app_store.create_assessment("Workshop", "Platform", mini)
    at = app(aid, page=QUESTIONNAIRE)
    assert shown(at) == ["alpha.governance.q1", "alpha.governance.q2"]  # the first dimension's first layer
    assert not any(c["large"] for c in cards(at).values())

    at.toggle(key="presentation").set_value(True)
    run(at)
    assert shown(at) == ["alpha.governance.q1"]
    assert cards(at)["alpha.governance.q1"]["large"] is True  # readable from the back of the room
    assert heading(at) == "Alpha · question 1 of 4"
    assert by_label(at.button, "Next question →")
    assert by_label(at.button, "← Previous question").disabled
    assert by_label(at.button, "Exit presentation mode")

    click(at, "Next question →")
    assert shown(at) == ["alpha.governance.q2"]
    assert heading(at) == "Alpha · question 2 of 4"
    click(at, "Next question →")
    assert shown(at) == ["beta.governance.q1"]
    assert heading(at) == "Beta · question 3 of 4"

    # Answering in presentation mode saves like the full page does.
    choose(at, "beta.governance.q1", "2")
    assert not at.exception
    assert app_store.answers(aid)["beta.governance.q1"].level == 2
    assert shown(at) == ["beta.governance.q1"]
    card = cards(at)["beta.governance.q1"]
    assert (card["value"], card["large"]) == ("2", True)
    assert card["status"].startswith("✓ Saved at")

    click(at, "Exit presentation mode")
    assert shown(at) == ["beta.governance.q1", "beta.governance.q2"]
    assert not any(c["large"] for c in cards(at).values())
    assert at.toggle(key="presentation").value is False
