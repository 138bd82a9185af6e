"""Targets, gaps and the phased roadmap: answers → what to improve first, and when.

Definitions (the same in the app, the CLI and the PDF):
- A **Target** is a level 0–4 per layer × dimension: 3 everywhere by default, or a preset from the
  business objectives (`scope.recommend`), overridden by the targets stored with the assessment.
- A question's **Gap** is target − its level, when positive. N/A questions have no gap (they do not
  apply). Unanswered questions have no gap either: their level is unknown, and counting them as 0
  would make an unfinished assessment look worse than it is; they are listed in `unanswered` so the
  facilitator sees what the gap list cannot cover yet.
- A question's **priority** is gap × question weight × dimension weight.
- Dimension gaps are target − dimension score (priority gap × dimension weight, as `scoring.gaps`);
  a layer's target is the dimension-weighted mean of the targets of its scored dimensions, so that it
  is comparable with the layer score, which averages the same dimensions with the same weights.
- A **RoadmapItem** is one step of one question: the recommendation that lifts it from level n to
  n + 1. A question k levels under target yields k items. Step n → n + 1 has priority
  (target − n) × question weight × dimension weight: the gap left when it is taken, so the first
  step of a question always outranks its later ones.
- Items are placed by priority into Now (0–3 months), Next (3–6) and Later (6–12), each holding at
  most its capacity, never in an earlier phase than the step before them on the same question.
  Items that fit in none of the three go to the **backlog** (after 12 months), in priority order,
  so nothing a gap calls for is silently dropped.
Pure functions: no database, no files, no Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from assessment.questionnaire import MAX_LEVEL, Questionnaire
from assessment.scoring import DEFAULT_TARGET, Answers, Scores, gaps, question_table, score

if TYPE_CHECKING:
    from assessment.scope import Scope

Cell = tuple[str, str]  # (layer id, dimension id)
Targets = Mapping[Cell, int]

PHASES = ("now", "next", "later")
BACKLOG = "backlog"
PHASE_NAMES = {"now": "Now (0–3 months)", "next": "Next (3–6 months)", "later": "Later (6–12 months)",
               BACKLOG: "Backlog (after 12 months)"}
DEFAULT_CAPACITY = 5  # items per phase


# --- targets ---------------------------------------------------------------------------


def default_targets(q: Questionnaire, scope: Scope | None = None, level: int = DEFAULT_TARGET) -> dict[Cell, int]:
    """A target for every layer × dimension: `level` everywhere, or the preset of a Scope."""
    cells = [(layer.id, d.id) for layer in q.layers for d in q.ordered_dimensions]
    if scope is None:
        return dict.fromkeys(cells, level)
    return {cell: scope.target(*cell, default=level) for cell in cells}


def targets_for(q: Questionnaire, stored: Targets | None = None, scope: Scope | None = None) -> dict[Cell, int]:
    """Default (or preset) targets with the assessment's stored ones on top; unknown cells ignored."""
    targets = default_targets(q, scope)
    for cell, level in (stored or {}).items():
        if cell in targets:
            targets[cell] = int(level)
    return targets


def dimension_targets(q: Questionnaire, targets: Targets, layer: str | None = None) -> list[float]:
    """Targets in radar order (ordered dimensions): one layer's, or the mean over layers when None."""
    layers = [layer] if layer else [x.id for x in q.layers]
    return [sum(targets.get((lid, d.id), DEFAULT_TARGET) for lid in layers) / len(layers)
            for d in q.ordered_dimensions]


def parse_cell(text: str, q: Questionnaire) -> Cell:
    """'layer.dimension' → (layer, dimension), checked against the questionnaire."""
    layer, sep, dimension = text.strip().partition(".")
    layers = [x.id for x in q.layers]
    dims = [d.id for d in q.ordered_dimensions]
    if not sep or layer not in layers or dimension not in dims:
        raise ValueError(f"{text!r} is not layer.dimension; layers: {', '.join(layers)}; "
                         f"dimensions: {', '.join(dims)}")
    return layer, dimension


# --- gaps --------------------------------------------------------------------------------


def _levels(n: float) -> str:
    text = f"{n:g}" if float(n).is_integer() else f"{n:.1f}"
    return f"{text} level" if text == "1" else f"{text} levels"


def question_reason(dimension: str, layer: str, level: int, target: int, weight: int, dimension_weight: int) -> str:
    """One sentence explaining a question's (or a roadmap step's) priority."""
    return (f"{dimension} in {layer} is {_levels(target - level)} under target on this question "
            f"(level {level} of {target}), which weighs {weight} in a dimension weighing {dimension_weight}.")


