"""Targets, gaps and the roadmap on hand-computed examples; properties of the plan; the CLI."""

from __future__ import annotations

import json
import random

import pytest
from answers import HAND, answer_sets
from clirunner import fails, invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.content import DEFAULT_FOLDER, load_questionnaire
from assessment.questionnaire import Questionnaire
from assessment.roadmap import (
    BACKLOG,
    PHASES,
    default_targets,
    gap_analysis,
    parse_cell,
    plan,
    roadmap,
    targets_for,
)
from assessment.scope import Scope
from assessment.storage import Store

# HAND (tests/answers.py), weights: governance dimension 2, others 1; q2 questions weigh 2.
# alpha: governance q1 = 1, q2 = 4; monitoring = 2; cost N/A
# beta:  governance q1 = 0, q2 unanswered; monitoring = 4; cost = 3
# At target 3, question gaps: beta.gov.q1 3 × 1 × 2 = 6, alpha.gov.q1 2 × 1 × 2 = 4, alpha.mon 1 × 1 × 1 = 1.


def cells(q: Questionnaire) -> list[tuple[str, str]]:
    return [(layer.id, d.id) for layer in q.layers for d in q.ordered_dimensions]


# --- targets ---------------------------------------------------------------------


def test_default_targets_are_three_everywhere(mini: Questionnaire) -> None:
    assert default_targets(mini) == dict.fromkeys(cells(mini), 3)


def test_preset_targets_from_a_scope(mini: Questionnaire) -> None:
    scope = Scope(objectives=[], layers=["alpha"], weights={}, targets={("alpha", "governance"): 4,
                                                                       ("alpha", "cost"): 2})
    t = default_targets(mini, scope)
    assert t[("alpha", "governance")] == 4 and t[("alpha", "cost")] == 2
    assert t[("beta", "governance")] == 3  # not in the scope: the default


def test_stored_targets_override_and_unknown_cells_are_ignored(mini: Questionnaire) -> None:
    t = targets_for(mini, {("beta", "cost"): 1, ("gamma", "cost"): 4})
    assert t[("beta", "cost")] == 1 and ("gamma", "cost") not in t and len(t) == 6


def test_parse_cell(mini: Questionnaire) -> None:
    assert parse_cell("alpha.governance", mini) == ("alpha", "governance")
    with pytest.raises(ValueError, match="is not layer.dimension; layers: alpha, beta"):
        parse_cell("alpha-governance", mini)


# --- gaps ------------------------------------------------------------------------------


def test_question_gaps_hand_computed(mini: Questionnaire) -> None:
    g = gap_analysis(mini, HAND)
    rows = g.questions[["question_id", "level", "target", "gap", "priority"]].values.tolist()
    assert rows == [["beta.governance.q1", 0, 3, 3, 6], ["alpha.governance.q1", 1, 3, 2, 4],
                    ["alpha.monitoring.q1", 2, 3, 1, 1]]
    # N/A (alpha.cost.q1) has no gap; at or above target neither
    assert g.questions.iloc[0]["reason"] == (
        "Governance & compliance in Beta is 3 levels under target on this question (level 0 of 3), "
        "which weighs 1 in a dimension weighing 2.")


def test_unanswered_questions_are_listed_not_gaps(mini: Questionnaire) -> None:
    g = gap_analysis(mini, HAND)
    assert list(g.unanswered["question_id"]) == ["beta.governance.q2"]
    assert "beta.governance.q2" not in set(g.questions["question_id"])
    assert [x.id for x in mini.questions if x.id not in HAND] == ["beta.governance.q2"]


def test_dimension_and_layer_gaps_hand_computed(mini: Questionnaire) -> None:
    g = gap_analysis(mini, HAND)
    # beta governance 0.0 → gap 3 × weight 2 = 6; alpha monitoring 2.0 → gap 1 × 1
    assert g.dimensions[["layer", "dimension", "gap", "priority"]].values.tolist() == [
        ["beta", "governance", 3.0, 6.0], ["alpha", "monitoring", 1.0, 1.0]]
    assert g.dimensions.iloc[0]["reason"] == ("Governance & compliance in Beta scores 0.0 against a target of 3, "
                                              "3 levels under, and the dimension weighs 2.")
    # alpha scores 8/3 against 3; beta 1.75 against 3
    layers = g.layers.set_index("layer")
    assert list(layers.index) == ["beta", "alpha"]
    assert layers.loc["beta", "gap"] == pytest.approx(1.25)
    assert layers.loc["alpha", "gap"] == pytest.approx(1 / 3)


