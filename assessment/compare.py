"""Comparison of assessments: departments side by side, and one department over time.

- A department's score per dimension is its overall dimension score (mean over layers, as on the
  overall radar), computed for all assessments at once by `scoring.dimension_scores`.
- Delta = department score − organisation mean, the mean over the compared departments that have
  a score in that dimension. Strongest and weakest: highest and lowest score; ties go to the first
  row (rows are sorted by department, then date).
- Assessments taken on different questionnaire versions are compared on the question ids they all
  share, with the layer, dimension and weights of the newest assessment's version; the ids left out
  are named in `left_out`. An id map (`questionnaires/id-map-*.yaml`) carries a renamed question's
  answers over to its new id, and `changes` names every question that changed between the versions:
  added, removed, merged, renamed, replaced (left out, except renamed) and reworded (still compared).
- Trend: one department's assessments in date order, with the change per dimension between
  consecutive dates.
Pure functions: no database, no files, no Streamlit.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assessment.model import Assessment
from assessment.questionnaire import Questionnaire, QuestionnaireError, SchemaError, parse_yaml
from assessment.questionnaire import _field_path as field_path
from assessment.questionnaire import _line_of as line_of
from assessment.scoring import answers_frame, dimension_scores, overall_dimension_scores


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 3)


# --- question ids across questionnaire versions ----------------------------------------------------

ChangeKind = Literal["added", "removed", "merged", "renamed", "replaced", "reworded"]


class IdChange(BaseModel):
    """One question's fate from one questionnaire version to the next (see `questionnaires/id-map-*.yaml`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    change: ChangeKind
    id: str | None = None  # in the older version
    new_id: str | None = None  # in the newer version
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_fit_the_change(self) -> IdChange:
        needs_old = self.change != "added"
        needs_new = self.change in ("added", "merged", "renamed", "replaced")
        if needs_old != (self.id is not None):
            raise ValueError(f"a {self.change} question {'needs' if needs_old else 'has no'} `id`")
        if needs_new != (self.new_id is not None):
            raise ValueError(f"a {self.change} question {'needs' if needs_new else 'has no'} `new_id`")
        return self


class IdMap(BaseModel):
    """How question ids changed from one questionnaire version to the next."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    kind: Literal["id-map"]
    from_version: str = Field(alias="from")
    to_version: str = Field(alias="to")
    changes: list[IdChange]


def parse_id_map(text: str, name: str) -> IdMap:
    """Validate an id map's YAML text (`assessment/questionnaires/id-map-*.yaml`); errors name file and line."""
    raw = parse_yaml(text, name)
    try:
        return IdMap.model_validate(raw)
    except ValidationError as exc:
        raise QuestionnaireError([SchemaError(name, line_of(raw, list(e["loc"])), field_path(e["loc"]),
                                              e["msg"].removeprefix("Value error, ")) for e in exc.errors()]) from None


@dataclass(frozen=True)
class QuestionChange:
    """A question that changed between the compared versions, as named in a comparison."""

    id: str  # the id the change is about: the old id, or the new one for an added question
    change: ChangeKind
    new_id: str | None
    reason: str
    compared: bool  # whether its answers count in the comparison

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "change": self.change, "new_id": self.new_id, "reason": self.reason,
                "compared": self.compared}

    def __str__(self) -> str:
        target = f" → {self.new_id}" if self.new_id and self.new_id != self.id else ""
        return f"{self.id}{target} ({self.change}): {self.reason}"


@dataclass(frozen=True)
class Reconciled:
    """Versions brought onto the newest one: the shared questionnaire, renames per version, what changed."""

    questionnaire: Questionnaire
    left_out: list[str]
    renames: dict[int, dict[str, str]]  # id(version) → old id → new id
    changes: list[QuestionChange]


def _scored_content(q: Any) -> tuple[str, tuple[str, ...], str]:
    """What an answer depends on: the question, its levels and its N/A rule."""
    return (" ".join(q.text.split()), tuple(" ".join(x.split()) for x in q.levels), q.not_applicable_when)


