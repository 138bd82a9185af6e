"""Scope recommender: chosen business objectives → layers, dimension weights and target levels.

The table lives in `assessment/questionnaires/objectives.yaml` (read by `assessment.content.objectives`); this
module is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assessment.questionnaire import MAX_LEVEL, Questionnaire, parse_yaml


class Objective(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    source: Literal["seed", "ours"]
    layers: list[str] = Field(min_length=1)
    why: str
    weights: dict[str, int] = Field(default_factory=dict)
    targets: dict[str, int] = Field(default_factory=dict)


class Objectives(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["objectives"]
    default_target: int = Field(default=3, ge=0, le=MAX_LEVEL)
    objectives: list[Objective]

    def get(self, objective_id: str) -> Objective:
        for o in self.objectives:
            if o.id == objective_id:
                return o
        raise KeyError(f"unknown objective {objective_id!r}; known: {', '.join(o.id for o in self.objectives)}")


def parse_objectives(text: str, name: str) -> Objectives:
    """Validate the objectives table's YAML text (`assessment/questionnaires/objectives.yaml`)."""
    return Objectives.model_validate(parse_yaml(text, name))


@dataclass(frozen=True)
class Scope:
    """What to assess and what good looks like, for the objectives chosen."""

    objectives: list[Objective]
    layers: list[str]
    weights: dict[str, int]  # dimension id → weight
    targets: dict[tuple[str, str], int] = field(default_factory=dict)  # (layer, dimension) → level
    reasons: list[str] = field(default_factory=list)

    def target(self, layer: str, dimension: str, default: int = 3) -> int:
        return self.targets.get((layer, dimension), default)


def recommend(chosen: Sequence[str], q: Questionnaire, table: Objectives) -> Scope:
    """Union of the objectives' layers (those the questionnaire has), highest weight and target each."""
    picked = [table.get(c) for c in chosen]
    if not picked:
        raise ValueError("choose at least one business objective")
    available = [layer.id for layer in q.layers]
    layers = [lid for lid in available if any(lid in o.layers for o in picked)]
    dims = [d.id for d in q.ordered_dimensions]
    weights = {d.id: d.weight for d in q.dimensions}
    for o in picked:
        for dim, w in o.weights.items():
            if dim in weights:
                weights[dim] = max(weights[dim], w)
    targets: dict[tuple[str, str], int] = {}
    for layer in layers:
        for dim in dims:
            levels = [o.targets.get(dim, o.targets.get("default", table.default_target))
                      for o in picked if layer in o.layers]
            targets[(layer, dim)] = max(levels) if levels else table.default_target
    missing = sorted({lid for o in picked for lid in o.layers} - set(available))
    reasons = [f"{o.name}: {o.why}" for o in picked]
    if missing:
        reasons.append(f"Not in this questionnaire, so not assessed: {', '.join(missing)}.")
    return Scope(objectives=picked, layers=layers, weights=weights, targets=targets, reasons=reasons)


def apply(q: Questionnaire, scope: Scope, weights: dict[str, int] | None = None) -> Questionnaire:
    """The questionnaire an assessment is taken on: only the scope's layers, with its dimension weights."""
    weights = weights or scope.weights
    if not scope.layers:
        raise ValueError("the chosen objectives need a layer this questionnaire does not have")
    data = q.model_dump()
    data["layers"] = [layer for layer in data["layers"] if layer["id"] in scope.layers]
    data["questions"] = [x for x in data["questions"] if x["layer"] in scope.layers]
    for d in data["dimensions"]:
        d["weight"] = int(weights.get(d["id"], d["weight"]))
    return Questionnaire.model_validate(data)  # re-validated: weights stay within 1–3
