"""Comparison of assessments: departments side by side, and one department over time.

- A department's score per dimension is its overall dimension score (mean over layers, as on the
  overall radar), computed for all assessments at once by `scoring.dimension_scores`.
- Delta = department score − organisation mean, the mean over the compared departments that have
  a score in that dimension. Strongest and weakest: highest and lowest score; ties go to the first
  row (rows are sorted by department, then date).
- Assessments taken on different questionnaire versions are compared on the question ids they all
  share, with the layer, dimension and weights of the newest assessment's version; the ids left out
  are named in `left_out`.
- Trend: one department's assessments in date order, with the change per dimension between
  consecutive dates.
Pure functions: no database, no files, no Streamlit.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from assessment.model import Assessment
from assessment.questionnaire import Questionnaire
from assessment.scoring import answers_frame, dimension_scores, overall_dimension_scores


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 3)


@dataclass(frozen=True)
class Comparison:
    """Department × dimension scores, deltas against the organisation mean, best and worst per dimension."""

    questionnaire: Questionnaire  # the shared questions only, when versions differ
    assessments: pd.DataFrame  # one row per compared assessment: label, id, department, assessed_on
    pivot: pd.DataFrame  # index label, one column per dimension id
    mean: pd.Series  # organisation mean per dimension
    deltas: pd.DataFrame  # pivot − mean
    extremes: pd.DataFrame  # dimension, dimension_name, strongest, strongest_score, weakest, weakest_score
    left_out: list[str] = field(default_factory=list)  # question ids not in every version

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (NaN → None), used by `compare --json` and templates."""
        names = {d.id: d.name for d in self.questionnaire.dimensions}
        return {
            "questionnaire": {"id": self.questionnaire.id, "version": self.questionnaire.version},
            "dimensions": [{"id": d, "name": names[d]} for d in self.pivot.columns],
            "assessments": [
                {"label": r.label, "id": r.id, "department": r.department, "date": r.assessed_on.isoformat(),
                 "scores": {d: _num(self.pivot.at[r.label, d]) for d in self.pivot.columns},
                 "deltas": {d: _num(self.deltas.at[r.label, d]) for d in self.pivot.columns}}
                for r in self.assessments.itertuples()
            ],
            "organisation_mean": {d: _num(v) for d, v in self.mean.items()},
            "extremes": [{k: (_num(v) if k.endswith("score") else v) for k, v in row.items()}
                         for row in self.extremes.to_dict(orient="records")],
            "left_out": self.left_out,
        }


def shared_questionnaire(versions: Sequence[Questionnaire]) -> tuple[Questionnaire, list[str]]:
    """The last version (pass the newest last) cut down to the question ids every version has,
    and the ids left out."""
    if not versions:
        raise ValueError("nothing to compare: give at least one assessment")
    base = versions[-1]
    distinct = list({id(v): v for v in versions}.values())
    if all(v == base for v in distinct):
        return base, []
    ids = [[x.id for x in v.questions] for v in distinct]
    common = set.intersection(*map(set, ids))
    left_out = [qid for qid in dict.fromkeys(i for vid in ids for i in vid) if qid not in common]
    if not common:
        raise ValueError("these assessments share no question, so they cannot be compared")
    return base.model_copy(update={"questions": [x for x in base.questions if x.id in common]}), left_out


def compare_frame(q: Questionnaire, answers: pd.DataFrame, meta: pd.DataFrame,
                  left_out: Sequence[str] = ()) -> Comparison:
    """The comparison from a long answers table, vectorised over any number of assessments.

    `answers`: assessment_id, question_id, level, na (as `scoring.dimension_scores`).
    `meta`: one row per assessment_id with a unique `label` (the pivot's rows, in meta's order),
    and department, assessed_on, id for display.
    """
    if meta["label"].duplicated().any():
        raise ValueError(f"labels must be unique, {meta['label'][meta['label'].duplicated()].iloc[0]!r} repeats")
    scores = overall_dimension_scores(dimension_scores(q, answers))
    present = set(scores["dimension"].unique())
    dims = [d.id for d in q.ordered_dimensions if d.id in present]
    label = meta.set_index("assessment_id")["label"]
    pivot = (scores.pivot(index="assessment_id", columns="dimension", values="score")
             .reindex(index=meta["assessment_id"], columns=dims))
    pivot.index, pivot.columns.name = pd.Index(label.reindex(pivot.index), name="label"), None
    mean = pivot.mean()
    scored = pivot.loc[:, pivot.notna().any()]  # idxmax needs at least one score
    extremes = pd.DataFrame({
        "dimension": dims, "dimension_name": [d.name for d in q.ordered_dimensions if d.id in present],
        "strongest": scored.idxmax().reindex(dims).astype(object), "strongest_score": pivot.max(),
        "weakest": scored.idxmin().reindex(dims).astype(object), "weakest_score": pivot.min(),
    }).reset_index(drop=True)
    extremes = extremes.where(extremes.notna(), None)
    return Comparison(q, meta.reset_index(drop=True), pivot, mean, pivot - mean, extremes, list(left_out))