def reconcile(versions: Sequence[Questionnaire], id_maps: Sequence[IdMap] = ()) -> Reconciled:
    """The last version (pass the newest last) cut down to the questions every version has, once renamed
    ids are mapped onto the newest ones; the ids left out; and the questions that changed."""
    if not versions:
        raise ValueError("nothing to compare: give at least one assessment")
    base = versions[-1]
    distinct = list({id(v): v for v in versions}.values())
    if all(v == base for v in distinct):
        return Reconciled(base, [], {}, [])
    base_ids = {x.id for x in base.questions}
    entries = [c for m in id_maps for c in m.changes]
    renames: dict[int, dict[str, str]] = {}
    for v in distinct:
        ids = {x.id for x in v.questions}
        renames[id(v)] = {c.id: c.new_id for c in entries if c.change == "renamed" and c.id in ids
                          and c.id not in base_ids and c.new_id in base_ids and c.new_id not in ids}
    ids = [[renames[id(v)].get(x.id, x.id) for x in v.questions] for v in distinct]
    common = set.intersection(*map(set, ids))
    if not common:
        raise ValueError("these assessments share no question, so they cannot be compared")
    renamed = {old: new for r in renames.values() for old, new in r.items()}
    left_out = [qid for qid in dict.fromkeys(x.id for v in distinct for x in v.questions)
                if renamed.get(qid, qid) not in common]
    return Reconciled(base.model_copy(update={"questions": [x for x in base.questions if x.id in common]}),
                      left_out, renames, _changes(distinct, base, common, renames, entries))


def _changes(versions: list[Questionnaire], base: Questionnaire, common: set[str],
             renames: dict[int, dict[str, str]], entries: list[IdChange]) -> list[QuestionChange]:
    """The map's entries that apply to these versions, and any other compared question whose wording changed."""
    base_ids = {x.id for x in base.questions}
    older = [v for v in versions if v is not base]
    old_ids = {x.id for v in older for x in v.questions}
    out: dict[tuple[str, str], QuestionChange] = {}
    for c in entries:
        if c.change == "added":  # new to a version that assesses its layer, not merely absent from another layer
            layer = base.question(c.new_id).layer if c.new_id in base_ids else None
            if any(c.new_id not in {x.id for x in v.questions} and layer in {x.layer for x in v.questions}
                   for v in older):
                out[(c.new_id, c.change)] = QuestionChange(c.new_id, c.change, c.new_id, c.reason, False)
        elif c.change == "reworded":
            continue  # named below, only when the wording really differs between the compared versions
        elif c.id in old_ids and c.id not in base_ids:
            compared = c.change == "renamed" and any(r.get(c.id) == c.new_id for r in renames.values())
            out[(c.id, c.change)] = QuestionChange(c.id, c.change, c.new_id, c.reason, compared)
    reasons = {c.id: c.reason for c in entries if c.change == "reworded"}
    renamed = {old: new for r in renames.values() for old, new in r.items()}
    for v in older:
        for x in v.questions:
            now = renamed.get(x.id, x.id)
            if now in common and x.id not in renamed and _scored_content(x) != _scored_content(base.question(now)):
                out.setdefault((x.id, "reworded"), QuestionChange(
                    x.id, "reworded", None, reasons.get(x.id, "The question's text, levels or N/A rule changed."),
                    True))
    order = {qid: i for i, qid in enumerate(dict.fromkeys([x.id for v in versions for x in v.questions]))}
    return sorted(out.values(), key=lambda c: (order.get(c.id, len(order)), c.change))


def shared_questionnaire(versions: Sequence[Questionnaire],
                         id_maps: Sequence[IdMap] = ()) -> tuple[Questionnaire, list[str]]:
    """The last version (pass the newest last) cut down to the question ids every version has,
    and the ids left out."""
    r = reconcile(versions, id_maps)
    return r.questionnaire, r.left_out


def builtin_id_maps() -> list[IdMap]:
    """The id maps shipped with the built-in questionnaires (read through `assessment.content`)."""
    from assessment.content import id_maps

    return id_maps()


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
    changes: list[QuestionChange] = field(default_factory=list)  # questions that changed between versions

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
            "question_changes": [c.as_dict() for c in self.changes],
        }


