"""Questionnaires: YAML text parsed into pydantic models.

Every error is reported against the file and line it comes from, in the form
`questionnaires/mlops.yaml:42: questions[3].levels: expected 5 levels, got 4`.
Pure: text and a name in, models out. Reading files and folders is `assessment.content`'s job.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

LEVEL_COUNT = 5  # levels 0 (none) .. 4 (optimised)
MAX_LEVEL = LEVEL_COUNT - 1
NIST_SUBCATEGORY = re.compile(r"^(GOVERN|MAP|MEASURE|MANAGE) \d+\.\d+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Layer(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    description: str = ""


class Dimension(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    description: str = ""
    weight: int = Field(default=1, ge=1, le=3)
    order: int = 0


class Question(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    layer: str
    dimension: str
    weight: int = Field(default=1, ge=1, le=3)
    text: str = Field(min_length=10)
    levels: list[str]
    evidence: str = Field(min_length=1)
    recommendations: list[str]
    references: list[str] = Field(min_length=1)
    nist_ai_rmf: list[str] = Field(default_factory=list)
    # When the question cannot apply (e.g. batch-only models for a latency question): answer N/A.
    not_applicable_when: str = ""

    @field_validator("levels")
    @classmethod
    def _five_levels(cls, levels: list[str]) -> list[str]:
        if len(levels) != LEVEL_COUNT:
            raise ValueError(f"expected {LEVEL_COUNT} levels, got {len(levels)}")
        if any(not text.strip() for text in levels):
            raise ValueError("every level needs a description")
        if len({text.strip().lower() for text in levels}) != LEVEL_COUNT:
            raise ValueError("the five level descriptions must all differ")
        return levels

    @field_validator("recommendations")
    @classmethod
    def _four_recommendations(cls, recs: list[str]) -> list[str]:
        if len(recs) != MAX_LEVEL:
            raise ValueError(
                f"expected {MAX_LEVEL} recommendations (from level 0->1 up to 3->4), got {len(recs)}"
            )
        return recs

    @field_validator("nist_ai_rmf")
    @classmethod
    def _nist_ids(cls, ids: list[str]) -> list[str]:
        for sub in ids:
            if not NIST_SUBCATEGORY.match(sub):
                raise ValueError(f"{sub!r} is not a NIST AI RMF subcategory such as 'GOVERN 1.2'")
        return ids

    def recommendation_from(self, level: int) -> str | None:
        """The action that lifts this question from `level` to `level + 1` (None at the top)."""
        return self.recommendations[level] if 0 <= level < MAX_LEVEL else None


class Scoring(_Strict):
    overall: Literal["mean", "weakest_link"] = "mean"


class Questionnaire(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9+._-]*$")
    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    license: str = Field(min_length=1)
    description: str = ""
    order: int = 100  # position among questionnaires (MLOps 1, LLMOps 2, AIOps 3); then by id
    scoring: Scoring = Scoring()
    layers: list[Layer] = Field(min_length=1)
    dimensions: list[Dimension] = Field(min_length=3)
    questions: list[Question] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # `version: 1.0` in YAML is a float; accept it as the text the author meant.
        return str(value) if isinstance(value, int | float) else value

    @property
    def ordered_dimensions(self) -> list[Dimension]:
        return sorted(self.dimensions, key=lambda d: (d.order, self.dimensions.index(d)))

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def content_hash(self) -> str:
        """A short fingerprint of the content, stored with every assessment taken on it."""
        data = self.model_dump(mode="json")
        for q in data["questions"]:  # a field added later counts only when set, so older hashes still match
            if not q.get("not_applicable_when"):
                q.pop("not_applicable_when", None)
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def coverage(self) -> dict[str, dict[str, int]]:
        """Question count per layer × dimension, zeros included."""
        counts = {layer.id: {dim.id: 0 for dim in self.ordered_dimensions} for layer in self.layers}
        for q in self.questions:
            counts[q.layer][q.dimension] += 1
        return counts


# --- errors -----------------------------------------------------------------


@dataclass(frozen=True)
class SchemaError:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class QuestionnaireError(Exception):
    """One or more problems in questionnaire files, each pointing at a file and line."""

    def __init__(self, errors: Sequence[SchemaError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


# --- parsing ------------------------------------------------------------------


def _field_path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(root: Any, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node of `loc` that exists in the ruamel tree."""
    node, line = root, getattr(getattr(root, "lc", None), "line", None)
    for part in loc:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0]
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0]
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return None if line is None else line + 1


