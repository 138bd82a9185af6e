"""Actions: the roadmap's improvement items as work a team tracks, and what the next assessment shows of it.

Definitions (the same in the app, the CLI, the exports and the PDF):
- An **Action** covers one question on the roadmap (the roadmap has one item per level step; the action
  is the question's, whatever step it is on). It has an owner, a due date, a status and an optional
  ticket link. Until someone edits it, every roadmap question has a default action: planned, no owner,
  due from its first step's phase. Only edited actions are stored (with a history row per change).
- **Due date** by default: the assessment's date plus 3 months for a question whose first step is in
  Now, 6 for Next, 12 for Later, 18 for the backlog (`DUE_MONTHS`); a day past the month's end is the
  month's last day (31 Jan + 1 month = 28/29 Feb).
- **Status**: planned, in_progress, done or dropped (`STATUSES`). Dropped needs a reason; leaving
  dropped clears it. Allowed changes (`TRANSITIONS`): planned and in progress go anywhere; done can be
  reopened (back to in progress); dropped can be picked up again (back to planned).
- **Overdue**: planned or in progress with a due date before today.
- **Ticket**: an http(s) address only (a javascript: link on a page would run).
- **Follow-through** compares a re-assessment with the assessment before it: for each action, whether
  its question's level moved up, stayed or fell; "done but no movement" flags a done action whose
  question did not go up; "moved without an action" flags a question that went up with no action on it
  (none stored, or dropped).
- **Progress** of an assessment: of its actions that are not dropped, the share done and the share overdue.

Pure: values in, values out; no database, files or Streamlit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from assessment.analysis import Analysis
    from assessment.model import Assessment

ActionStatus = Literal["planned", "in_progress", "done", "dropped"]
STATUSES: tuple[ActionStatus, ...] = ("planned", "in_progress", "done", "dropped")
STATUS_NAMES = {"planned": "Planned", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}
OPEN = ("planned", "in_progress")
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"in_progress", "done", "dropped"}),
    "in_progress": frozenset({"planned", "done", "dropped"}),
    "done": frozenset({"in_progress"}),  # reopened: not done after all
    "dropped": frozenset({"planned"}),  # picked up again
}
DUE_MONTHS = {"now": 3, "next": 6, "later": 12, "backlog": 18}
FIELDS = ("owner", "due", "status", "reason", "ticket")
MAX_OWNER = 200  # the owner column's length
MAX_TEXT = 2000  # reason and ticket
_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


class ActionError(ValueError):
    """A change that cannot be made; `field` names the field at fault (owner, due, status, reason, ticket)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Action:
    """One question's improvement action, as stored (or the default one: planned, no owner)."""

    question_id: str
    owner: str = ""
    due: dt.date | None = None  # None: from the roadmap phase (`default_due`)
    status: ActionStatus = "planned"
    reason: str = ""  # why it was dropped
    ticket: str = ""  # http(s) address of the ticket in the team's tracker
    updated_by: str = ""
    updated_at: dt.datetime | None = field(default=None, compare=False)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    def fields(self) -> dict[str, Any]:
        """The editable fields, as history rows and exports keep them."""
        return {"owner": self.owner, "due": self.due, "status": self.status, "reason": self.reason,
                "ticket": self.ticket}


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months; past the month's end, its last day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_due(assessed_on: dt.date, phase: str) -> dt.date:
    """The due date of an action whose first roadmap step is in `phase` (now, next, later, backlog)."""
    return add_months(assessed_on, DUE_MONTHS.get(phase, DUE_MONTHS["backlog"]))


def check_status(value: Any) -> ActionStatus:
    if value in STATUSES:
        return value
    raise ActionError("status", f"must be one of {', '.join(STATUSES)}, not {value!r}")


def check_ticket(value: str) -> str:
    """An http(s) address (or empty); anything else raises ActionError naming the ticket field."""
    value = value.strip()
    if value and (len(value) > MAX_TEXT or not _URL.fullmatch(value)):
        raise ActionError("ticket", f"must be an http:// or https:// address, not {value[:80]!r}")
    return value


