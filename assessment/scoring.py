"""Scoring: answers → weighted maturity scores on the 0–4 scale, as pandas DataFrames.

Definitions (the same everywhere: app, CLI, PDF):
- An answer is a level 0–4, or N/A (the question does not apply), or missing (not answered yet).
- Dimension score (per layer) = Σ level·weight / Σ weight over the questions answered with a level.
  N/A and missing answers carry no weight, so they never move a score.
- Layer score = mean of its dimension scores weighted by the dimensions' weights.
- Overall = mean of the layer scores; or, with `scoring.overall: weakest_link` in the questionnaire,
  the lowest layer × dimension score (the ML Test Score's rule: you are as mature as your weakest area).
- Coverage = questions with a level or N/A / questions in scope.
Pure functions: no database, no files, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assessment.questionnaire import MAX_LEVEL, Questionnaire

NA = None  # the value of an N/A answer in an answers mapping
DEFAULT_TARGET = 3

Answers = Mapping[str, int | None]  # question id → level, or None for N/A; absent = unanswered


def question_table(q: Questionnaire) -> pd.DataFrame:
    """One row per question with its layer, dimension and weights, in questionnaire order."""
    dims = {d.id: d for d in q.ordered_dimensions}
    order = {d.id: i for i, d in enumerate(q.ordered_dimensions)}
    layer_order = {layer.id: i for i, layer in enumerate(q.layers)}
    return pd.DataFrame(
        {
            "question_id": [x.id for x in q.questions],
            "layer": [x.layer for x in q.questions],
            "dimension": [x.dimension for x in q.questions],
            "weight": [x.weight for x in q.questions],
            "dimension_weight": [dims[x.dimension].weight for x in q.questions],
            "dimension_order": [order[x.dimension] for x in q.questions],
            "layer_order": [layer_order[x.layer] for x in q.questions],
        }
    )


def answers_frame(answers: Answers, assessment_id: int | str = 0) -> pd.DataFrame:
    """Long answers table (assessment_id, question_id, level, na) from a mapping."""
    return pd.DataFrame(
        {
            "assessment_id": [assessment_id] * len(answers),
            "question_id": list(answers.keys()),
            "level": pd.array([v for v in answers.values()], dtype="Float64").astype(float),
            "na": [v is None for v in answers.values()],
        },
        columns=["assessment_id", "question_id", "level", "na"],
    )


def _validate_levels(levels: pd.Series) -> None:
    bad = levels.dropna()
    bad = bad[(bad < 0) | (bad > MAX_LEVEL) | (bad != bad.round())]
    if len(bad):
        raise ValueError(f"levels must be whole numbers 0–{MAX_LEVEL}, got {bad.iloc[0]!r}")


def dimension_scores(q: Questionnaire, answers: pd.DataFrame) -> pd.DataFrame:
    """Score per assessment × layer × dimension, vectorised over any number of assessments.

    `answers` has columns assessment_id, question_id, level (NaN for N/A) and na. Answers to
    questions not in `q` are ignored (they belong to another version of the questionnaire).
    Columns: assessment_id, layer, dimension, score, answered, na, total, coverage, percent.
    """
    _validate_levels(answers["level"])
    qt = question_table(q)
    # Cells (layer × dimension with questions) in layer, then dimension order; each question's cell.
    cell_key = qt["layer_order"].to_numpy() * (qt["dimension_order"].max() + 1) + qt["dimension_order"].to_numpy()
    _, first, cell_of = np.unique(cell_key, return_index=True, return_inverse=True)
    cells = qt.iloc[first].reset_index(drop=True)
    n_cells = len(cells)
    # Sum per assessment × cell with bincount over codes: same sums as a groupby, without the merges.
    if len(answers):
        codes, ids = pd.factorize(answers["assessment_id"], sort=True)
    else:
        codes, ids = np.zeros(0, dtype=np.intp), pd.Index(np.array([0]))
    # Factorise first: matching the few distinct ids is much cheaper than every row's string.
    qcodes, qids = pd.factorize(answers["question_id"])
    question = np.append(pd.Index(qt["question_id"]).get_indexer(qids), -1)[qcodes]
    known = question >= 0  # answers to questions of another version are ignored
    question, codes = question[known], codes[known]
    level = answers["level"].to_numpy(dtype="float64", na_value=np.nan)[known]
    has_level = ~np.isnan(level)
    na = answers["na"].fillna(False).to_numpy(dtype=bool)[known] & ~has_level
    flat = codes * n_cells + cell_of[question]
    size = len(ids) * n_cells
    w = np.where(has_level, qt["weight"].to_numpy()[question], 0)
    lw = np.bincount(flat, weights=np.where(has_level, level, 0) * w, minlength=size)
    w = np.bincount(flat, weights=w, minlength=size)
    answered = np.bincount(flat[has_level], minlength=size)
    na_n = np.bincount(flat[na], minlength=size)
    total = np.tile(np.bincount(cell_of, minlength=n_cells), len(ids))
    rows = np.tile(np.arange(n_cells), len(ids))
    score = np.where(w > 0, lw / np.where(w > 0, w, 1), np.nan)
    return pd.DataFrame({
        "assessment_id": ids.repeat(n_cells).array,
        **{c: cells[c].take(rows).array for c in ("layer", "dimension")},
        "answered": answered, "na": na_n, "total": total,
        **{c: cells[c].take(rows).array for c in ("dimension_weight", "dimension_order", "layer_order")},
        "score": score, "coverage": (answered + na_n) / total, "percent": score / MAX_LEVEL * 100,
    })


def _weighted(scores: pd.Series, weights: pd.Series) -> float:
    mask = scores.notna()
    return float((scores[mask] * weights[mask]).sum() / weights[mask].sum()) if mask.any() else float("nan")


def layer_scores(dims: pd.DataFrame) -> pd.DataFrame:
    """Layer score per assessment: dimension scores weighted by dimension weight."""
    d = dims.assign(sw=dims["score"] * dims["dimension_weight"],
                    ww=dims["dimension_weight"].where(dims["score"].notna(), 0))
    d["sw"] = d["sw"].fillna(0)
    g = d.groupby(["assessment_id", "layer"], sort=False).agg(
        sw=("sw", "sum"), ww=("ww", "sum"), answered=("answered", "sum"), na=("na", "sum"),
        total=("total", "sum"), layer_order=("layer_order", "first"),
    ).reset_index()
    g["score"] = np.where(g["ww"] > 0, g["sw"] / g["ww"].where(g["ww"] > 0, 1), np.nan)
    g["coverage"] = (g["answered"] + g["na"]) / g["total"]
    g["percent"] = g["score"] / MAX_LEVEL * 100
    return g.drop(columns=["sw", "ww"]).sort_values(["assessment_id", "layer_order"]).reset_index(drop=True)


def overall_dimension_scores(dims: pd.DataFrame) -> pd.DataFrame:
    """Each dimension across layers (mean of its layer scores): the overall radar."""
    g = dims.groupby(["assessment_id", "dimension"], sort=False).agg(
        score=("score", "mean"), answered=("answered", "sum"), na=("na", "sum"), total=("total", "sum"),
        dimension_order=("dimension_order", "first"),
    ).reset_index()
    g["coverage"] = (g["answered"] + g["na"]) / g["total"]
    g["percent"] = g["score"] / MAX_LEVEL * 100
    return g.sort_values(["assessment_id", "dimension_order"]).reset_index(drop=True)


@dataclass(frozen=True)
class Scores:
    """Everything the app, the CLI and the report show about one assessment's scores."""

    questionnaire: Questionnaire
    dimensions: pd.DataFrame  # layer × dimension
    layers: pd.DataFrame
    overall_dimensions: pd.DataFrame
    overall: float
    coverage: float
    answered: int
    na: int
    total: int

    @property
    def overall_percent(self) -> float:
        return self.overall / MAX_LEVEL * 100

    def as_dict(self) -> dict:
        """Plain JSON-ready form (NaN → None), used by `score --json` and templates."""

        def num(x: float) -> float | None:
            return None if pd.isna(x) else round(float(x), 3)

        names = {d.id: d.name for d in self.questionnaire.dimensions}
        layer_names = {layer.id: layer.name for layer in self.questionnaire.layers}
        return {
            "questionnaire": {"id": self.questionnaire.id, "version": self.questionnaire.version},
            "overall": num(self.overall),
            "overall_percent": num(self.overall_percent),
            "rule": self.questionnaire.scoring.overall,
            "coverage": {"answered": self.answered, "na": self.na, "total": self.total,
                         "ratio": num(self.coverage)},
            "layers": [
                {"id": r.layer, "name": layer_names[r.layer], "score": num(r.score),
                 "percent": num(r.percent), "coverage": num(r.coverage),
                 "dimensions": [
                     {"id": d.dimension, "name": names[d.dimension], "score": num(d.score),
                      "answered": int(d.answered), "na": int(d.na), "total": int(d.total)}
                     for d in self.dimensions[self.dimensions["layer"] == r.layer].itertuples()
                 ]}
                for r in self.layers.itertuples()
            ],
            "dimensions": [
                {"id": r.dimension, "name": names[r.dimension], "score": num(r.score),
                 "percent": num(r.percent), "coverage": num(r.coverage)}
                for r in self.overall_dimensions.itertuples()
            ],
        }


