"""Department comparison and trends on hand-computed examples, their properties, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import math
import random

import pandas as pd
import pytest
from answers import HAND, answer_sets
from clirunner import fails, invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.compare import compare, compare_frame, shared_questionnaire, trend
from assessment.model import Assessment
from assessment.questionnaire import Questionnaire
from assessment.scoring import answers_frame
from assessment.storage import Store

JAN, MAR, JUN = dt.date(2026, 1, 15), dt.date(2026, 3, 15), dt.date(2026, 6, 15)

entry = Assessment.from_values  # an assessment from scoring values, without a database


def every(q: Questionnaire, level: int | None) -> dict[str, int | None]:
    return {x.id: level for x in q.questions}


# --- comparison ---------------------------------------------------------------------------


def test_two_departments_hand_computed(mini: Questionnaire) -> None:
    # Dimension score = mean over layers. A (HAND): governance (3.0 + 0.0) / 2 = 1.5, monitoring (2 + 4) / 2 = 3,
    # cost 3 (alpha is N/A, so beta's 3 alone). B: 2 everywhere. Mean: 1.75, 2.5, 2.5.
    c = compare([entry(2, "Support", JAN, mini, every(mini, 2)), entry(1, "Platform", JAN, mini, HAND)])
    assert list(c.pivot.index) == ["Platform", "Support"]  # sorted by department
    assert list(c.pivot.columns) == ["governance", "monitoring", "cost"]
    assert c.pivot.loc["Platform"].tolist() == [1.5, 3.0, 3.0]
    assert c.mean.tolist() == [1.75, 2.5, 2.5]
    assert c.deltas.loc["Platform"].tolist() == [-0.25, 0.5, 0.5]
    assert c.deltas.loc["Support"].tolist() == [0.25, -0.5, -0.5]
    ex = c.extremes.set_index("dimension")
    assert ex.loc["governance", ["strongest", "weakest"]].tolist() == ["Support", "Platform"]
    assert ex.loc["monitoring", ["strongest", "strongest_score", "weakest", "weakest_score"]].tolist() == [
        "Platform", 3.0, "Support", 2.0]
    assert c.left_out == []


def test_comparison_as_dict(mini: Questionnaire) -> None:
    c = compare([entry(1, "Platform", JAN, mini, HAND), entry(2, "Support", JAN, mini, every(mini, 2))])
    data = json.loads(json.dumps(c.as_dict()))
    assert [d["id"] for d in data["dimensions"]] == ["governance", "monitoring", "cost"]
    platform = data["assessments"][0]
    assert (platform["label"], platform["id"], platform["date"]) == ("Platform", 1, "2026-01-15")
    assert platform["deltas"] == {"governance": -0.25, "monitoring": 0.5, "cost": 0.5}
    assert data["organisation_mean"]["governance"] == 1.75
    assert data["extremes"][0]["strongest"] == "Support"


def test_same_department_twice_is_labelled_by_date(mini: Questionnaire) -> None:
    c = compare([entry(1, "Platform", MAR, mini, HAND), entry(2, "Platform", JAN, mini, HAND)])
    assert list(c.pivot.index) == ["Platform (2026-01-15, #2)", "Platform (2026-03-15, #1)"]


def test_unscored_dimension_has_no_strongest(mini: Questionnaire) -> None:
    no_cost = {**HAND, "beta.cost.q1": None}  # alpha cost N/A too
    c = compare([entry(1, "A", JAN, mini, no_cost), entry(2, "B", JAN, mini, no_cost)])
    cost = c.extremes.set_index("dimension").loc["cost"]
    assert cost["strongest"] is None and math.isnan(cost["strongest_score"])
    assert c.as_dict()["assessments"][0]["scores"]["cost"] is None


def mini_v2(mini: Questionnaire) -> Questionnaire:
    """Version 0.2: beta.cost.q1 replaced by a new question."""
    old = mini.question("beta.cost.q1")
    new = old.model_copy(update={"id": "beta.cost.q2", "text": "A new question about cost in beta?"})
    return mini.model_copy(update={"version": "0.2",
                                   "questions": [x for x in mini.questions if x.id != old.id] + [new]})


def test_different_versions_compare_on_shared_questions(mini: Questionnaire) -> None:
    v2 = mini_v2(mini)
    q, left_out = shared_questionnaire([mini, v2])
    assert left_out == ["beta.cost.q1", "beta.cost.q2"] and len(q.questions) == 7 and q.version == "0.2"
    # Without beta cost: A's cost is alpha's N/A → unscored; B's cost is alpha's 2.
    c = compare([entry(1, "A", JAN, mini, HAND), entry(2, "B", MAR, v2, every(v2, 2))])
    assert c.left_out == ["beta.cost.q1", "beta.cost.q2"]
    assert math.isnan(c.pivot.loc["A", "cost"]) and c.pivot.loc["B", "cost"] == 2.0
    assert c.mean["cost"] == 2.0 and c.deltas.loc["B", "cost"] == 0.0
    assert c.extremes.set_index("dimension").loc["cost", ["strongest", "weakest"]].tolist() == ["B", "B"]


def test_versions_without_shared_questions_are_refused(mini: Questionnaire) -> None:
    other = mini.model_copy(update={"questions": [x.model_copy(update={"id": "x" + x.id}) for x in mini.questions]})
    with pytest.raises(ValueError, match="share no question"):
        shared_questionnaire([mini, other])
    with pytest.raises(ValueError, match="at least one assessment"):
        compare([])


# --- trend ---------------------------------------------------------------------------------------


def test_trend_hand_computed(mini: Questionnaire) -> None:
    # Jan all 1 → Mar all 2 → Jun HAND (1.5, 3, 3): changes +1, +1, +1 then −0.5, +1, +1.
    t = trend([entry(3, "Platform", JUN, mini, HAND), entry(1, "Platform", JAN, mini, every(mini, 1)),
               entry(2, "Platform", MAR, mini, every(mini, 2))])
    assert list(t.scores.index) == ["2026-01-15", "2026-03-15", "2026-06-15"]
    assert list(t.changes.index) == ["2026-01-15 → 2026-03-15", "2026-03-15 → 2026-06-15"]
    assert t.changes.values.tolist() == [[1.0, 1.0, 1.0], [-0.5, 1.0, 1.0]]
    data = json.loads(json.dumps(t.as_dict()))
    assert data["department"] == "Platform"
    assert data["changes"][1] == {"between": "2026-03-15 → 2026-06-15", "governance": -0.5, "monitoring": 1.0,
                                  "cost": 1.0}


def test_trend_is_for_one_department(mini: Questionnaire) -> None:
    with pytest.raises(ValueError, match="a trend follows one department; got A, B"):
        trend([entry(1, "A", JAN, mini, HAND), entry(2, "B", MAR, mini, HAND)])


# --- properties ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_an_assessment_compared_with_itself_has_zero_deltas(mini: Questionnaire, data) -> None:
    a = entry(1, "Platform", JAN, mini, data.draw(answer_sets(mini)))
    c = compare([a, a])
    assert (c.deltas.fillna(0) == 0).all().all()
    assert c.pivot.iloc[0].equals(c.pivot.iloc[1])


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_shuffling_inputs_changes_nothing(mini: Questionnaire, data) -> None:
    entries = [entry(i, data.draw(st.sampled_from(["A", "B", "C"])), data.draw(st.sampled_from([JAN, MAR])),
           mini, data.draw(answer_sets(mini))) for i in range(data.draw(st.integers(1, 4)))]
    shuffled = list(entries)
    random.Random(data.draw(st.integers(0, 1000))).shuffle(shuffled)
    a, b = compare(entries), compare(shuffled)
    pd.testing.assert_frame_equal(a.pivot, b.pivot)
    pd.testing.assert_frame_equal(a.extremes, b.extremes)
    # and the rows of the long answers table, fed straight to the vectorised core
    answers = pd.concat([answers_frame(e.values, e.id) for e in entries], ignore_index=True)
    meta = pd.DataFrame({"assessment_id": [e.id for e in entries], "label": [f"#{e.id}" for e in entries]})
    rows = answers.sample(frac=1, random_state=data.draw(st.integers(0, 1000)))
    pd.testing.assert_frame_equal(compare_frame(mini, answers, meta).pivot, compare_frame(mini, rows, meta).pivot)


# --- CLI -----------------------------------------------------------------------------------------------


def stored(store: Store, q: Questionnaire, department: str, on: dt.date, answers: dict) -> int:
    aid = store.create_assessment(f"{department} {on}", department, q, assessed_on=on)
    for qid, level in answers.items():
        store.save_answer(aid, qid, level=level, na=level is None)
    return aid


def test_cli_compare_json(cli_store: Store, mini: Questionnaire) -> None:
    a = stored(cli_store, mini, "Platform", JAN, HAND)
    b = stored(cli_store, mini, "Support", JAN, every(mini, 2))
    data = json.loads(invoke("compare", str(a), str(b), "--json").stdout)
    assert [x["id"] for x in data["assessments"]] == [a, b]
    assert data["assessments"][0]["deltas"]["governance"] == -0.25
    text = invoke("compare", str(a), str(b)).stdout
    assert "strongest Support (2.0), weakest Platform (1.5)" in text


def test_cli_compare_trend(cli_store: Store, mini: Questionnaire) -> None:
    ids = [str(stored(cli_store, mini, "Platform", on, ans)) for on, ans in [(JAN, every(mini, 1)), (MAR, HAND)]]
    assert json.loads(invoke("compare", *ids, "--trend", "--json").stdout)["changes"][0]["governance"] == 0.5
    assert "2026-01-15 → 2026-03-15" in invoke("compare", *ids, "--trend").stdout


def test_cli_compare_names_left_out_questions(cli_store: Store, mini: Questionnaire) -> None:
    v2 = mini_v2(mini)
    a, b = stored(cli_store, mini, "A", JAN, HAND), stored(cli_store, v2, "B", MAR, every(v2, 2))
    text = invoke("compare", str(a), str(b)).stdout
    assert "compared on the 7 questions all versions share; left out: beta.cost.q1, beta.cost.q2" in text


@pytest.mark.parametrize("args, message", [
    (["compare", "1"], "compare needs two or more assessment ids"),
    (["compare", "1", "x"], "assessment id must be a number"),
    (["compare", "1", "99"], "no assessment with id 99"),
])
def test_cli_compare_errors(cli_store: Store, mini: Questionnaire, args: list[str], message: str) -> None:
    stored(cli_store, mini, "A", JAN, HAND)
    assert message in fails(*args)
