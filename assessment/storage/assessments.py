"""Assessments: organisations and departments, creating, importing and restoring assessments, their
answers (saved one at a time, with optimistic concurrency), targets and history, and reading them whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from assessment.actions import Action
from assessment.model import Answer, Assessment, AssessmentDetails, AssessmentDump, check_level, check_status
from assessment.questionnaire import Questionnaire, from_snapshot, to_snapshot
from assessment.storage.actions import action_record, insert_actions
from assessment.storage.backup import Restored, keep_json
from assessment.storage.engine import StoreBase, _now
from assessment.storage.errors import Conflict, NotFound, ReadOnly, StorageError
from assessment.storage.schema import (
    DEFAULT_ORGANISATION,
    action_history,
    actions,
    answer_history,
    answers,
    assessments,
    departments,
    organisations,
    targets,
    votes,
    workshops,
)
from assessment.workshop import Vote

if TYPE_CHECKING:
    from assessment.exchange import ImportedAssessment


# save_answer's statements, built once: executing the same statement objects with parameters skips
# most of SQLAlchemy's per-call work, and the head query fetches the assessment and the answer together.
_ANSWER_HEAD = (
    select(assessments.c.status, assessments.c.questionnaire_hash, answers.c.id, answers.c.level, answers.c.na,
           answers.c.note, answers.c.evidence_url, answers.c.answered_by, answers.c.updated_at,
           answers.c.version)
    .select_from(assessments.outerjoin(answers, (answers.c.assessment_id == assessments.c.id)
                                       & (answers.c.question_id == bindparam("question_id"))))
    .where(assessments.c.id == bindparam("assessment_id"))
)
_INSERT_ANSWER = answers.insert()
# Optimistic: the row is only updated if nobody changed it since it was read (0 rows → retry).
_UPDATE_ANSWER = (
    answers.update()
    .where(answers.c.id == bindparam("answer_id"), answers.c.version == bindparam("read_version"))
    .values(version=answers.c.version + 1)
)
_INSERT_HISTORY = answer_history.insert()
_SAVE_ATTEMPTS = 30


class _Raced(Exception):
    """Another writer changed the answer between our read and our write: read again."""


class Assessments(StoreBase):
    """Assessments, their answers and targets; `load` / `load_many` read them whole."""

    # --- organisations and departments ---

    def _organisation_id(self, conn: Connection, name: str) -> int:
        found = conn.scalar(select(organisations.c.id).where(organisations.c.name == name))
        if found is not None:
            return found
        return conn.execute(organisations.insert().values(name=name)).inserted_primary_key[0]

    def _department_id(self, conn: Connection, organisation: str, name: str) -> int:
        org_id = self._organisation_id(conn, organisation)
        found = conn.scalar(
            select(departments.c.id).where(departments.c.organisation_id == org_id, departments.c.name == name)
        )
        if found is not None:
            return found
        return conn.execute(
            departments.insert().values(organisation_id=org_id, name=name)
        ).inserted_primary_key[0]

    def departments(self) -> list[str]:
        with self._read() as conn:
            return list(conn.scalars(select(departments.c.name).order_by(departments.c.name)))

    # --- assessments ---

    def create_assessment(
        self,
        name: str,
        department: str,
        questionnaire: Questionnaire,
        *,
        organisation: str = DEFAULT_ORGANISATION,
        facilitator: str = "",
        assessed_on: dt.date | None = None,
        target_levels: dict[tuple[str, str], int] | None = None,
    ) -> int:
        """A new draft; with `target_levels` (layer, dimension) → level, its targets too, in one transaction."""
        name, department = name.strip(), department.strip()
        if not name:
            raise StorageError("an assessment needs a name")
        if not department:
            raise StorageError("an assessment needs a department")
        _check_targets(questionnaire, target_levels or {})
        with self._write() as conn:
            new_id = self._insert_assessment(
                conn, name, department, questionnaire, organisation=organisation,
                facilitator=facilitator, assessed_on=assessed_on or dt.date.today(), status="draft",
            )
            _insert_targets(conn, new_id, target_levels or {})
            return new_id

    def _insert_assessment(
        self, conn: Connection, name: str, department: str, questionnaire: Questionnaire, *,
        organisation: str, facilitator: str, assessed_on: dt.date, status: str, assessment_id: int | None = None,
        previous_id: int | None = None,
    ) -> int:
        dep_id = self._department_id(conn, organisation.strip() or DEFAULT_ORGANISATION, department)
        given = {} if assessment_id is None else {"id": assessment_id}
        return conn.execute(
            assessments.insert().values(
                **given, name=name, department_id=dep_id, questionnaire_id=questionnaire.id,
                questionnaire_version=questionnaire.version,
                questionnaire_hash=questionnaire.content_hash(),
                questionnaire_snapshot=to_snapshot(questionnaire),
                assessed_on=assessed_on, status=status,
                facilitator=facilitator.strip(), created_at=_now(), previous_id=previous_id,
            )
        ).inserted_primary_key[0]

    def import_assessment(
        self, name: str, department: str, questionnaire: Questionnaire, answer_rows: list[Answer], *,
        organisation: str = DEFAULT_ORGANISATION, facilitator: str = "",
        assessed_on: dt.date | None = None, status: str = "draft",
        targets: dict[tuple[str, str], int] | None = None, history: list[dict[str, Any]] | None = None,
    ) -> int:
        """Create an assessment with all its answers (targets, history) in one transaction: all or nothing."""
        with self._write() as conn:
            return self._import_one(
                conn, name, department, questionnaire, answer_rows, organisation=organisation,
                facilitator=facilitator, assessed_on=assessed_on or dt.date.today(), status=status,
                target_levels=targets or {}, history=history or [],
            )

    def _import_one(
        self, conn: Connection, name: str, department: str, questionnaire: Questionnaire,
        answer_rows: list[Answer], *, organisation: str, facilitator: str, assessed_on: dt.date,
        status: str, target_levels: dict[tuple[str, str], int], history: list[dict[str, Any]],
        assessment_id: int | None = None, imported: ImportedAssessment | None = None,
    ) -> int:
        now = _now()
        new_id = self._insert_assessment(
            conn, name, department, questionnaire, organisation=organisation, facilitator=facilitator,
            assessed_on=assessed_on, status=status, assessment_id=assessment_id,
            # which assessment it re-assesses is only known under the old ids, so only a restore keeps it
            previous_id=imported.previous_id if imported is not None and assessment_id is not None else None,
        )
        if answer_rows:
            conn.execute(answers.insert(), [
                {"assessment_id": new_id, "question_id": a.question_id, "level": a.level, "na": a.na,
                 "note": a.note, "evidence_url": a.evidence_url, "answered_by": a.answered_by,
                 "updated_at": a.updated_at or now, "version": 1}
                for a in answer_rows
            ])
        _insert_targets(conn, new_id, target_levels)
        if history:
            conn.execute(answer_history.insert(), [{"assessment_id": new_id, **h} for h in history])
        if imported is not None:
            insert_actions(conn, new_id, list(imported.actions), imported.action_history)
        if imported is not None and assessment_id is not None and imported.business_unit:
            # a restore brings its department's business unit back (an import leaves the department's as it is)
            conn.execute(departments.update()
                         .where(departments.c.id == select(assessments.c.department_id)
                                .where(assessments.c.id == new_id).scalar_subquery())
                         .values(business_unit=imported.business_unit))
        return new_id

    def add_imported(self, data: ImportedAssessment) -> int:
        """Store a validated import file as a new assessment (one transaction); the new id."""
        with self._write() as conn:
            return self._import_one(
                conn, data.name, data.department, data.questionnaire, data.answers,
                organisation=data.organisation or DEFAULT_ORGANISATION, facilitator=data.facilitator,
                assessed_on=data.assessed_on, status=data.status, target_levels=data.targets,
                history=data.history, imported=data,
            )

    def restore(self, items: list[ImportedAssessment], *, replace: bool = False) -> Restored:
        """Bring back a JSON backup in one transaction: every assessment under its old id, or nothing.

        Refuses a database that already holds assessments unless `replace`, which first keeps them as a
        JSON backup in `backups/` (see `Restored.kept`), then deletes them. Any failure, the database's own
        refusals included, rolls everything back and raises StorageError.
        """
        kept = None
        new_ids: dict[int, int] = {}
        try:
            with self._write() as conn:
                if conn.dialect.name == "postgresql":
                    # Nobody writes between the backup kept below and the replacement (reads go on).
                    conn.exec_driver_sql("LOCK TABLE organisations, departments, assessments, answers, "
                                         "answer_history, targets, actions, action_history IN EXCLUSIVE MODE")
                held = conn.scalar(select(func.count()).select_from(assessments)) or 0
                if held and not replace:
                    raise StorageError(f"the database already holds {held} assessment(s); restore into an "
                                       "empty database, or replace them with --force")
                if held:
                    kept = keep_json(self.engine, self._dump(conn))
                if replace:
                    for table in (action_history, actions, answer_history, answers, targets, assessments,
                                  departments, organisations):
                        conn.execute(table.delete())
                # Old ids first; then PostgreSQL's sequence (which explicit ids do not move) goes past them,
                # and assessments that came without an id get fresh ones.
                for keep_id in (True, False):
                    for i, a in enumerate(items):
                        if (a.id is not None) != keep_id:
                            continue
                        new_ids[i] = self._import_one(
                            conn, a.name, a.department, a.questionnaire, a.answers,
                            organisation=a.organisation or DEFAULT_ORGANISATION, facilitator=a.facilitator,
                            assessed_on=a.assessed_on, status=a.status, target_levels=a.targets,
                            history=a.history, assessment_id=a.id, imported=a,
                        )
                    if keep_id and conn.dialect.name == "postgresql":
                        conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('assessments', 'id'), "
                                             "COALESCE((SELECT MAX(id) FROM assessments), 0) + 1, false)")
        except DBAPIError as exc:
            reason = " ".join(str(exc.orig).split())[:300]
            raise StorageError(f"the database refused the backup, so nothing was restored ({reason})") from None
        return Restored(len(new_ids), kept)

    def _assessment_query(self):  # noqa: ANN202 - a SQLAlchemy Select
        return (
            select(assessments, departments.c.name.label("department"),
                   departments.c.business_unit, organisations.c.name.label("organisation"))
            .join(departments, assessments.c.department_id == departments.c.id)
            .join(organisations, departments.c.organisation_id == organisations.c.id)
        )

    def _record(self, row: Any) -> AssessmentDetails:
        details = AssessmentDetails(
            id=row.id, name=row.name, department=row.department, organisation=row.organisation,
            questionnaire_id=row.questionnaire_id, questionnaire_version=row.questionnaire_version,
            questionnaire_hash=row.questionnaire_hash, assessed_on=row.assessed_on, status=row.status,
            facilitator=row.facilitator, created_at=row.created_at, snapshot=row.questionnaire_snapshot,
            previous_id=row.previous_id, business_unit=row.business_unit,
        )
        # One parse per questionnaire content for the life of the store: assessments taken with the same
        # questionnaire share it (it is never changed after parsing). `questionnaire` is a cached property.
        q = self._questionnaires.get(row.questionnaire_hash)
        if q is None:
            q = self._questionnaires[row.questionnaire_hash] = from_snapshot(row.questionnaire_snapshot)
        vars(details)["questionnaire"] = q
        return details

    def list_assessments(self) -> list[AssessmentDetails]:
        with self._read() as conn:
            rows = conn.execute(
                self._assessment_query().order_by(assessments.c.assessed_on.desc(), assessments.c.id.desc())
            )
            return [self._record(r) for r in rows]

    def get_assessment(self, assessment_id: int) -> AssessmentDetails:
        with self._read() as conn:
            row = conn.execute(self._assessment_query().where(assessments.c.id == assessment_id)).first()
        if row is None:
            raise NotFound(f"no assessment with id {assessment_id}")
        return self._record(row)

    def set_status(self, assessment_id: int, status: str) -> None:
        try:
            check_status(status)
        except ValueError as exc:
            raise StorageError(str(exc)) from None
        with self._write() as conn:
            done = conn.execute(
                assessments.update().where(assessments.c.id == assessment_id).values(status=status)
            ).rowcount
        if not done:
            raise NotFound(f"no assessment with id {assessment_id}")

    def delete_assessment(self, assessment_id: int) -> None:
        with self._write() as conn:
            conn.execute(action_history.delete().where(action_history.c.assessment_id == assessment_id))
            conn.execute(actions.delete().where(actions.c.assessment_id == assessment_id))
            conn.execute(answer_history.delete().where(answer_history.c.assessment_id == assessment_id))
            conn.execute(answers.delete().where(answers.c.assessment_id == assessment_id))
            conn.execute(targets.delete().where(targets.c.assessment_id == assessment_id))
            if not conn.execute(assessments.delete().where(assessments.c.id == assessment_id)).rowcount:
                raise NotFound(f"no assessment with id {assessment_id}")

    def duplicate_assessment(
        self, assessment_id: int, name: str, *, assessed_on: dt.date | None = None, copy_answers: bool = False,
    ) -> int:
        """Re-assess later: a new draft on the same questionnaire snapshot, department, targets and actions,
        which remembers the assessment it re-assesses (`previous_id`, for the follow-through).

        With `copy_answers`, the previous answers (levels, notes, evidence) are the starting point.
        """
        src = self.get_assessment(assessment_id)
        now = _now()
        with self._write() as conn:
            new_id = self._insert_assessment(
                conn, name.strip() or f"{src.name} (copy)", src.department, src.questionnaire,
                organisation=src.organisation, facilitator=src.facilitator,
                assessed_on=assessed_on or dt.date.today(), status="draft", previous_id=assessment_id,
            )
            carried = conn.execute(select(actions).where(actions.c.assessment_id == assessment_id)).all()
            insert_actions(conn, new_id, [action_record(r) for r in carried])
            rows = conn.execute(select(targets).where(targets.c.assessment_id == assessment_id)).all()
            _insert_targets(conn, new_id, {(r.layer, r.dimension): r.level for r in rows})
            if copy_answers:
                old = conn.execute(select(answers).where(answers.c.assessment_id == assessment_id)).all()
                if old:
                    conn.execute(answers.insert(), [
                        {"assessment_id": new_id, "question_id": r.question_id, "level": r.level, "na": r.na,
                         "note": r.note, "evidence_url": r.evidence_url, "answered_by": r.answered_by,
                         "updated_at": now, "version": 1}
                        for r in old
                    ])
        return new_id

    # --- answers ---

    def answers(self, assessment_id: int) -> dict[str, Answer]:
        with self._read() as conn:
            rows = conn.execute(select(answers).where(answers.c.assessment_id == assessment_id))
            return {r.question_id: _answer_record(r) for r in rows}

    # --- targets ---

    def targets(self, assessment_id: int) -> dict[tuple[str, str], int]:
        """Stored target levels: (layer, dimension) → level; cells not stored use the defaults."""
        with self._read() as conn:
            rows = conn.execute(select(targets).where(targets.c.assessment_id == assessment_id))
            return {(r.layer, r.dimension): r.level for r in rows}

    def set_targets(self, assessment_id: int, mapping: dict[tuple[str, str], int]) -> None:
        """Replace all stored targets of an assessment in one transaction (an empty mapping clears them)."""
        with self._write() as conn:
            head = conn.execute(
                select(assessments.c.status, assessments.c.questionnaire_snapshot)
                .where(assessments.c.id == assessment_id)
            ).first()
            if head is None:
                raise NotFound(f"no assessment with id {assessment_id}")
            if head.status == "final":
                raise ReadOnly(f"assessment {assessment_id} is final and read-only; reopen it as a draft first")
            _check_targets(from_snapshot(head.questionnaire_snapshot), mapping)
            conn.execute(targets.delete().where(targets.c.assessment_id == assessment_id))
            _insert_targets(conn, assessment_id, mapping)

    def save_answer(
        self,
        assessment_id: int,
        question_id: str,
        *,
        level: int | None = None,
        na: bool = False,
        note: str | None = None,
        evidence_url: str | None = None,
        answered_by: str = "",
        expected_version: int | None = None,
    ) -> Answer:
        """Save one answer now. `note`/`evidence_url` None keeps the stored value.

        With `expected_version`, a row changed by someone else since that version raises Conflict
        (nothing is written); without it, the last writer wins (CLI, import).
        """
        if level is not None:
            try:
                check_level(level)
            except ValueError as exc:
                raise StorageError(str(exc)) from None
        if na:
            level = None
        for attempt in range(_SAVE_ATTEMPTS):
            try:
                return self._save_answer_once(
                    assessment_id, question_id, level, na, note, evidence_url, answered_by, expected_version
                )
            except (IntegrityError, _Raced):
                # Another writer got in between our read and our write (two first answers, or a change
                # on PostgreSQL; SQLite locks at BEGIN). Read again: with expected_version that read
                # reports the Conflict, without it this save applies on top of theirs.
                if attempt == _SAVE_ATTEMPTS - 1:
                    raise StorageError(f"answer to {question_id} is being changed by too many people "
                                       "at once; try again") from None
        raise AssertionError("unreachable")

    def _save_answer_once(
        self, assessment_id: int, question_id: str, level: int | None, na: bool, note: str | None,
        evidence_url: str | None, answered_by: str, expected_version: int | None,
    ) -> Answer:
        now = _now()
        with self._write() as conn:
            head = conn.execute(_ANSWER_HEAD, {"assessment_id": assessment_id, "question_id": question_id}).first()
            if head is None:
                raise NotFound(f"no assessment with id {assessment_id}")
            if head.status == "final":
                raise ReadOnly(f"assessment {assessment_id} is final and read-only; reopen it as a draft first")
            if question_id not in self._question_ids(conn, assessment_id, head.questionnaire_hash):
                raise StorageError(f"question {question_id!r} is not in this assessment's questionnaire")
            old = head if head.id is not None else None
            if old is not None and expected_version is not None and old.version != expected_version:
                theirs = Answer(question_id, old.level, old.na, old.note, old.evidence_url,
                                old.answered_by, old.updated_at, old.version)
                raise Conflict(question_id, {"level": level, "na": na, "note": note}, theirs)
            values = {"level": level, "na": na, "answered_by": answered_by, "updated_at": now}
            if note is not None:
                values["note"] = note
            if evidence_url is not None:
                values["evidence_url"] = evidence_url
            if old is None:
                values.setdefault("note", "")
                values.setdefault("evidence_url", "")
                conn.execute(_INSERT_ANSWER, {"assessment_id": assessment_id, "question_id": question_id,
                                              "version": 1, **values})
                version = 1
            else:
                version = old.version + 1
                if not conn.execute(_UPDATE_ANSWER, {"answer_id": old.id, "read_version": old.version,
                                                     **values}).rowcount:
                    raise _Raced
            if old is None or (old.level, old.na) != (level, na) or (note is not None and note != old.note):
                conn.execute(_INSERT_HISTORY, {
                    "assessment_id": assessment_id, "question_id": question_id,
                    "old_level": None if old is None else old.level, "old_na": None if old is None else old.na,
                    "new_level": level, "new_na": na, "note": values.get("note", old.note if old else ""),
                    "changed_by": answered_by, "changed_at": now,
                })
        return Answer(
            question_id, level, na,
            values.get("note", old.note if old is not None else ""),
            values.get("evidence_url", old.evidence_url if old is not None else ""),
            answered_by, now, version,
        )

    def load(self, assessment_id: int) -> Assessment:
        """One assessment whole: details, questionnaire, answers, stored targets and workshop votes."""
        return self.load_many([assessment_id])[0]

    def load_many(self, assessment_ids: Sequence[int]) -> list[Assessment]:
        """Assessments whole, in the order asked (an id asked twice comes twice), in five queries
        however many they are.

        A questionnaire snapshot shared by several assessments is parsed once. An id that does not
        exist raises NotFound naming it.
        """
        asked = [int(i) for i in assessment_ids]
        ids = list(dict.fromkeys(asked))
        if not ids:
            return []
        with self._read() as conn:
            rows = {r.id: r for r in conn.execute(self._assessment_query().where(assessments.c.id.in_(ids)))}
            missing = [i for i in ids if i not in rows]
            if missing:
                raise NotFound(f"no assessment with id {missing[0]}")
            found: dict[int, dict[str, Answer]] = {i: {} for i in ids}
            for r in conn.execute(select(answers).where(answers.c.assessment_id.in_(ids))
                                  .order_by(answers.c.assessment_id, answers.c.question_id)):
                found[r.assessment_id][r.question_id] = _answer_record(r)
            goals: dict[int, dict[tuple[str, str], int]] = {i: {} for i in ids}
            for r in conn.execute(select(targets).where(targets.c.assessment_id.in_(ids))):
                goals[r.assessment_id][(r.layer, r.dimension)] = r.level
            cast: dict[int, dict[str, list[Vote]]] = {i: {} for i in ids}
            for r in conn.execute(
                select(workshops.c.assessment_id, votes.c.question_id, votes.c.choice, votes.c.comment)
                .select_from(votes.join(workshops, workshops.c.id == votes.c.workshop_id))
                .where(workshops.c.assessment_id.in_(ids))
                .order_by(votes.c.question_id, votes.c.choice, votes.c.comment)
            ):
                cast[r.assessment_id].setdefault(r.question_id, []).append(Vote(r.question_id, r.choice, r.comment))
            taken: dict[int, dict[str, Action]] = {i: {} for i in ids}
            for r in conn.execute(select(actions).where(actions.c.assessment_id.in_(ids))
                                  .order_by(actions.c.assessment_id, actions.c.question_id)):
                taken[r.assessment_id][r.question_id] = action_record(r)
        whole = {}
        for i in ids:
            details = self._record(rows[i])
            whole[i] = Assessment(details, details.questionnaire, found[i], goals[i],
                                  {qid: tuple(v) for qid, v in cast[i].items()}, taken[i])
        return [whole[i] for i in asked]

    def history(self, assessment_id: int) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                select(answer_history).where(answer_history.c.assessment_id == assessment_id)
                .order_by(answer_history.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def questionnaire_by_hash(self, questionnaire_hash: str) -> Questionnaire | None:
        """The snapshot of a questionnaire some stored assessment was taken with, by content hash."""
        with self._read() as conn:
            snapshot = conn.scalar(select(assessments.c.questionnaire_snapshot)
                                   .where(assessments.c.questionnaire_hash == questionnaire_hash).limit(1))
        return None if snapshot is None else from_snapshot(snapshot)

    def dump(self) -> list[AssessmentDump]:
        """Every assessment with its answers, targets and history, read as of one moment (for a backup)."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():  # SQLite (WAL) reads one snapshot inside a transaction too
                return self._dump(conn)

    def _dump(self, conn: Connection) -> list[AssessmentDump]:
        """`dump` inside a transaction the caller holds."""
        records = [self._record(r) for r in conn.execute(self._assessment_query().order_by(assessments.c.id))]
        found: dict[int, dict[str, Answer]] = {r.id: {} for r in records}
        for r in conn.execute(select(answers).order_by(answers.c.assessment_id, answers.c.question_id)):
            found[r.assessment_id][r.question_id] = _answer_record(r)
        goals: dict[int, dict[tuple[str, str], int]] = {r.id: {} for r in records}
        for r in conn.execute(select(targets)):
            goals[r.assessment_id][(r.layer, r.dimension)] = r.level
        changes: dict[int, list[dict[str, Any]]] = {r.id: [] for r in records}
        for r in conn.execute(select(answer_history).order_by(answer_history.c.id)):
            row = dict(r._mapping)
            del row["id"]
            changes[row.pop("assessment_id")].append(row)
        taken: dict[int, dict[str, Action]] = {r.id: {} for r in records}
        for r in conn.execute(select(actions).order_by(actions.c.assessment_id, actions.c.question_id)):
            taken[r.assessment_id][r.question_id] = action_record(r)
        action_changes: dict[int, list[dict[str, Any]]] = {r.id: [] for r in records}
        for r in conn.execute(select(action_history).order_by(action_history.c.id)):
            row = dict(r._mapping)
            del row["id"]
            action_changes[row.pop("assessment_id")].append(row)
        return [AssessmentDump(Assessment(r, r.questionnaire, found[r.id], goals[r.id], actions=taken[r.id]),
                               changes[r.id], action_changes[r.id])
                for r in records]


def _answer_record(r: Any) -> Answer:
    return Answer(
        question_id=r.question_id, level=r.level, na=r.na, note=r.note, evidence_url=r.evidence_url,
        answered_by=r.answered_by, updated_at=r.updated_at, version=r.version,
    )


def _check_targets(q: Questionnaire, mapping: dict[tuple[str, str], int]) -> None:
    """Every target a whole number 0–4 on a layer × dimension of the questionnaire, else StorageError."""
    layers, dims = {x.id for x in q.layers}, {d.id for d in q.dimensions}
    for (layer, dim), level in mapping.items():
        try:
            check_level(level, f"target of {layer}.{dim}")
        except ValueError as exc:
            raise StorageError(str(exc)) from None
        if layer not in layers or dim not in dims:
            raise StorageError(f"{layer}.{dim} is not a layer.dimension of this assessment's questionnaire")


def _insert_targets(conn: Connection, assessment_id: int, mapping: dict[tuple[str, str], int]) -> None:
    if mapping:
        conn.execute(targets.insert(), [
            {"assessment_id": assessment_id, "layer": layer, "dimension": dim, "level": level}
            for (layer, dim), level in mapping.items()
        ])
