"""Actions: the roadmap's improvement items with an owner, a due date, a status and a ticket, one row per
question someone edited, and a history row with the new state for every change (assessment/actions.py
holds the rules; this module stores what they allow).

Actions stay editable on a final assessment: its answers are frozen, the work on its roadmap goes on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from assessment.actions import Action, ActionError, change
from assessment.storage.engine import StoreBase, _aware, _now
from assessment.storage.errors import NotFound, StorageError
from assessment.storage.schema import action_history, actions, assessments

_SAVE_ATTEMPTS = 5
_UNSET: Any = object()


def action_record(r: Any) -> Action:
    return Action(question_id=r.question_id, owner=r.owner, due=r.due, status=r.status, reason=r.reason,
                  ticket=r.ticket, updated_by=r.updated_by, updated_at=_aware(r.updated_at))


def insert_actions(conn: Connection, assessment_id: int, rows: list[Action],
                   history: list[dict[str, Any]] | None = None) -> None:
    """Store actions (and their history rows) as they are: a copy, an import or a restore."""
    now = _now()
    if rows:
        conn.execute(actions.insert(), [
            {"assessment_id": assessment_id, "question_id": a.question_id, **a.fields(),
             "updated_by": a.updated_by, "updated_at": a.updated_at or now} for a in rows])
    if history:
        conn.execute(action_history.insert(), [{"assessment_id": assessment_id, **h} for h in history])


class Actions(StoreBase):
    """Actions on an assessment's roadmap and their history."""

    def actions(self, assessment_id: int) -> dict[str, Action]:
        """The stored actions of an assessment, by question id (roadmap questions not here: the default)."""
        with self._read() as conn:
            rows = conn.execute(select(actions).where(actions.c.assessment_id == assessment_id)
                                .order_by(actions.c.question_id))
            return {r.question_id: action_record(r) for r in rows}

    def set_action(
        self, assessment_id: int, question_id: str, *, owner: str | None = None, due: dt.date | None = _UNSET,
        status: str | None = None, reason: str | None = None, ticket: str | None = None, changed_by: str = "",
    ) -> Action:
        """Change one question's action (None or unset: unchanged; `due=None`: back to the phase's date), with a
        history row when anything changed. A change the rules refuse raises StorageError naming the field."""
        for attempt in range(_SAVE_ATTEMPTS):
            try:
                return self._set_action_once(assessment_id, question_id, changed_by, owner=owner, due=due,
                                             status=status, reason=reason, ticket=ticket)
            except IntegrityError:
                # Two first edits of the same action at once: the loser reads the winner's row and applies
                # its change on top.
                if attempt == _SAVE_ATTEMPTS - 1:
                    raise StorageError(f"the action on {question_id} is being changed by too many people at "
                                       "once; try again") from None
        raise AssertionError("unreachable")

    def _set_action_once(self, assessment_id: int, question_id: str, changed_by: str,
                         **changes: Any) -> Action:
        now = _now()
        with self._write() as conn:
            head = conn.execute(select(assessments.c.questionnaire_hash)
                                .where(assessments.c.id == assessment_id)).first()
            if head is None:
                raise NotFound(f"no assessment with id {assessment_id}")
            if question_id not in self._question_ids(conn, assessment_id, head.questionnaire_hash):
                raise StorageError(f"question {question_id!r} is not in this assessment's questionnaire")
            # FOR UPDATE (PostgreSQL; SQLite's write transaction holds its lock from BEGIN): two people changing
            # different fields of one action at once both keep their change, nobody writes back a stale field.
            row = conn.execute(select(actions).where(actions.c.assessment_id == assessment_id,
                                                     actions.c.question_id == question_id)
                               .with_for_update()).first()
            old = action_record(row) if row is not None else Action(question_id)
            if changes["due"] is _UNSET:
                del changes["due"]
            try:
                new = change(old, by=changed_by, at=now, **changes)
            except ActionError as exc:
                raise StorageError(str(exc)) from None
            if row is not None and new.fields() == old.fields():
                return old
            values = {**new.fields(), "updated_by": changed_by, "updated_at": now}
            if row is None:
                conn.execute(actions.insert().values(assessment_id=assessment_id, question_id=question_id,
                                                     **values))
            else:
                conn.execute(actions.update().where(actions.c.id == row.id).values(**values))
            conn.execute(action_history.insert().values(
                assessment_id=assessment_id, question_id=question_id, **new.fields(), changed_by=changed_by,
                changed_at=now))
            return new

    def action_history(self, assessment_id: int, question_id: str | None = None) -> list[dict[str, Any]]:
        """Every change of an assessment's actions (or one question's), oldest first: the new state, who, when."""
        query = select(action_history).where(action_history.c.assessment_id == assessment_id)
        if question_id is not None:
            query = query.where(action_history.c.question_id == question_id)
        with self._read() as conn:
            rows = conn.execute(query.order_by(action_history.c.id))
            return [{k: v for k, v in r._mapping.items() if k not in ("id", "assessment_id")} for r in rows]
