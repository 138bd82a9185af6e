"""The shared values: what counts as an answer, its label, the one level check, one assessment whole."""

from __future__ import annotations

import datetime as dt

import pytest

from assessment.model import Answer, Assessment, check_level, check_status, is_level, scoring_values
from assessment.questionnaire import Questionnaire


@pytest.mark.parametrize(("answer", "counts", "label", "value"), [
    (Answer("q", 2, False), True, "level 2", 2),
    (Answer("q", 0, False), True, "level 0", 0),
    (Answer("q", None, True), True, "N/A", None),
    (Answer("q", 3, True), True, "N/A", None),  # N/A wins over a stale level
    (Answer("q", None, False, note="only a note"), False, "unanswered", None),
])
def test_an_answer_counts_when_it_has_a_level_or_is_na(answer: Answer, counts: bool, label: str, value) -> None:
    assert (answer.counts, answer.label, answer.value) == (counts, label, value)


def test_scoring_values_leave_out_answers_that_do_not_count() -> None:
    answers = {"a": Answer("a", 1, False), "b": Answer("b", None, True), "c": Answer("c", None, False, note="x")}
    assert scoring_values(answers) == {"a": 1, "b": None}


@pytest.mark.parametrize("value", [0, 1, 4])
def test_levels_are_whole_numbers_0_to_4(value: int) -> None:
    assert is_level(value) and check_level(value) == value


@pytest.mark.parametrize("value", [True, False, -1, 5, 2.0, "2", None])
def test_anything_else_is_refused_naming_the_field(value) -> None:
    assert not is_level(value)
    with pytest.raises(ValueError, match=r"^target of mlops\.cost must be a whole number 0–4, got "):
        check_level(value, "target of mlops.cost")


def test_status_is_draft_or_final() -> None:
    assert check_status("final") == "final"
    with pytest.raises(ValueError, match="status must be draft or final, not 'done'"):
        check_status("done")


def test_an_assessment_built_from_values_reads_like_a_stored_one(mini: Questionnaire) -> None:
    a = Assessment.from_values(7, "Platform", dt.date(2026, 1, 15), mini, {"alpha.governance.q1": 2,
                                                                          "alpha.cost.q1": None}, "Jan")
    assert (a.id, a.department, a.name, a.assessed_on, a.status, a.is_final) == (
        7, "Platform", "Jan", dt.date(2026, 1, 15), "draft", False)
    assert a.values == {"alpha.governance.q1": 2, "alpha.cost.q1": None}
    assert a.answers["alpha.cost.q1"].na and a.targets == {} and a.votes == {}