def _text(name: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ActionError(name, f"must be text, not {value!r}")
    value = " ".join(value.split())  # one line: it goes into CSV cells, calendar lines and table cells
    if len(value) > limit:
        raise ActionError(name, f"{len(value):,} characters; the limit is {limit:,}")
    if "\x00" in value:
        raise ActionError(name, "contains a NUL byte")
    return value


def parse_due(value: str) -> dt.date | None:
    """'2027-03-31' → a date; '' → None (the default from the phase)."""
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ActionError("due", f"must be a date like 2027-03-31, not {value[:40]!r}") from None


_UNSET: Any = object()


def change(
    current: Action, *, owner: str | None = None, due: dt.date | None = _UNSET, status: str | None = None,
    reason: str | None = None, ticket: str | None = None, by: str = "", at: dt.datetime | None = None,
) -> Action:
    """`current` with the given fields changed (None or unset: unchanged; `due=None` resets the due date to
    the phase's) by `by` at `at`, checked: a known status reached by an allowed transition, a reason when
    dropped, an http(s) ticket. Raises ActionError naming the first field at fault."""
    new_status = current.status if status is None else check_status(status)
    if new_status != current.status and new_status not in TRANSITIONS[current.status]:
        allowed = ", ".join(s for s in STATUSES if s in TRANSITIONS[current.status])
        raise ActionError("status", f"cannot go from {current.status} to {new_status} (from {current.status}: "
                                    f"{allowed})")
    new_reason = current.reason if reason is None else _text("reason", reason, MAX_TEXT)
    if new_status == "dropped" and not new_reason:
        raise ActionError("reason", "a dropped action needs a reason (reason=…)")
    if new_status != "dropped":
        if reason and new_reason:
            raise ActionError("reason", f"only a dropped action has a reason; this one is {new_status}")
        new_reason = ""  # leaving dropped clears it
    if due is not _UNSET and due is not None and not isinstance(due, dt.date):
        raise ActionError("due", f"must be a date, not {due!r}")
    return replace(
        current,
        owner=current.owner if owner is None else _text("owner", owner, MAX_OWNER),
        due=current.due if due is _UNSET else due,
        status=new_status, reason=new_reason,
        ticket=current.ticket if ticket is None else check_ticket(_text("ticket", ticket, MAX_TEXT)),
        updated_by=by, updated_at=at or current.updated_at,
    )


def parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    """`owner=Ada due=2027-03-31 status=done reason=… ticket=https://…` (the CLI's words) → keyword arguments
    for `change`. `due=` (empty) resets the due date to the phase's. ActionError names the bad field."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lower()
        if not sep or name not in FIELDS:
            raise ActionError(name or pair, f"expected one of {', '.join(f + '=…' for f in FIELDS)}, got {pair!r}")
        if name in out:
            raise ActionError(name, "given twice")
        if name == "status":  # "In progress", "in-progress" and "in_progress" alike
            value = "_".join(value.strip().lower().replace("-", " ").split())
        out[name] = parse_due(value) if name == "due" else value.strip()
    if not out:
        raise ActionError("owner", f"nothing to set; give one or more of {', '.join(f + '=…' for f in FIELDS)}")
    return out


def describe(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> str:
    """What one history row changed, in words: 'status planned → done; owner '' → 'Ada''."""
    if before is None:
        parts = [f"{k} {_shown(after[k])}" for k in FIELDS if after.get(k) not in (None, "", "planned")]
        return "set " + ", ".join(parts) if parts else "created"
    parts = [f"{k} {_shown(before.get(k))} → {_shown(after.get(k))}" for k in FIELDS
             if before.get(k) != after.get(k)]
    return "; ".join(parts) or "no change"


def _shown(value: Any) -> str:
    if value is None:
        return "(from phase)"
    return value.isoformat() if isinstance(value, dt.date) else repr(value) if value == "" else str(value)


# --- the plan: every roadmap question's action ------------------------------------------------


@dataclass(frozen=True)
class PlannedAction:
    """An action with what it is about: its question, first roadmap step, effective due date."""

    action: Action
    question: str
    layer_name: str
    dimension_name: str
    level: int | None  # the question's level now (None: N/A or unanswered)
    target: int | None
    recommendation: str  # the first step's recommendation
    why: str  # the first step's reason
    phase: str  # the first step's phase; "" when the question is no longer on the roadmap
    due: dt.date | None  # the stored due date, else the phase's
    overdue: bool
    stored: bool  # edited at least once (else the default action)

    @property
    def question_id(self) -> str:
        return self.action.question_id

    @property
    def status(self) -> str:
        return self.action.status

    def as_dict(self) -> dict[str, Any]:
        a = self.action
        return {"question_id": a.question_id, "question": self.question, "layer": self.layer_name,
                "dimension": self.dimension_name, "level": self.level, "target": self.target,
                "recommendation": self.recommendation, "why": self.why, "phase": self.phase,
                "owner": a.owner, "due": self.due.isoformat() if self.due else None,
                "due_from_phase": a.due is None, "status": a.status, "reason": a.reason, "ticket": a.ticket,
                "overdue": self.overdue, "stored": self.stored}


def action_plan(analysis: Analysis, today: dt.date) -> list[PlannedAction]:
    """One action per roadmap question (its stored one, else the default), in roadmap order; then stored
    actions whose question has left the roadmap (reached its target, say), in questionnaire order."""
    assessment = analysis.assessment
    stored: Mapping[str, Action] = assessment.actions
    q = analysis.questionnaire
    layers, dims = analysis.layer_names(), analysis.dimension_names()
    out: list[PlannedAction] = []
    seen: set[str] = set()
    for item in analysis.roadmap.items:
        if item.question_id in seen:
            continue
        seen.add(item.question_id)
        action = stored.get(item.question_id) or Action(item.question_id)
        due = action.due or default_due(assessment.assessed_on, item.phase)
        out.append(PlannedAction(
            action, item.question, item.layer_name, item.dimension_name, item.from_level, item.target,
            item.recommendation, item.reason, item.phase, due, action.is_open and due < today,
            item.question_id in stored))
    for question in q.questions:
        action = stored.get(question.id)
        if action is None or question.id in seen:
            continue
        answer = assessment.answers.get(question.id)
        level = answer.level if answer is not None and not answer.na else None
        out.append(PlannedAction(
            action, question.text, layers.get(question.layer, question.layer),
            dims.get(question.dimension, question.dimension), level, analysis.targets.get(
                (question.layer, question.dimension)), "", "", "", action.due,
            action.is_open and action.due is not None and action.due < today, True))
    return out


@dataclass(frozen=True)
class Progress:
    """How far an assessment's actions have got: counts, and shares of those not dropped."""

    actions: int
    done: int
    in_progress: int
    overdue: int
    dropped: int

    @property
    def counted(self) -> int:
        return self.actions - self.dropped

    @property
    def share_done(self) -> float | None:
        return self.done / self.counted if self.counted else None

    @property
    def share_overdue(self) -> float | None:
        return self.overdue / self.counted if self.counted else None

    def as_dict(self) -> dict[str, Any]:
        return {"actions": self.actions, "done": self.done, "in_progress": self.in_progress,
                "overdue": self.overdue, "dropped": self.dropped, "share_done": self.share_done,
                "share_overdue": self.share_overdue}


def progress(plan: Sequence[PlannedAction]) -> Progress:
    statuses = [p.status for p in plan]
    return Progress(len(plan), statuses.count("done"), statuses.count("in_progress"),
                    sum(p.overdue for p in plan), statuses.count("dropped"))


def department_progress(assessments: Sequence[Assessment], today: dt.date) -> list[dict[str, Any]]:
    """Per assessment (one per department in a comparison): its department and its actions' `Progress`."""
    from assessment.analysis import analyse  # analysis imports model, which imports this module

    return [{"department": a.department, "assessment": a.name, "assessed_on": a.assessed_on,
             "progress": progress(action_plan(analyse(a), today))} for a in assessments]


# --- follow-through: the next assessment against the last ----------------------------------------

Movement = Literal["up", "same", "down", "unknown"]
MOVEMENT_NAMES = {"up": "moved up", "same": "stayed", "down": "fell", "unknown": "not comparable"}


def _level(assessment: Assessment, question_id: str) -> int | None:
    answer = assessment.answers.get(question_id)
    return answer.level if answer is not None and not answer.na else None


def movement(before: int | None, after: int | None) -> Movement:
    if before is None or after is None:
        return "unknown"
    return "up" if after > before else "down" if after < before else "same"


@dataclass(frozen=True)
class ActionMovement:
    """One action of the last assessment, and what became of its question."""

    action: Action
    question: str
    before: int | None
    after: int | None
    movement: Movement
    done_without_movement: bool  # done, but the question did not go up


@dataclass(frozen=True)
class FollowThrough:
    """A re-assessment against the assessment before it."""

    before: Assessment
    after: Assessment
    actions: list[ActionMovement]
    moved_without_action: list[tuple[str, str, int, int]]  # (question id, text, before, after)

    @property
    def done_without_movement(self) -> list[ActionMovement]:
        return [m for m in self.actions if m.done_without_movement]

    def counts(self) -> dict[str, int]:
        found = [m.movement for m in self.actions]
        return {k: found.count(k) for k in MOVEMENT_NAMES}

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.id, "after": self.after.id,
            "actions": [{"question_id": m.action.question_id, "question": m.question, "status": m.action.status,
                         "owner": m.action.owner, "before": m.before, "after": m.after, "movement": m.movement,
                         "done_without_movement": m.done_without_movement} for m in self.actions],
            "moved_without_action": [{"question_id": qid, "question": text, "before": b, "after": a}
                                     for qid, text, b, a in self.moved_without_action],
        }


def follow_through(before: Assessment, after: Assessment,
                   actions: Mapping[str, Action] | None = None) -> FollowThrough:
    """Per action (by default the ones carried into `after`, else `before`'s stored ones), whether its
    question moved up, stayed or fell between the two; and the questions that moved up without one."""
    if actions is None:
        actions = after.actions or before.actions
    texts = {x.id: x.text for x in after.questionnaire.questions}
    texts = {**{x.id: x.text for x in before.questionnaire.questions}, **texts}
    rows = []
    for qid in [x.id for x in after.questionnaire.questions if x.id in actions] + \
            sorted(set(actions) - {x.id for x in after.questionnaire.questions}):
        action = actions[qid]
        b, a = _level(before, qid), _level(after, qid)
        moved = movement(b, a)
        rows.append(ActionMovement(action, texts.get(qid, qid), b, a, moved,
                                   action.status == "done" and moved in ("same", "down")))
    taken = {qid for qid, a in actions.items() if a.status != "dropped"}
    unowned = []
    for question in after.questionnaire.questions:
        b, a = _level(before, question.id), _level(after, question.id)
        if question.id not in taken and movement(b, a) == "up":
            unowned.append((question.id, question.text, b, a))
    return FollowThrough(before, after, rows, unowned)
