"""One assessment, one analysis: everything the Results, Roadmap and Report pages, the CLI's `score`,
`gaps` and `roadmap`, and the PDF show about an assessment comes from `analyse`.

    analysis = analyse(store.load(assessment_id))
    analysis.scores      # overall, per layer, per layer × dimension, coverage
    analysis.gaps        # questions, cells and layers below their targets, with reasons
    analysis.roadmap     # the gaps' steps placed into now / next / later / backlog
    analysis.strengths   # the highest scored layer × dimension cells
    analysis.unanswered  # questions in no gap until they are answered

Because every view renders what this one function returns, the app and the PDF cannot disagree.
Pure: it takes a `model.Assessment` and returns values; no database, files or Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from assessment.model import Assessment, Cell
from assessment.questionnaire import Questionnaire
from assessment.roadmap import DEFAULT_CAPACITY, GapAnalysis, Roadmap, gap_analysis, plan, targets_for
from assessment.scoring import Scores

STRENGTHS = 3  # strongest cells shown in the summary


def effective_targets(assessment: Assessment) -> dict[Cell, int]:
    """The target of every layer × dimension: the assessment's stored ones, the default elsewhere."""
    return targets_for(assessment.questionnaire, assessment.targets)


def strengths(scores: Scores, n: int = STRENGTHS) -> pd.DataFrame:
    """The n highest scored layer × dimension cells; ties in questionnaire order."""
    d = scores.dimensions[scores.dimensions["score"].notna()]
    return d.sort_values("score", ascending=False, kind="stable").head(n)


@dataclass(frozen=True)
class Analysis:
    """Where one assessment stands: scores, gaps to its targets, the roadmap, strengths, what is unanswered."""

    assessment: Assessment
    gaps: GapAnalysis
    roadmap: Roadmap
    strengths: pd.DataFrame  # layer × dimension rows of `scores.dimensions`, highest first

    @property
    def questionnaire(self) -> Questionnaire:
        return self.gaps.questionnaire

    @property
    def scores(self) -> Scores:
        return self.gaps.scores

    @property
    def targets(self) -> dict[Cell, int]:
        """The effective target of every layer × dimension."""
        return self.gaps.targets

    @property
    def unanswered(self) -> pd.DataFrame:
        return self.gaps.unanswered

    @property
    def custom_targets(self) -> bool:
        """True when targets were set for this assessment (else every target is the default)."""
        return bool(self.assessment.targets)

    def layer_names(self) -> dict[str, str]:
        return {x.id: x.name for x in self.questionnaire.layers}

    def dimension_names(self) -> dict[str, str]:
        return {d.id: d.name for d in self.questionnaire.dimensions}


def analyse(
    assessment: Assessment, *, capacity: int | Mapping[str, int] = DEFAULT_CAPACITY,
    targets: Mapping[Cell, int] | None = None,
) -> Analysis:
    """Score an assessment, measure its gaps to its targets and plan the roadmap.

    `targets` overrides the stored ones (e.g. targets being edited on screen); `capacity` is the number
    of roadmap items per phase.
    """
    q = assessment.questionnaire
    cells = targets_for(q, assessment.targets if targets is None else targets)
    gaps = gap_analysis(q, assessment.values, cells)
    return Analysis(assessment, gaps, plan(gaps, capacity), strengths(gaps.scores))
