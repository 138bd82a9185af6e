"""NIST AI RMF crosswalk: which questions evidence which subcategories, and coverage per function.

The framework lives in `assessment/questionnaires/nist-ai-rmf.yaml` (read by `assessment.content.nist_ai_rmf`);
this module is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from assessment.questionnaire import Questionnaire, parse_yaml


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    number: int = Field(ge=1)
    subcategories: int = Field(ge=1)
    summary: str


class Function(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    summary: str
    categories: list[Category]


class Framework(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["framework"]
    id: str
    title: str
    functions: list[Function]

    def subcategory_ids(self) -> list[str]:
        return [f"{f.id} {c.number}.{i}" for f in self.functions for c in f.categories
                for i in range(1, c.subcategories + 1)]


def parse_framework(text: str, name: str) -> Framework:
    """Validate the framework's YAML text (`assessment/questionnaires/nist-ai-rmf.yaml`)."""
    return Framework.model_validate(parse_yaml(text, name))


def crosswalk_rows(questionnaires: Sequence[Questionnaire]) -> pd.DataFrame:
    """One row per question × NIST AI RMF subcategory it evidences."""
    rows = [
        {"question_id": q.id, "layer": q.layer, "dimension": q.dimension,
         "function": sub.split()[0], "subcategory": sub, "question": q.text}
        for qn in questionnaires for q in qn.questions for sub in q.nist_ai_rmf
    ]
    return pd.DataFrame(rows, columns=["question_id", "layer", "dimension", "function", "subcategory", "question"])


def unknown_subcategories(questionnaires: Sequence[Questionnaire], framework: Framework) -> list[tuple[str, str]]:
    """(question id, subcategory) pairs naming a subcategory the framework does not have."""
    known = set(framework.subcategory_ids())
    return [(q.id, sub) for qn in questionnaires for q in qn.questions for sub in q.nist_ai_rmf if sub not in known]


def function_coverage(rows: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Per function: subcategories in the framework, how many our questions evidence, question count."""
    out = []
    for f in framework.functions:
        part = rows[rows["function"] == f.id]
        total = sum(c.subcategories for c in f.categories)
        covered = part["subcategory"].nunique()
        out.append({"function": f.id, "subcategories": total, "covered": covered,
                    "percent": round(100 * covered / total, 1), "questions": part["question_id"].nunique()})
    return pd.DataFrame(out)


def uncovered_subcategories(rows: pd.DataFrame, framework: Framework) -> list[str]:
    """The framework's subcategories that no question evidences, in framework order."""
    cited = set(rows["subcategory"])
    return [sub for sub in framework.subcategory_ids() if sub not in cited]