@dataclass(frozen=True)
class GapAnalysis:
    """Where one assessment stands against its targets, at question, dimension and layer level."""

    questionnaire: Questionnaire
    scores: Scores
    targets: dict[Cell, int]
    questions: pd.DataFrame  # questions below target, highest priority first
    dimensions: pd.DataFrame  # layer × dimension cells below target, highest priority first
    layers: pd.DataFrame  # layers below target, largest gap first
    unanswered: pd.DataFrame  # questions without an answer: in no gap until answered

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (NaN → None), used by `gaps --json` and templates."""
        return {
            "targets": [{"layer": layer, "dimension": dim, "level": level}
                        for (layer, dim), level in self.targets.items()],
            "layers": records(self.layers, ["layer", "layer_name", "score", "target", "gap", "reason"]),
            "dimensions": records(self.dimensions, [
                "layer", "layer_name", "dimension", "dimension_name", "score", "target", "gap",
                "dimension_weight", "priority", "reason"]),
            "questions": records(self.questions, [
                "question_id", "layer", "dimension", "question", "level", "target", "gap", "weight",
                "dimension_weight", "priority", "reason"]),
            "unanswered": records(self.unanswered, ["question_id", "layer", "dimension", "question"]),
        }


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """DataFrame rows as plain dicts: Python numbers, floats rounded to 3 places, NaN → None."""

    def plain(x: Any) -> Any:
        if isinstance(x, float):
            return None if math.isnan(x) else round(x, 3)
        return x.item() if hasattr(x, "item") else x

    return [{c: plain(v) for c, v in zip(columns, row, strict=True)}
            for row in frame[columns].itertuples(index=False, name=None)]


def _question_gaps(q: Questionnaire, answers: Answers, targets: Targets) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(questions below target, unanswered questions), both with names and texts."""
    qt = question_table(q)
    qt["question"] = [x.text for x in q.questions]
    qt["layer_name"] = qt["layer"].map({x.id: x.name for x in q.layers})
    qt["dimension_name"] = qt["dimension"].map({d.id: d.name for d in q.dimensions})
    qt["order"] = range(len(qt))
    answered = qt["question_id"].isin(list(answers))
    unanswered = qt[~answered].reset_index(drop=True)
    levels = qt["question_id"].map(lambda qid: answers.get(qid))
    d = qt[answered & levels.notna()].copy()
    d["level"] = levels[d.index].astype(int)
    d["target"] = [int(targets.get(cell, DEFAULT_TARGET)) for cell in zip(d["layer"], d["dimension"], strict=True)]
    d["gap"] = d["target"] - d["level"]
    d = d[d["gap"] > 0].copy()
    d["priority"] = d["gap"] * d["weight"] * d["dimension_weight"]
    d["reason"] = [question_reason(r.dimension_name, r.layer_name, r.level, r.target, r.weight, r.dimension_weight)
                   for r in d.itertuples()]
    d = d.sort_values(["priority", "gap", "order"], ascending=[False, False, True], kind="stable")
    return d.reset_index(drop=True), unanswered


def _layer_gaps(q: Questionnaire, scores: Scores, targets: Targets) -> pd.DataFrame:
    d = scores.dimensions
    w = d["dimension_weight"].where(d["score"].notna(), 0)
    t = pd.Series([targets.get(cell, DEFAULT_TARGET) for cell in zip(d["layer"], d["dimension"], strict=True)],
                  index=d.index, dtype=float)
    tw, ww = (t * w).groupby(d["layer"]).sum(), w.groupby(d["layer"]).sum()
    layers = scores.layers[["layer", "score"]].copy()
    layers["target"] = layers["layer"].map(tw / ww.where(ww > 0))
    layers["gap"] = (layers["target"] - layers["score"]).clip(lower=0)
    layers = layers[layers["gap"] > 0].copy()
    layers["layer_name"] = layers["layer"].map({x.id: x.name for x in q.layers})
    layers["reason"] = [f"{r.layer_name} scores {r.score:.1f} against a target of {r.target:.1f}, "
                        f"{_levels(round(r.gap, 1))} under." for r in layers.itertuples()]
    return layers.sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)


def gap_analysis(q: Questionnaire, answers: Answers, targets: Targets | None = None) -> GapAnalysis:
    """Gaps of one assessment against `targets` (missing cells: the default target of 3)."""
    targets = targets_for(q, targets)
    scores = score(q, answers)
    questions, unanswered = _question_gaps(q, answers, targets)
    dims = gaps(q, scores, targets)
    dims["reason"] = [
        f"{r.dimension_name} in {r.layer_name} scores {r.score:.1f} against a target of {r.target:g}, "
        f"{_levels(round(r.gap, 1))} under, and the dimension weighs {r.dimension_weight}."
        for r in dims.itertuples()
    ]
    return GapAnalysis(q, scores, targets, questions, dims, _layer_gaps(q, scores, targets), unanswered)


