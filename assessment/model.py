"""The plain values every layer shares: an assessment, its answers, its status, and one level check.

Storage returns these, the exchange formats parse into them, and the analysis, the report, the CLI and
the pages read them. They are frozen dataclasses with no I/O: a page, a test or a benchmark can build
one by hand (`Assessment.from_values`) without a database.

Rules that used to be written in several places live here once:
- an answer *counts* (is scored and counted as done) when it has a level or is N/A (`Answer.counts`);
- an answer's short label is "level 2", "N/A" or "unanswered" (`Answer.label`);
- a level is a whole number 0–4, and `True` is not a number (`check_level`, `is_level`);
- an assessment is a draft (editable) or final (read-only) (`STATUSES`, `check_status`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from assessment.actions import Action
from assessment.questionnaire import MAX_LEVEL, Questionnaire, from_snapshot, to_snapshot
from assessment.workshop import Vote

Status = Literal["draft", "final"]
STATUSES: tuple[Status, ...] = ("draft", "final")
Cell = tuple[str, str]  # (layer id, dimension id)
Values = Mapping[str, int | None]  # question id → level, or None for N/A: what scoring takes


def is_level(value: Any) -> bool:
    """True for a whole number 0–4 given as an int (bool is refused: `True` is not level 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_LEVEL


def check_level(value: Any, what: str = "level") -> int:
    """The level, or ValueError naming `what` (a field, a cell) when it is not a whole number 0–4."""
    if not is_level(value):
        raise ValueError(f"{what} must be a whole number 0–{MAX_LEVEL}, got {value!r}")
    return value


def check_status(value: Any) -> Status:
    """The status, or ValueError when it is neither draft nor final."""
    if value in STATUSES:
        return value
    raise ValueError(f"status must be draft or final, not {value!r}")


@dataclass(frozen=True)
class Answer:
    """One question's answer: a level, N/A, or neither (unanswered), with its note and evidence link."""

    question_id: str
    level: int | None
    na: bool
    note: str = ""
    evidence_url: str = ""
    answered_by: str = ""
    updated_at: dt.datetime | None = None
    version: int = 1

    @property
    def counts(self) -> bool:
        """Scored and counted as done: it has a level or is N/A."""
        return self.na or self.level is not None

    @property
    def label(self) -> str:
        return "N/A" if self.na else ("unanswered" if self.level is None else f"level {self.level}")

    @property
    def value(self) -> int | None:
        """Scoring value: the level, or None for N/A."""
        return None if self.na else self.level


def scoring_values(answers: Mapping[str, Answer]) -> dict[str, int | None]:
    """Answers as scoring takes them: level, or None for N/A; answers that do not count left out."""
    return {qid: a.value for qid, a in answers.items() if a.counts}


@dataclass(frozen=True)
class AssessmentDetails:
    """An assessment's details, as the list of assessments shows them (no answers)."""

    id: int
    name: str
    department: str
    organisation: str
    questionnaire_id: str
    questionnaire_version: str
    questionnaire_hash: str
    assessed_on: dt.date
    status: Status
    facilitator: str
    created_at: dt.datetime | None
    snapshot: str = field(repr=False, compare=False)
    previous_id: int | None = None  # the assessment it re-assesses (duplicated from), if any
    business_unit: str = ""  # its department's business unit ("" = none), as stored now

    @cached_property
    def questionnaire(self) -> Questionnaire:
        """The questionnaire it was taken with, parsed once from its stored snapshot."""
        return from_snapshot(self.snapshot)

    @property
    def is_final(self) -> bool:
        return self.status == "final"

    @property
    def label(self) -> str:
        """How a picker names it: department, date and id."""
        return f"{self.department} · {self.assessed_on} · #{self.id}"

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "department": self.department,
            "organisation": self.organisation, "date": self.assessed_on.isoformat(),
            "status": self.status, "facilitator": self.facilitator,
            "questionnaire": self.questionnaire_id, "questionnaire_version": self.questionnaire_version,
        }


def _detail(name: str) -> Any:
    """A read-only attribute of `Assessment` that is its details' attribute of that name."""
    return property(lambda self: getattr(self.details, name), doc=f"The details' {name}.")


@dataclass(frozen=True)
class Assessment:
    """One assessment whole: its details, its questionnaire (parsed once), answers, stored targets and
    workshop votes. `store.load(id)` returns one; every screen reads it."""

    details: AssessmentDetails
    questionnaire: Questionnaire
    answers: Mapping[str, Answer] = field(default_factory=dict)
    # only the cells set for this assessment; `analysis.effective_targets` fills in the rest
    targets: Mapping[Cell, int] = field(default_factory=dict)
    votes: Mapping[str, tuple[Vote, ...]] = field(default_factory=dict)  # question id → workshop votes
    actions: Mapping[str, Action] = field(default_factory=dict)  # question id → stored action (actions.py)

    # What the details say, read from the assessment itself: `assessment.department`.
    id = _detail("id")
    name = _detail("name")
    department = _detail("department")
    organisation = _detail("organisation")
    business_unit = _detail("business_unit")
    assessed_on = _detail("assessed_on")
    status = _detail("status")
    is_final = _detail("is_final")
    facilitator = _detail("facilitator")

    @cached_property
    def values(self) -> dict[str, int | None]:
        """The answers as scoring takes them (`scoring_values`)."""
        return scoring_values(self.answers)

    @classmethod
    def from_values(
        cls, id: int, department: str, assessed_on: dt.date, questionnaire: Questionnaire, values: Values,
        name: str = "", *, organisation: str = "", targets: Mapping[Cell, int] | None = None,
        actions: Mapping[str, Action] | None = None, business_unit: str = "",
    ) -> Assessment:
        """An assessment built by hand from scoring values (level, or None for N/A): for tests and benchmarks."""
        details = AssessmentDetails(
            id=id, name=name, department=department, organisation=organisation,
            questionnaire_id=questionnaire.id, questionnaire_version=questionnaire.version,
            questionnaire_hash=questionnaire.content_hash(), assessed_on=assessed_on, status="draft",
            facilitator="", created_at=None, snapshot=to_snapshot(questionnaire), business_unit=business_unit,
        )
        answers = {qid: Answer(qid, level, level is None) for qid, level in values.items()}
        return cls(details, questionnaire, answers, dict(targets or {}), actions=dict(actions or {}))


@dataclass(frozen=True)
class AssessmentDump:
    """One assessment with everything a backup keeps of it: the assessment, its answer and action history."""

    assessment: Assessment
    history: list[dict[str, Any]]
    action_history: list[dict[str, Any]] = field(default_factory=list)
