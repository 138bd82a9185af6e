"""Answers to tests/data's `mini` questionnaire shared by the scoring, roadmap and comparison tests:
one hand-computed set, and a Hypothesis strategy for any set."""

from __future__ import annotations

from hypothesis import strategies as st

from assessment.questionnaire import Questionnaire

# alpha: governance q1 (w1) = 1, q2 (w2) = 4 → 9/3 = 3.0; monitoring = 2; cost N/A
# beta:  governance q1 = 0, q2 unanswered → 0; monitoring = 4; cost = 3
HAND = {
    "alpha.governance.q1": 1, "alpha.governance.q2": 4, "alpha.monitoring.q1": 2, "alpha.cost.q1": None,
    "beta.governance.q1": 0, "beta.monitoring.q1": 4, "beta.cost.q1": 3,
}

LEVELS = st.one_of(st.none(), st.integers(0, 4))  # None: N/A


@st.composite
def answer_sets(draw, q: Questionnaire) -> dict[str, int | None]:  # noqa: ANN001 - Hypothesis's draw
    """Any answers to some of `q`'s questions: a level 0–4 or N/A each."""
    ids = [x.id for x in q.questions]
    chosen = draw(st.lists(st.sampled_from(ids), unique=True))
    return {qid: draw(LEVELS) for qid in chosen}