def compare_frame(q: Questionnaire, answers: pd.DataFrame, meta: pd.DataFrame,
                  left_out: Sequence[str] = (), changes: Sequence[QuestionChange] = ()) -> Comparison:
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
    return Comparison(q, meta.reset_index(drop=True), pivot, mean, pivot - mean, extremes, list(left_out),
                      list(changes))


def _labels(texts: list[str], details: list[str]) -> list[str]:
    """Each text, with its detail where the text repeats, and a counter where that still repeats."""
    out = [t if texts.count(t) == 1 else f"{t} ({d})" for t, d in zip(texts, details, strict=True)]
    counts, seen = Counter(out), Counter[str]()
    for i, label in enumerate(out):
        if counts[label] > 1:
            seen[label] += 1
            out[i] = f"{label} [{seen[label]}]"
    return out


def _frames(entries: Sequence[Assessment], labels: list[str],
            id_maps: Sequence[IdMap] | None) -> tuple[Questionnaire, pd.DataFrame, pd.DataFrame, list[str],
                                                      list[QuestionChange]]:
    by_date = sorted(entries, key=lambda e: (e.assessed_on, str(e.id)))
    r = reconcile([e.questionnaire for e in by_date], builtin_id_maps() if id_maps is None else id_maps)

    def values(e: Assessment) -> dict[str, int | None]:
        rename = r.renames.get(id(e.questionnaire), {})
        return {rename.get(qid, qid): v for qid, v in e.values.items()} if rename else e.values

    # Positions, not ids, key the rows: the same assessment may be compared with itself. One frame from flat
    # columns (as `answers_frame` builds each): a frame per assessment costs ~5 ms, 1 s for 200 departments.
    each = [values(e) for e in entries]
    answers = pd.DataFrame({
        "assessment_id": np.repeat(np.arange(len(each)), [len(v) for v in each]),
        "question_id": [qid for v in each for qid in v],
        "level": np.array([np.nan if x is None else x for v in each for x in v.values()], dtype=float),
        "na": np.array([x is None for v in each for x in v.values()], dtype=bool),
    }) if each else answers_frame({}, 0)
    meta = pd.DataFrame({
        "assessment_id": range(len(entries)), "label": labels, "id": [e.id for e in entries],
        "department": [e.department for e in entries], "assessed_on": [e.assessed_on for e in entries],
    })
    return r.questionnaire, answers, meta, r.left_out, r.changes


def compare(assessments: Sequence[Assessment], id_maps: Sequence[IdMap] | None = None) -> Comparison:
    """Departments side by side; rows sorted by department then date, labelled by department.

    `id_maps` default: the built-in questionnaires' maps."""
    entries = sorted(assessments, key=lambda a: (a.department, a.assessed_on, str(a.id)))
    if not entries:
        raise ValueError("nothing to compare: give at least one assessment")
    labels = _labels([e.department for e in entries], [f"{e.assessed_on.isoformat()}, #{e.id}" for e in entries])
    return compare_frame(*_frames(entries, labels, id_maps))


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
            "question_changes": [c.as_dict() for c in self.comparison.changes],
        }


def trend(assessments: Sequence[Assessment], id_maps: Sequence[IdMap] | None = None) -> Trend:
    """One department's assessments in date order, with the change per dimension from one date to the next."""
    departments = sorted({a.department for a in assessments})
    if len(departments) != 1:
        raise ValueError("a trend follows one department; got "
                         + (", ".join(departments) if departments else "no assessment"))
    entries = sorted(assessments, key=lambda a: (a.assessed_on, str(a.id)))
    labels = _labels([e.assessed_on.isoformat() for e in entries], [f"#{e.id}" for e in entries])
    c = compare_frame(*_frames(entries, labels, id_maps))
    changes = c.pivot.diff().iloc[1:]
    changes.index = [f"{a} → {b}" for a, b in zip(c.pivot.index[:-1], c.pivot.index[1:], strict=True)]
    return Trend(departments[0], c, changes)