def parse_yaml(text: str, name: str) -> Any:
    """Parse YAML keeping line numbers; a syntax error becomes a QuestionnaireError."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise QuestionnaireError(
            [SchemaError(name, line, "", f"YAML syntax error: {exc.problem or exc.context}")]
        ) from None
    except Exception as exc:  # ruamel raises a few non-marked errors on odd input
        raise QuestionnaireError([SchemaError(name, None, "", f"cannot parse YAML: {exc}")]) from None


def _referential_errors(raw: CommentedMap, q: Questionnaire, name: str) -> list[SchemaError]:
    errors: list[SchemaError] = []

    def err(loc: list[str | int], message: str) -> None:
        errors.append(SchemaError(name, _line_of(raw, loc), _field_path(loc), message))

    for kind, items in (("layers", q.layers), ("dimensions", q.dimensions), ("questions", q.questions)):
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.id in seen:
                err([kind, i, "id"], f"duplicate id {item.id!r} (first used at {kind}[{seen[item.id]}])")
            seen.setdefault(item.id, i)
    layer_ids = {layer.id for layer in q.layers}
    dim_ids = {d.id for d in q.dimensions}
    texts: dict[str, int] = {}
    for i, question in enumerate(q.questions):
        if question.layer not in layer_ids:
            err(["questions", i, "layer"], f"unknown layer {question.layer!r}; declared: {sorted(layer_ids)}")
        if question.dimension not in dim_ids:
            err(
                ["questions", i, "dimension"],
                f"unknown dimension {question.dimension!r}; declared: {sorted(dim_ids)}",
            )
        key = " ".join(question.text.lower().split())
        if key in texts:
            err(["questions", i, "text"], f"same text as questions[{texts[key]}]")
        texts.setdefault(key, i)
    return errors


def parse_questionnaire(text: str, name: str = "<questionnaire>") -> Questionnaire:
    """Validate questionnaire YAML text; raise QuestionnaireError naming lines and fields."""
    raw = parse_yaml(text, name)
    if not isinstance(raw, CommentedMap):
        raise QuestionnaireError([SchemaError(name, 1, "", "expected a mapping with id, title, questions …")])
    data = {k: v for k, v in raw.items() if k != "kind"}
    try:
        q = Questionnaire.model_validate(data)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = list(e["loc"])
            message = e["msg"].removeprefix("Value error, ")
            if e["type"] == "missing":
                message = "required field is missing"
            elif e["type"] == "extra_forbidden":
                message = ("unknown field (check the spelling against the fields listed at the top of the "
                           "built-in mlops.yaml)")
            errors.append(SchemaError(name, _line_of(raw, loc), _field_path(loc), message))
        raise QuestionnaireError(errors) from None
    errors = _referential_errors(raw, q, name)
    if errors:
        raise QuestionnaireError(errors)
    return q


def combine(parts: Sequence[Questionnaire]) -> Questionnaire:
    """Merge questionnaires (e.g. one per layer) into the single one an assessment is taken on.

    Dimensions are matched by id; the first file's definition wins.
    """
    if len(parts) == 1:
        return parts[0]
    if not parts:
        raise ValueError("choose at least one questionnaire")
    dims: dict[str, Dimension] = {}
    for part in parts:
        for d in part.ordered_dimensions:
            dims.setdefault(d.id, d)
    overall = "weakest_link" if any(p.scoring.overall == "weakest_link" for p in parts) else "mean"
    return Questionnaire(
        id="+".join(p.id for p in parts),
        title=" + ".join(layer.name for p in parts for layer in p.layers) + " maturity questionnaire",
        version=(parts[0].version if len({p.version for p in parts}) == 1
                 else ", ".join(f"{p.id} {p.version}" for p in parts)),
        license=", ".join(sorted({p.license for p in parts})),
        description=" ".join(p.description for p in parts if p.description),
        order=min(p.order for p in parts),
        scoring=Scoring(overall=overall),
        layers=[layer for p in parts for layer in p.layers],
        dimensions=list(dims.values()),
        questions=[q for p in parts for q in p.questions],
    )


def from_snapshot(snapshot: str) -> Questionnaire:
    """Rebuild the questionnaire an assessment was taken with from its stored JSON."""
    return Questionnaire.model_validate_json(snapshot)


def to_snapshot(q: Questionnaire) -> str:
    return q.model_dump_json()


# --- level names (assessment/questionnaires/levels.yaml) -------------------------------------------


class LevelName(_Strict):
    level: int = Field(ge=0, le=MAX_LEVEL)
    name: str = Field(min_length=1)
    meaning: str = Field(min_length=1)


class LevelNames(_Strict):
    kind: Literal["levels"]
    levels: list[LevelName] = Field(min_length=LEVEL_COUNT, max_length=LEVEL_COUNT)

    def name(self, score: float | None) -> str:
        """Name of the level a score has reached (2.7 has reached level 2).

        Judged on the score as displayed, to one decimal, so "2.0" never reads as level 1.
        """
        if score is None or score != score:  # NaN
            return "Not scored"
        return self.levels[max(0, min(MAX_LEVEL, int(round(score, 1) + 1e-9)))].name


def parse_level_names(text: str, name: str) -> LevelNames:
    """Validate the level names' YAML text (`assessment/questionnaires/levels.yaml`)."""
    return LevelNames.model_validate(parse_yaml(text, name))