def overall_score(q: Questionnaire, dims: pd.DataFrame, layers: pd.DataFrame) -> float:
    if q.scoring.overall == "weakest_link":
        return float(dims["score"].min()) if dims["score"].notna().any() else float("nan")
    return float(layers["score"].mean()) if layers["score"].notna().any() else float("nan")


def score(q: Questionnaire, answers: Answers) -> Scores:
    """Score one assessment. `answers` maps question id → level 0–4, or None for N/A."""
    dims = dimension_scores(q, answers_frame(answers))
    layers = layer_scores(dims)
    total = int(dims["total"].sum())
    answered, na = int(dims["answered"].sum()), int(dims["na"].sum())
    return Scores(
        questionnaire=q,
        dimensions=dims.drop(columns=["assessment_id"]),
        layers=layers.drop(columns=["assessment_id"]),
        overall_dimensions=overall_dimension_scores(dims).drop(columns=["assessment_id"]),
        overall=overall_score(q, dims, layers),
        coverage=(answered + na) / total if total else 0.0,
        answered=answered,
        na=na,
        total=total,
    )


def gaps(
    q: Questionnaire, scores: Scores, target: float | Mapping[tuple[str, str], float] = DEFAULT_TARGET
) -> pd.DataFrame:
    """Layer × dimension rows below target, largest gap first (weighted by dimension weight).

    `target` is one level for every cell, or a mapping (layer, dimension) → level (missing cells: 3).
    """
    d = scores.dimensions.copy()
    if isinstance(target, Mapping):
        cells = zip(d["layer"], d["dimension"], strict=True)
        d["target"] = [float(target.get(cell, DEFAULT_TARGET)) for cell in cells]
    else:
        d["target"] = float(target)
    d["gap"] = (d["target"] - d["score"]).clip(lower=0)
    d = d[d["score"].notna() & (d["gap"] > 0)]
    names = {x.id: x.name for x in q.dimensions}
    layer_names = {x.id: x.name for x in q.layers}
    d["dimension_name"] = d["dimension"].map(names)
    d["layer_name"] = d["layer"].map(layer_names)
    d["priority"] = d["gap"] * d["dimension_weight"]
    return d.sort_values(["priority", "gap"], ascending=False, kind="stable").reset_index(drop=True)