def test_per_cell_targets(mini: Questionnaire) -> None:
    g = gap_analysis(mini, HAND, {("alpha", "governance"): 4, ("beta", "governance"): 1})
    rows = g.questions[["question_id", "gap", "priority"]].values.tolist()
    # alpha governance: q1 1 → 4 is 3 × 1 × 2 = 6; q2 is at 4. beta governance q1: 1 × 1 × 2 = 2.
    assert rows == [["alpha.governance.q1", 3, 6], ["beta.governance.q1", 1, 2], ["alpha.monitoring.q1", 1, 1]]
    # alpha's layer target: (4 × 2 + 3 × 1) / 3, from its scored dimensions governance and monitoring
    assert g.layers.set_index("layer").loc["alpha", "target"] == pytest.approx(11 / 3)


def test_gaps_as_dict_is_plain_json(mini: Questionnaire) -> None:
    data = json.loads(json.dumps(gap_analysis(mini, HAND).as_dict()))
    assert set(data) == {"targets", "layers", "dimensions", "questions", "unanswered"}
    assert data["questions"][0]["priority"] == 6 and data["layers"][1]["score"] == 2.667


# --- roadmap ---------------------------------------------------------------------------------


def steps(r) -> list[tuple[str, str, int, int]]:  # noqa: ANN001
    return [(i.phase, i.question_id, i.from_level, i.priority) for i in r.items]


def test_roadmap_hand_computed(mini: Questionnaire) -> None:
    # Step n → n+1 has priority (3 − n) × weight × dimension weight; ties: lower level, then questionnaire order.
    r = roadmap(mini, HAND, capacity=2)
    assert steps(r) == [
        ("now", "beta.governance.q1", 0, 6), ("now", "alpha.governance.q1", 1, 4),
        ("next", "beta.governance.q1", 1, 4), ("next", "alpha.governance.q1", 2, 2),
        ("later", "beta.governance.q1", 2, 2), ("later", "alpha.monitoring.q1", 2, 1),
    ]
    first = r.phases["now"][0]
    assert (first.to_level, first.recommendation, first.layer, first.dimension) == (1, "Start it.", "beta",
                                                                                    "governance")
    assert r.backlog == []


def test_items_beyond_capacity_go_to_the_backlog(mini: Questionnaire) -> None:
    r = roadmap(mini, HAND, capacity=1)
    assert steps(r) == [
        ("now", "beta.governance.q1", 0, 6), ("next", "alpha.governance.q1", 1, 4),
        ("later", "beta.governance.q1", 1, 4), (BACKLOG, "alpha.governance.q1", 2, 2),
        (BACKLOG, "beta.governance.q1", 2, 2), (BACKLOG, "alpha.monitoring.q1", 2, 1),
    ]


def test_capacity_per_phase_and_level_order(mini: Questionnaire) -> None:
    r = roadmap(mini, HAND, capacity={"now": 1, "next": 0, "later": 9})
    assert [len(r.phases[p]) for p in PHASES] == [1, 0, 5]
    with pytest.raises(ValueError, match="capacity of 'now' must be"):
        roadmap(mini, HAND, capacity=-1)


def test_roadmap_outputs(mini: Questionnaire) -> None:
    r = roadmap(mini, HAND, capacity=2)
    frame = r.frame()
    assert list(frame["phase"]) == ["now", "now", "next", "next", "later", "later"]
    assert list(frame["rank"]) == [1, 2, 1, 2, 1, 2]
    assert frame.iloc[0]["phase_name"] == "Now (0–3 months)"
    data = json.loads(json.dumps(r.as_dict()))
    assert list(data) == ["now", "next", "later", "backlog"]
    assert data["now"][0]["reason"].startswith("Governance & compliance in Beta is 3 levels under target")


def test_nothing_to_do_at_target(mini: Questionnaire) -> None:
    r = roadmap(mini, dict.fromkeys([x.id for x in mini.questions], 4))
    assert r.items == [] and r.frame().empty


# --- properties -------------------------------------------------------------------------------

PHASE_INDEX = {p: i for i, p in enumerate([*PHASES, BACKLOG])}


