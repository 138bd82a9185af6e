"""The Roadmap page's actions through AppTest: editing one (saved with history), a refused change shown in one
line with nothing written, the tracker downloads, and on a re-assessment what moved since the last one."""

from __future__ import annotations

import datetime as dt

import pytest
from apptest import COMPARE, ROADMAP, app, by_label, run, texts
from streamlit.testing.v1 import AppTest

from assessment.present import plain
from assessment.questionnaire import Questionnaire
from assessment.storage import Store

pytestmark = pytest.mark.usefixtures("app_env")


@pytest.fixture
def answered(app_store: Store, mini: Questionnaire) -> tuple[int, list[str]]:
    ids = [x.id for x in mini.questions]
    aid = app_store.create_assessment("Baseline", "Platform", mini, assessed_on=dt.date(2026, 1, 31))
    for qid in ids:
        app_store.save_answer(aid, qid, level=1)
    return aid, ids


def pick(at: AppTest, qid: str) -> AppTest:
    by_label(at.selectbox, "Action to edit").set_value(qid)
    return run(at)


def save(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.label == "Save action"]
    button.click()
    return run(at)


def test_editing_an_action_saves_it_with_history(app_store: Store, answered: tuple[int, list[str]]) -> None:
    aid, ids = answered
    at = app(aid, page=ROADMAP)
    assert "Actions" in texts(at.subheader)
    pick(at, ids[1])
    by_label(at.text_input, "Owner").input("Ada <b>Lovelace</b>")
    by_label(at.selectbox, "Status").set_value("in_progress")
    by_label(at.date_input, "Due date").set_value(dt.date(2027, 3, 31))
    by_label(at.text_input, "Ticket link").input("https://jira.example.com/browse/OPS-1")
    save(at)
    assert not at.error
    assert [t.value for t in at.toast] == ["Action saved"]
    action = app_store.actions(aid)[ids[1]]
    assert (action.owner, action.status, action.due, action.ticket) == (
        "Ada <b>Lovelace</b>", "in_progress", dt.date(2027, 3, 31), "https://jira.example.com/browse/OPS-1")
    assert [h["status"] for h in app_store.action_history(aid, ids[1])] == ["in_progress"]
    table = next(d.value for d in at.dataframe if "Ticket" in d.value.columns)
    row = table[table["Owner"] == "Ada <b>Lovelace</b>"].iloc[0]
    assert row["Status"] == "In progress" and row["Ticket"] == "https://jira.example.com/browse/OPS-1"
    assert any(e.label.startswith("History of this action (1)") for e in at.expander)
    # The phase tables show who owns what.
    assert any("Ada <b>Lovelace</b>" in set(d.value.get("Owner", [])) for d in at.dataframe
               if "Priority" in d.value.columns)


def test_a_refused_change_is_one_line_and_writes_nothing(app_store: Store, answered: tuple[int, list[str]]) -> None:
    aid, ids = answered
    at = pick(app(aid, page=ROADMAP), ids[0])
    by_label(at.selectbox, "Status").set_value("dropped")
    save(at)
    assert texts(at.error) == [f"Action not saved — {plain('reason: a dropped action needs a reason (reason=…)')}"]
    by_label(at.text_input, "Ticket link").input("javascript:alert(1)")
    by_label(at.text_input, "Reason (when dropped)").input("Covered elsewhere")
    save(at)
    assert len(at.error) == 1 and at.error[0].value.startswith(f"Action not saved — {plain('ticket: must be an')}")
    assert app_store.actions(aid) == {}
    by_label(at.text_input, "Ticket link").input("")
    save(at)
    assert not at.error and app_store.actions(aid)[ids[0]].reason == "Covered elsewhere"


def test_the_tracker_downloads_are_offered(answered: tuple[int, list[str]]) -> None:
    aid, _ = answered
    at = app(aid, page=ROADMAP)
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Jira CSV", "GitHub issues CSV", "Calendar (.ics)"} <= set(labels)


def test_a_reassessment_shows_what_moved_since_the_last_one(app_store: Store, answered: tuple[int, list[str]]) -> None:
    aid, ids = answered
    app_store.set_action(aid, ids[0], owner="Ada", status="done")
    app_store.set_action(aid, ids[1], owner="Bo", status="done")
    again = app_store.duplicate_assessment(aid, "Six months on", copy_answers=True)
    app_store.save_answer(again, ids[0], level=2)  # moved with its action
    app_store.save_answer(again, ids[2], level=3)  # moved without one
    at = app(again, page=ROADMAP)
    assert "Since last assessment" in texts(at.subheader)
    table = next(d.value for d in at.dataframe if "Movement" in d.value.columns)
    assert dict(zip(table["Owner"], table["Movement"], strict=True)) == {"Ada": "moved up", "Bo": "stayed"}
    assert list(table["Flag"]) == ["", "done but no movement"]
    assert any(w.startswith("Done but no movement: 1 action") for w in texts(at.warning))
    assert any(i.startswith("Moved without an action: 1 question") for i in texts(at.info))


def test_compare_shows_actions_done_and_overdue_per_department(
        app_store: Store, answered: tuple[int, list[str]], mini: Questionnaire) -> None:
    aid, ids = answered
    app_store.set_action(aid, ids[0], status="done")
    app_store.set_action(aid, ids[1], status="dropped", reason="Not for us")
    again = app_store.duplicate_assessment(aid, "Platform again", assessed_on=dt.date(2026, 2, 1), copy_answers=True)
    app_store.set_action(again, ids[2], status="done")
    other = app_store.create_assessment("Data baseline", "Data", mini, assessed_on=dt.date(2026, 1, 31))
    app_store.save_answer(other, ids[0], level=0)
    at = app(page=COMPARE)
    table = next(d.value for d in at.dataframe if "Overdue" in d.value.columns)
    shares = {r.Department: (r.Actions, r.Done) for r in table.itertuples()}
    # The latest Platform: 8 questions under target, one dropped, two done; Data: one question, not done.
    assert shares == {"Platform": (7, "29%"), "Data": (1, "0%")}
    assert all(o.endswith("%") for o in table["Overdue"])
    at.segmented_control[0].set_value("Over time")
    run(at)
    by_label(at.selectbox, "Department").set_value("Platform")
    run(at)
    table = next(d.value for d in at.dataframe if "Overdue" in d.value.columns)
    assert list(table["Assessment"]) == ["Baseline", "Platform again"] and list(table["Done"]) == ["14%", "29%"]


def test_with_nothing_left_to_plan_the_edited_actions_stay_on_the_page(
        app_store: Store, answered: tuple[int, list[str]], mini: Questionnaire) -> None:
    aid, ids = answered
    app_store.set_action(aid, ids[0], owner="Ada", status="done")
    app_store.set_targets(aid, {(layer.id, d.id): 1 for layer in mini.layers for d in mini.dimensions})
    at = app(aid, page=ROADMAP)
    assert any("nothing to plan" in t for t in texts(at.success))
    assert "Timeline" not in texts(at.subheader) and "Actions" in texts(at.subheader)
    table = next(d.value for d in at.dataframe if "Ticket" in d.value.columns)
    assert list(zip(table["Owner"], table["Phase"], table["Status"], strict=True)) == [("Ada", "off the roadmap",
                                                                                        "Done")]
    assert texts(at.caption).count("No longer on the roadmap.") == 1
