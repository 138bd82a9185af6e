"""Scoring on hand-computed examples, and properties that must hold for any answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from answers import HAND, answer_sets
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.questionnaire import Questionnaire
from assessment.scoring import answers_frame, dimension_scores, gaps, score

# HAND (tests/answers.py):
# alpha: governance q1 (w1) = 1, q2 (w2) = 4 → 9/3 = 3.0; monitoring = 2; cost N/A
# beta:  governance q1 = 0, q2 unanswered → 0; monitoring = 4; cost = 3


def dim(result, layer: str, dimension: str) -> float:
    d = result.dimensions
    return float(d[(d["layer"] == layer) & (d["dimension"] == dimension)]["score"].iloc[0])


def test_hand_computed_scores(mini: Questionnaire) -> None:
    r = score(mini, HAND)
    assert dim(r, "alpha", "governance") == pytest.approx(3.0)
    assert dim(r, "alpha", "monitoring") == pytest.approx(2.0)
    assert math.isnan(dim(r, "alpha", "cost"))  # only N/A: no score, not zero
    assert dim(r, "beta", "governance") == pytest.approx(0.0)
    layers = r.layers.set_index("layer")["score"]
    # dimension weights: governance 2, monitoring 1, cost 1 (cost unscored in alpha)
    assert layers["alpha"] == pytest.approx((3.0 * 2 + 2.0) / 3)
    assert layers["beta"] == pytest.approx((0.0 * 2 + 4 + 3) / 4)
    assert r.overall == pytest.approx(((8 / 3) + 1.75) / 2)
    assert (r.answered, r.na, r.total) == (6, 1, 8)
    assert r.coverage == pytest.approx(7 / 8)
    overall_dims = r.overall_dimensions.set_index("dimension")["score"]
    assert list(overall_dims.index) == ["governance", "monitoring", "cost"]
    assert overall_dims["governance"] == pytest.approx(1.5)
    assert overall_dims["cost"] == pytest.approx(3.0)


def test_weakest_link_rule(mini: Questionnaire) -> None:
    strict = mini.model_copy(update={"scoring": mini.scoring.model_copy(update={"overall": "weakest_link"})})
    assert score(strict, HAND).overall == pytest.approx(0.0)


def test_no_answers_gives_nan_and_zero_coverage(mini: Questionnaire) -> None:
    r = score(mini, {})
    assert math.isnan(r.overall) and r.coverage == 0 and r.total == 8
    assert r.as_dict()["overall"] is None


def test_as_dict_shape(mini: Questionnaire) -> None:
    data = score(mini, HAND).as_dict()
    assert {"overall", "layers", "dimensions", "coverage"} <= data.keys()
    assert data["coverage"] == {"answered": 6, "na": 1, "total": 8, "ratio": 0.875}
    assert [x["id"] for x in data["layers"]] == ["alpha", "beta"]


def test_out_of_range_level_rejected(mini: Questionnaire) -> None:
    with pytest.raises(ValueError, match="levels must be whole numbers"):
        score(mini, {"alpha.cost.q1": 5})


def test_gaps_sorted_by_weighted_gap(mini: Questionnaire) -> None:
    g = gaps(mini, score(mini, HAND), target=3)
    # beta governance: gap 3 × weight 2 = 6 first; alpha monitoring gap 1 × 1
    assert list(zip(g["layer"], g["dimension"], strict=True)) == [("beta", "governance"),
                                                                   ("alpha", "monitoring")]
    assert list(g["gap"]) == [3.0, 1.0]


def test_answers_to_unknown_questions_are_ignored(mini: Questionnaire) -> None:
    assert score(mini, {**HAND, "removed.question": 4}).overall == score(mini, HAND).overall


# --- properties -----------------------------------------------------------------

@pytest.fixture(scope="module")
def q(mini: Questionnaire) -> Questionnaire:
    return mini


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_scores_stay_on_the_scale(q: Questionnaire, data) -> None:
    r = score(q, data.draw(answer_sets(q)))
    for series in (r.dimensions["score"], r.layers["score"], r.overall_dimensions["score"]):
        assert series.dropna().between(0, 4).all()
    assert math.isnan(r.overall) or 0 <= r.overall <= 4
    assert 0 <= r.coverage <= 1


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_na_never_changes_a_score(q: Questionnaire, data) -> None:
    answers = data.draw(answer_sets(q))
    unanswered = [x.id for x in q.questions if x.id not in answers]
    if not unanswered:
        return
    with_na = {**answers, data.draw(st.sampled_from(unanswered)): None}
    a, b = score(q, answers), score(q, with_na)
    pd.testing.assert_series_equal(a.dimensions["score"], b.dimensions["score"])
    assert (math.isnan(a.overall) and math.isnan(b.overall)) or a.overall == pytest.approx(b.overall)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_raising_an_answer_never_lowers_its_dimension(q: Questionnaire, data) -> None:
    answers = data.draw(answer_sets(q))
    raisable = [k for k, v in answers.items() if v is not None and v < 4]
    if not raisable:
        return
    qid = data.draw(st.sampled_from(raisable))
    question = q.question(qid)
    before = dim(score(q, answers), question.layer, question.dimension)
    after = dim(score(q, {**answers, qid: answers[qid] + 1}), question.layer, question.dimension)
    assert after >= before - 1e-12


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_row_order_changes_nothing(q: Questionnaire, data) -> None:
    answers = data.draw(answer_sets(q))
    frame = answers_frame(answers)
    shuffled = frame.sample(frac=1, random_state=data.draw(st.integers(0, 1000)))
    pd.testing.assert_frame_equal(dimension_scores(q, frame), dimension_scores(q, shuffled))