@st.composite
def targets(draw, q: Questionnaire):
    return {cell: draw(st.integers(0, 4)) for cell in cells(q)}


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_roadmap_respects_level_order_and_capacity(mini: Questionnaire, data) -> None:
    answers, t = data.draw(answer_sets(mini)), data.draw(targets(mini))
    capacity = data.draw(st.integers(0, 4))
    analysis = gap_analysis(mini, answers, t)
    r = plan(analysis, capacity)
    assert all(len(r.phases[p]) <= capacity for p in PHASES)
    # every level of every gap is one item, exactly once
    assert sorted((i.question_id, i.from_level) for i in r.items) == sorted(
        (row.question_id, n) for row in analysis.questions.itertuples() for n in range(row.level, row.target))
    phase_of = {(i.question_id, i.to_level): PHASE_INDEX[i.phase] for i in r.items}
    for i in r.items:
        assert i.to_level == i.from_level + 1 and i.to_level <= t[(i.layer, i.dimension)]
        before = phase_of.get((i.question_id, i.from_level))
        assert before is None or before <= PHASE_INDEX[i.phase]
    for items in r.by_phase().values():
        assert [i.priority for i in items] == sorted((i.priority for i in items), reverse=True)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_answer_order_changes_nothing(mini: Questionnaire, data) -> None:
    answers = data.draw(answer_sets(mini))
    keys = list(answers)
    random.Random(data.draw(st.integers(0, 1000))).shuffle(keys)
    shuffled = {k: answers[k] for k in keys}
    assert roadmap(mini, answers, capacity=2) == roadmap(mini, shuffled, capacity=2)


# --- CLI ------------------------------------------------------------------------------------------


@pytest.fixture
def hand_id(cli_store: Store, mini: Questionnaire) -> int:
    aid = cli_store.create_assessment("Baseline", "Platform", mini)
    for qid, level in HAND.items():
        cli_store.save_answer(aid, qid, level=level, na=level is None)
    return aid


def test_cli_gaps_json(hand_id: int) -> None:
    data = json.loads(invoke("gaps", str(hand_id), "--json").stdout)
    assert [x["question_id"] for x in data["questions"]] == ["beta.governance.q1", "alpha.governance.q1",
                                                             "alpha.monitoring.q1"]
    assert data["unanswered"][0]["question_id"] == "beta.governance.q2"
    assert data["assessment"]["id"] == hand_id


def test_cli_gaps_text_uses_stored_targets(cli_store: Store, hand_id: int) -> None:
    cli_store.set_targets(hand_id, {("alpha", "monitoring"): 2})
    text = invoke("gaps", str(hand_id)).stdout
    assert "Beta / Governance & compliance" in text
    assert "alpha.monitoring.q1" not in text  # at its stored target of 2
    assert "1 unanswered question(s)" in text


def test_cli_roadmap_json_phases(hand_id: int) -> None:
    data = json.loads(invoke("roadmap", str(hand_id), "--json", "--capacity", "1").stdout)
    assert {"now", "next", "later", "backlog"} <= data.keys() and data["capacity"] == 1
    assert [len(data[p]) for p in ("now", "next", "later", "backlog")] == [1, 1, 1, 3]
    assert data["now"][0]["question_id"] == "beta.governance.q1"
    text = invoke("roadmap", str(hand_id)).stdout
    assert "Now (0–3 months): 5 item(s)" in text and "level 0 → 1: Start it." in text


def test_cli_targets_set_show_reset(hand_id: int) -> None:
    result = invoke("targets", str(hand_id), "--set", "alpha.governance=4", "--set", "beta.cost=1", "--json")
    rows = {(r["layer"], r["dimension"]): (r["level"], r["stored"]) for r in json.loads(result.stdout)["targets"]}
    assert rows[("alpha", "governance")] == (4, True) and rows[("beta", "cost")] == (1, True)
    assert rows[("alpha", "cost")] == (3, False)
    assert "alpha.governance                 4   stored" in invoke("targets", str(hand_id)).stdout
    invoke("targets", str(hand_id), "--reset")
    data = json.loads(invoke("targets", str(hand_id), "--json").stdout)
    assert not any(r["stored"] for r in data["targets"])


def test_cli_targets_preset(cli_store: Store) -> None:
    q = load_questionnaire(DEFAULT_FOLDER / "mlops.yaml")
    aid = cli_store.create_assessment("Fraud", "Risk", q)
    invoke("targets", str(aid), "--preset", "detect-fraud", "--set", "mlops.cost=1")
    stored = cli_store.targets(aid)
    assert stored[("mlops", "monitoring")] == 4 and stored[("mlops", "cost")] == 1  # detect-fraud: monitoring 4


@pytest.mark.parametrize("args, message", [
    (["gaps", "x"], "assessment id must be a number"),
    (["roadmap", "99"], "no assessment with id 99"),
    (["targets", "{id}", "--set", "alpha.nope=3"], "'alpha.nope' is not layer.dimension"),
    (["targets", "{id}", "--set", "alpha.cost=7"], "must be a whole number 0–4"),
    (["targets", "{id}", "--preset", "world-peace"], "unknown objective 'world-peace'"),
])
def test_cli_errors_are_one_line(hand_id: int, args: list[str], message: str) -> None:
    assert message in fails(*(a.format(id=hand_id) for a in args))