def _labels(texts: list[str], details: list[str]) -> list[str]:
    """Each text, with its detail where the text repeats, and a counter where that still repeats."""
    out = [t if texts.count(t) == 1 else f"{t} ({d})" for t, d in zip(texts, details, strict=True)]
    counts, seen = Counter(out), Counter[str]()
    for i, label in enumerate(out):
        if counts[label] > 1:
            seen[label] += 1
            out[i] = f"{label} [{seen[label]}]"
    return out


def _frames(entries: Sequence[Assessment], labels: list[str]) -> tuple[Questionnaire, pd.DataFrame, pd.DataFrame,
                                                                      list[str]]:
    by_date = sorted(entries, key=lambda e: (e.assessed_on, str(e.id)))
    q, left_out = shared_questionnaire([e.questionnaire for e in by_date])
    # Positions, not ids, key the rows: the same assessment may be compared with itself.
    answers = pd.concat([answers_frame(e.values, i) for i, e in enumerate(entries)], ignore_index=True)
    meta = pd.DataFrame({
        "assessment_id": range(len(entries)), "label": labels, "id": [e.id for e in entries],
        "department": [e.department for e in entries], "assessed_on": [e.assessed_on for e in entries],
    })
    return q, answers, meta, left_out


def compare(assessments: Sequence[Assessment]) -> Comparison:
    """Departments side by side; rows sorted by department then date, labelled by department."""
    entries = sorted(assessments, key=lambda a: (a.department, a.assessed_on, str(a.id)))
    if not entries:
        raise ValueError("nothing to compare: give at least one assessment")
    labels = _labels([e.department for e in entries], [f"{e.assessed_on.isoformat()}, #{e.id}" for e in entries])
    return compare_frame(*_frames(entries, labels))


@dataclass(frozen=True)
class Trend:
    """One department's dimension scores over time, and the change between consecutive dates."""

    department: str
    comparison: Comparison  # rows labelled by date, oldest first
    changes: pd.DataFrame  # index "date → date", one column per dimension

    @property
    def scores(self) -> pd.DataFrame:
        return self.comparison.pivot

    def as_dict(self) -> dict[str, Any]:
        names = {d.id: d.name for d in self.comparison.questionnaire.dimensions}
        return {
            "department": self.department,
            "dimensions": [{"id": d, "name": names[d]} for d in self.scores.columns],
            "assessments": [
                {"label": r.label, "id": r.id, "date": r.assessed_on.isoformat(),
                 "scores": {d: _num(self.scores.at[r.label, d]) for d in self.scores.columns}}
                for r in self.comparison.assessments.itertuples()
            ],
            "changes": [{"between": k, **{d: _num(v) for d, v in row.items()}}
                        for k, row in self.changes.iterrows()],
            "left_out": self.comparison.left_out,
        }


def trend(assessments: Sequence[Assessment]) -> Trend:
    """One department's assessments in date order, with the change per dimension from one date to the next."""
    departments = sorted({a.department for a in assessments})
    if len(departments) != 1:
        raise ValueError("a trend follows one department; got "
                         + (", ".join(departments) if departments else "no assessment"))
    entries = sorted(assessments, key=lambda a: (a.assessed_on, str(a.id)))
    labels = _labels([e.assessed_on.isoformat() for e in entries], [f"#{e.id}" for e in entries])
    c = compare_frame(*_frames(entries, labels))
    changes = c.pivot.diff().iloc[1:]
    changes.index = [f"{a} → {b}" for a, b in zip(c.pivot.index[:-1], c.pivot.index[1:], strict=True)]
    return Trend(departments[0], c, changes)