# --- roadmap -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadmapItem:
    """One step on the roadmap: the recommendation that lifts a question by one level."""

    question_id: str
    layer: str
    dimension: str
    layer_name: str
    dimension_name: str
    question: str
    from_level: int
    to_level: int
    target: int
    recommendation: str
    weight: int
    dimension_weight: int
    priority: int
    reason: str
    phase: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Roadmap:
    """Items per phase (now, next, later) in priority order, and the backlog beyond them."""

    phases: dict[str, list[RoadmapItem]]
    backlog: list[RoadmapItem]
    capacity: dict[str, int]

    def by_phase(self) -> dict[str, list[RoadmapItem]]:
        """now, next, later and backlog, in that order."""
        return {**self.phases, BACKLOG: self.backlog}

    @property
    def items(self) -> list[RoadmapItem]:
        return [item for items in self.by_phase().values() for item in items]

    def frame(self) -> pd.DataFrame:
        """All items as a DataFrame, phase by phase, with the phase's name and the item's rank in it."""
        fields = [f for f in RoadmapItem.__dataclass_fields__ if f != "phase"]
        rows = [{"phase": phase, "phase_name": PHASE_NAMES[phase], "rank": rank, **item.as_dict()}
                for phase, items in self.by_phase().items() for rank, item in enumerate(items, 1)]
        return pd.DataFrame(rows, columns=["phase", "phase_name", "rank", *fields])

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        """{"now": [...], "next": [...], "later": [...], "backlog": [...]}: for templates and JSON."""
        return {phase: [i.as_dict() for i in items] for phase, items in self.by_phase().items()}


def _capacities(capacity: int | Mapping[str, int]) -> dict[str, int]:
    caps = dict.fromkeys(PHASES, capacity) if isinstance(capacity, int) else {
        p: capacity.get(p, DEFAULT_CAPACITY) for p in PHASES}
    for phase, n in caps.items():
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"capacity of {phase!r} must be a whole number ≥ 0, got {n!r}")
    return caps


def roadmap_steps(analysis: GapAnalysis) -> list[RoadmapItem]:
    """Every step from each question's level up to its target, highest priority first.

    Ties go to the lower starting level (foundations first), then to questionnaire order.
    """
    questions = {x.id: x for x in analysis.questionnaire.questions}
    steps: list[tuple[int, int, int, RoadmapItem]] = []
    for r in analysis.questions.itertuples():
        question = questions[r.question_id]
        for level in range(int(r.level), min(int(r.target), MAX_LEVEL)):
            priority = (int(r.target) - level) * int(r.weight) * int(r.dimension_weight)
            item = RoadmapItem(
                question_id=r.question_id, layer=r.layer, dimension=r.dimension, layer_name=r.layer_name,
                dimension_name=r.dimension_name, question=r.question, from_level=level, to_level=level + 1,
                target=int(r.target), recommendation=question.recommendation_from(level) or "",
                weight=int(r.weight), dimension_weight=int(r.dimension_weight), priority=priority,
                reason=question_reason(r.dimension_name, r.layer_name, level, int(r.target), int(r.weight),
                                       int(r.dimension_weight)),
            )
            steps.append((-priority, level, int(r.order), item))
    return [item for *_, item in sorted(steps, key=lambda s: s[:3])]


def plan(analysis: GapAnalysis, capacity: int | Mapping[str, int] = DEFAULT_CAPACITY) -> Roadmap:
    """Place the roadmap steps into now / next / later by priority, respecting level order and capacity."""
    caps = _capacities(capacity)
    order = [*PHASES, BACKLOG]
    placed: dict[str, list[RoadmapItem]] = {p: [] for p in order}
    phase_of: dict[tuple[str, int], int] = {}  # (question, to_level) → index in `order`
    for item in roadmap_steps(analysis):
        # The step before this one on the same question is placed already: it has a higher priority.
        earliest = phase_of.get((item.question_id, item.from_level), 0)
        index = next((i for i in range(earliest, len(PHASES)) if len(placed[PHASES[i]]) < caps[PHASES[i]]),
                     len(PHASES))
        phase_of[(item.question_id, item.to_level)] = index
        placed[order[index]].append(replace(item, phase=order[index]))
    return Roadmap(phases={p: placed[p] for p in PHASES}, backlog=placed[BACKLOG], capacity=caps)


def roadmap(q: Questionnaire, answers: Answers, targets: Targets | None = None,
            capacity: int | Mapping[str, int] = DEFAULT_CAPACITY) -> Roadmap:
    """The phased roadmap of one assessment: `gap_analysis` then `plan`."""
    return plan(gap_analysis(q, answers, targets), capacity)
