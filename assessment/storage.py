"""Storage: assessments and their answers in SQLite (default) or PostgreSQL (`DATABASE_URL`).

Each answer is one row, saved the moment it is given, with a version counter for optimistic
concurrency and a history row for every change. An assessment keeps a JSON snapshot of the
questionnaire it was taken with, so later edits to the YAML never change old results.
The schema is created and upgraded by Alembic migrations (`assessment/migrations/`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    false,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import ProgrammingError as SAProgrammingError

from assessment.model import Answer, Assessment, AssessmentDetails, AssessmentDump, check_level, check_status
from assessment.questionnaire import Questionnaire, from_snapshot, to_snapshot
from assessment.workshop import Vote

if TYPE_CHECKING:
    from assessment.exchange import ImportedAssessment

metadata = MetaData()

organisations = Table(
    "organisations", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
)

departments = Table(
    "departments", metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("organisation_id", "name", name="uq_department_name"),
)

assessments = Table(
    "assessments", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), nullable=False),
    Column("questionnaire_id", String(200), nullable=False),
    Column("questionnaire_version", String(100), nullable=False),
    Column("questionnaire_hash", String(64), nullable=False),
    Column("questionnaire_snapshot", Text, nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("status", String(20), nullable=False, server_default="draft"),
    Column("facilitator", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

answers = Table(
    "answers", metadata,
    Column("id", Integer, primary_key=True),
    Column("assessment_id", ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(200), nullable=False),
    Column("level", Integer, nullable=True),
    Column("na", Boolean, nullable=False, server_default=false()),
    Column("note", Text, nullable=False, server_default=""),
    Column("evidence_url", Text, nullable=False, server_default=""),
    Column("answered_by", String(200), nullable=False, server_default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    UniqueConstraint("assessment_id", "question_id", name="uq_answer_question"),
)

answer_history = Table(
    "answer_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("assessment_id", ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("question_id", String(200), nullable=False),
    Column("old_level", Integer, nullable=True),
    Column("old_na", Boolean, nullable=True),
    Column("new_level", Integer, nullable=True),
    Column("new_na", Boolean, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("changed_by", String(200), nullable=False, server_default=""),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

targets = Table(
    "targets", metadata,
    Column("assessment_id", ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True),
    Column("layer", String(100), primary_key=True),
    Column("dimension", String(100), primary_key=True),
    Column("level", Integer, nullable=False),
)

# Live workshops (migration 0002): all workshop state is here, none in a server process.
workshops = Table(
    "workshops", metadata,
    Column("id", Integer, primary_key=True),
    Column("assessment_id", ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("status", String(10), nullable=False, server_default="open"),  # open | closed
    Column("current_question", String(200), nullable=True),
    Column("revealed", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
)

participants = Table(
    "participants", metadata,
    Column("id", Integer, primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False, server_default=""),  # "" = anonymous
    Column("joined_at", DateTime(timezone=True), nullable=False),
)

votes = Table(
    "votes", metadata,
    Column("id", Integer, primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False),
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(200), nullable=False),
    Column("choice", String(10), nullable=False),  # "0"–"4", "na", "unknown"
    Column("comment", Text, nullable=False, server_default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("participant_id", "question_id", name="uq_vote_participant_question"),
    Index("ix_votes_workshop_question", "workshop_id", "question_id"),
)

join_attempts = Table(
    "join_attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("client_key", String(200), nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Index("ix_join_attempts_key_time", "client_key", "attempted_at"),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),  # argon2id
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Facilitator logins (migration 0003): the browser keeps a random token in a cookie, the database only
# its SHA-256, so a copy of the database lets nobody log in. Logging out deletes the row.
login_sessions = Table(
    "login_sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

DEFAULT_ORGANISATION = "My organisation"
DEFAULT_LOGIN_HOURS = 12.0  # a workshop day


# --- errors -------------------------------------------------------------------


class StorageError(Exception):
    """A problem the user can act on; its message is one readable sentence."""


class NotFound(StorageError):
    pass


class ReadOnly(StorageError):
    pass


class Conflict(StorageError):
    """Someone else changed the same answer since it was loaded: both values are kept here."""

    def __init__(self, question_id: str, mine: dict[str, Any], theirs: Answer):
        self.question_id, self.mine, self.theirs = question_id, mine, theirs
        super().__init__(
            f"answer to {question_id} was changed by {theirs.answered_by or 'someone else'} "
            f"to {theirs.label} while you were editing it"
        )


# --- engine -----------------------------------------------------------------------


def data_dir() -> Path:
    return Path(os.environ.get("ASSESSMENT_DATA_DIR", "data"))


def normalise_url(url: str) -> str:
    """Accept postgres://, postgresql:// and postgresql+psycopg:// alike (we ship psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(url)
    return f"sqlite:///{data_dir() / 'assessments.db'}"


def _use_wal(cur: Any, wait: float = 10.0) -> None:
    """Switch a SQLite file to WAL (the mode is stored in the file: once per database).

    The switch needs an exclusive lock, and SQLite answers "database is locked" at once, without its
    busy handler, when another connection holds one: servers opening a new file together (one of them
    creating the tables) would fail. They retry for up to `wait` seconds; a file already in WAL skips it.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """One engine per process. SQLite gets WAL, foreign keys and explicit write locks."""
    url = normalise_url(url or database_url())
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy (not pysqlite) start transactions, so writes can take the lock up front.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=10000")
            _use_wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # A write transaction locks at BEGIN: read-then-write can never lose an update.
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@contextmanager
def temporary_schema(url: str, prefix: str = "tmp") -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards; yields a URL whose search_path is that schema.

    For tests and benchmarks that share one server without seeing each other's data.
    """
    import uuid

    from sqlalchemy import text

    url = normalise_url(url)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def login_lifetime() -> dt.timedelta:
    """How long a facilitator login lasts: ASSESSMENT_LOGIN_HOURS, or 12 hours."""
    raw = os.environ.get("ASSESSMENT_LOGIN_HOURS", "")
    try:
        hours = float(raw) if raw.strip() else DEFAULT_LOGIN_HOURS
    except ValueError:
        raise StorageError(f"ASSESSMENT_LOGIN_HOURS must be a number of hours, not {raw!r}") from None
    if not 0 < hours <= 24 * 366:
        raise StorageError(f"ASSESSMENT_LOGIN_HOURS must be more than 0 and at most a year, not {raw!r}")
    return dt.timedelta(hours=hours)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


# --- live workshops: records, errors and statements ---------------------------------------


class VotingClosed(StorageError):
    """The vote cannot be taken: the workshop closed, the votes were revealed or the question moved on."""


class RateLimited(StorageError):
    """Too many failed join attempts from one client: wait `retry_after` seconds."""

    def __init__(self, retry_after: float):
        self.retry_after = retry_after
        super().__init__(f"too many join attempts; try again in {max(1, round(retry_after))} seconds")


@dataclass(frozen=True)
class WorkshopRecord:
    id: int
    assessment_id: int
    code: str
    status: str
    current_question: str | None
    revealed: bool
    created_at: dt.datetime
    closed_at: dt.datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class ParticipantRecord:
    id: int
    workshop_id: int
    name: str  # "" for anonymous
    token: str = field(repr=False)


def _workshop_record(r: Any) -> WorkshopRecord:
    return WorkshopRecord(r.id, r.assessment_id, r.code, r.status, r.current_question, bool(r.revealed),
                          r.created_at, r.closed_at)


def _aware(t: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


# cast_vote's read: the participant and their workshop's state. FOR SHARE (PostgreSQL) makes a vote
# wait for a concurrent reveal's commit and then see it, so no vote lands after the reveal.
_VOTER = (
    select(participants.c.id, participants.c.workshop_id, workshops.c.status, workshops.c.current_question,
           workshops.c.revealed)
    .select_from(participants.join(workshops, workshops.c.id == participants.c.workshop_id))
    .where(participants.c.token == bindparam("token"))
    .with_for_update(read=True, of=workshops)
)


def _vote_upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (participant, question) DO UPDATE: a double submit stays one vote."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(votes)
    return stmt.on_conflict_do_update(
        index_elements=[votes.c.participant_id, votes.c.question_id],
        set_={"choice": stmt.excluded.choice, "comment": stmt.excluded.comment,
              "updated_at": stmt.excluded.updated_at},
    )


class Store:
    """The storage shell: every read and write of assessments goes through here."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._question_ids_by_hash: dict[str, frozenset[str]] = {}
        self._questionnaires: dict[str, Questionnaire] = {}
        self._vote_upserts: dict[str, Any] = {}

    @classmethod
    def open(cls, url: str | None = None, upgrade: bool = True) -> Store:
        """Connect and bring the schema up to date; unreachable databases raise StorageError."""
        engine = make_engine(url)
        store = cls(engine)
        if upgrade:
            store.upgrade()
        return store

    def upgrade(self) -> None:
        from assessment.migrations import upgrade_to_head

        try:
            upgrade_to_head(self.engine)
        except OperationalError as exc:
            raise StorageError(
                f"cannot open the database {describe_url(str(self.engine.url))}: {exc.orig}".strip()
            ) from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

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
    ) -> int:
        name, department = name.strip(), department.strip()
        if not name:
            raise StorageError("an assessment needs a name")
        if not department:
            raise StorageError("an assessment needs a department")
        with self._write() as conn:
            return self._insert_assessment(
                conn, name, department, questionnaire, organisation=organisation,
                facilitator=facilitator, assessed_on=assessed_on or dt.date.today(), status="draft",
            )

    def _insert_assessment(
        self, conn: Connection, name: str, department: str, questionnaire: Questionnaire, *,
        organisation: str, facilitator: str, assessed_on: dt.date, status: str, assessment_id: int | None = None,
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
                facilitator=facilitator.strip(), created_at=_now(),
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
        assessment_id: int | None = None,
    ) -> int:
        now = _now()
        new_id = self._insert_assessment(
            conn, name, department, questionnaire, organisation=organisation, facilitator=facilitator,
            assessed_on=assessed_on, status=status, assessment_id=assessment_id,
        )
        if answer_rows:
            conn.execute(answers.insert(), [
                {"assessment_id": new_id, "question_id": a.question_id, "level": a.level, "na": a.na,
                 "note": a.note, "evidence_url": a.evidence_url, "answered_by": a.answered_by,
                 "updated_at": a.updated_at or now, "version": 1}
                for a in answer_rows
            ])
        if target_levels:
            conn.execute(targets.insert(), [
                {"assessment_id": new_id, "layer": layer, "dimension": dim, "level": level}
                for (layer, dim), level in target_levels.items()
            ])
        if history:
            conn.execute(answer_history.insert(), [{"assessment_id": new_id, **h} for h in history])
        return new_id

    def add_imported(self, data: ImportedAssessment) -> int:
        """Store a validated import file as a new assessment (one transaction); the new id."""
        return self.import_assessment(
            data.name, data.department, data.questionnaire, data.answers,
            organisation=data.organisation or DEFAULT_ORGANISATION, facilitator=data.facilitator,
            assessed_on=data.assessed_on, status=data.status, targets=data.targets, history=data.history,
        )

    def restore(self, items: list[ImportedAssessment], *, replace: bool = False) -> list[int]:
        """Bring back a JSON backup in one transaction: every assessment under its old id, or nothing.

        Refuses a database that already holds assessments unless `replace`, which deletes them first.
        """
        with self._write() as conn:
            held = conn.scalar(select(func.count()).select_from(assessments)) or 0
            if held and not replace:
                raise StorageError(f"the database already holds {held} assessment(s); restore into an empty "
                                   "database, or replace them with --force")
            if replace:
                for table in (answer_history, answers, targets, assessments, departments, organisations):
                    conn.execute(table.delete())
            new_ids: dict[int, int] = {}
            # Old ids first; then PostgreSQL's sequence (which explicit ids do not move) goes past them,
            # and assessments that came without an id get fresh ones.
            for keep_id in (True, False):
                for i, a in enumerate(items):
                    if (a.id is not None) != keep_id:
                        continue
                    new_ids[i] = self._import_one(
                        conn, a.name, a.department, a.questionnaire, a.answers,
                        organisation=a.organisation or DEFAULT_ORGANISATION, facilitator=a.facilitator,
                        assessed_on=a.assessed_on, status=a.status, target_levels=a.targets, history=a.history,
                        assessment_id=a.id,
                    )
                if keep_id and conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('assessments', 'id'), "
                                         "COALESCE((SELECT MAX(id) FROM assessments), 0) + 1, false)")
            return [new_ids[i] for i in range(len(items))]

    def _assessment_query(self):  # noqa: ANN202 - a SQLAlchemy Select
        return (
            select(assessments, departments.c.name.label("department"),
                   organisations.c.name.label("organisation"))
            .join(departments, assessments.c.department_id == departments.c.id)
            .join(organisations, departments.c.organisation_id == organisations.c.id)
        )

    def _record(self, row: Any) -> AssessmentDetails:
        details = AssessmentDetails(
            id=row.id, name=row.name, department=row.department, organisation=row.organisation,
            questionnaire_id=row.questionnaire_id, questionnaire_version=row.questionnaire_version,
            questionnaire_hash=row.questionnaire_hash, assessed_on=row.assessed_on, status=row.status,
            facilitator=row.facilitator, created_at=row.created_at, snapshot=row.questionnaire_snapshot,
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
            conn.execute(answer_history.delete().where(answer_history.c.assessment_id == assessment_id))
            conn.execute(answers.delete().where(answers.c.assessment_id == assessment_id))
            conn.execute(targets.delete().where(targets.c.assessment_id == assessment_id))
            if not conn.execute(assessments.delete().where(assessments.c.id == assessment_id)).rowcount:
                raise NotFound(f"no assessment with id {assessment_id}")

    def duplicate_assessment(
        self, assessment_id: int, name: str, *, assessed_on: dt.date | None = None, copy_answers: bool = False,
    ) -> int:
        """Re-assess later: a new draft on the same questionnaire snapshot, department and targets.

        With `copy_answers`, the previous answers (levels, notes, evidence) are the starting point.
        """
        src = self.get_assessment(assessment_id)
        now = _now()
        with self._write() as conn:
            new_id = self._insert_assessment(
                conn, name.strip() or f"{src.name} (copy)", src.department, src.questionnaire,
                organisation=src.organisation, facilitator=src.facilitator,
                assessed_on=assessed_on or dt.date.today(), status="draft",
            )
            rows = conn.execute(select(targets).where(targets.c.assessment_id == assessment_id)).all()
            if rows:
                conn.execute(targets.insert(), [
                    {"assessment_id": new_id, "layer": r.layer, "dimension": r.dimension, "level": r.level}
                    for r in rows
                ])
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
        for cell, level in mapping.items():
            try:
                check_level(level, f"target of {'.'.join(cell)}")
            except ValueError as exc:
                raise StorageError(str(exc)) from None
        with self._write() as conn:
            head = conn.execute(
                select(assessments.c.status, assessments.c.questionnaire_snapshot)
                .where(assessments.c.id == assessment_id)
            ).first()
            if head is None:
                raise NotFound(f"no assessment with id {assessment_id}")
            if head.status == "final":
                raise ReadOnly(f"assessment {assessment_id} is final and read-only; reopen it as a draft first")
            q = from_snapshot(head.questionnaire_snapshot)
            layers, dims = {x.id for x in q.layers}, {d.id for d in q.dimensions}
            for layer, dim in mapping:
                if layer not in layers or dim not in dims:
                    raise StorageError(f"{layer}.{dim} is not a layer.dimension of this assessment's questionnaire")
            conn.execute(targets.delete().where(targets.c.assessment_id == assessment_id))
            if mapping:
                conn.execute(targets.insert(), [
                    {"assessment_id": assessment_id, "layer": layer, "dimension": dim, "level": level}
                    for (layer, dim), level in mapping.items()
                ])

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

    def _question_ids(self, conn: Connection, assessment_id: int, questionnaire_hash: str) -> frozenset[str]:
        """Question ids of an assessment's snapshot, parsed once per questionnaire content hash."""
        ids = self._question_ids_by_hash.get(questionnaire_hash)
        if ids is None:
            snapshot = conn.scalar(
                select(assessments.c.questionnaire_snapshot).where(assessments.c.id == assessment_id))
            ids = frozenset(q["id"] for q in json.loads(snapshot)["questions"])
            self._question_ids_by_hash[questionnaire_hash] = ids
        return ids

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

    # --- live workshops ---

    def open_workshop(self, assessment_id: int) -> WorkshopRecord:
        """The assessment's open workshop, or a new one with a fresh join code."""
        from assessment.workshop import new_code

        for _ in range(10):
            try:
                with self._write() as conn:
                    status = conn.scalar(select(assessments.c.status).where(assessments.c.id == assessment_id))
                    if status is None:
                        raise NotFound(f"no assessment with id {assessment_id}")
                    if status == "final":
                        raise ReadOnly(f"assessment {assessment_id} is final and read-only; reopen it as a "
                                       "draft to run a workshop")
                    found = conn.execute(select(workshops).where(
                        workshops.c.assessment_id == assessment_id, workshops.c.status == "open",
                    ).order_by(workshops.c.id.desc()).limit(1)).first()
                    if found is not None:
                        return _workshop_record(found)
                    new_id = conn.execute(workshops.insert().values(
                        assessment_id=assessment_id, code=new_code(), status="open", revealed=False,
                        created_at=_now(),
                    )).inserted_primary_key[0]
                    return _workshop_record(conn.execute(select(workshops).where(workshops.c.id == new_id)).one())
            except IntegrityError:  # the code was taken (about 1 in 10^8): draw another
                continue
        raise StorageError("could not find a free join code; try again")

    def workshop(self, workshop_id: int) -> WorkshopRecord:
        with self._read() as conn:
            row = conn.execute(select(workshops).where(workshops.c.id == workshop_id)).first()
        if row is None:
            raise NotFound(f"no workshop with id {workshop_id}")
        return _workshop_record(row)

    def active_workshop(self, assessment_id: int) -> WorkshopRecord | None:
        """The assessment's open workshop, if it has one."""
        with self._read() as conn:
            row = conn.execute(select(workshops).where(
                workshops.c.assessment_id == assessment_id, workshops.c.status == "open",
            ).order_by(workshops.c.id.desc()).limit(1)).first()
        return None if row is None else _workshop_record(row)

    def close_workshop(self, workshop_id: int) -> None:
        """Close a workshop: its code stops working and no more votes are taken."""
        with self._write() as conn:
            conn.execute(workshops.update().where(workshops.c.id == workshop_id, workshops.c.status == "open")
                         .values(status="closed", closed_at=_now()))

    def join(self, code: str, name: str = "", *, client_key: str = "") -> str:
        """Join an open workshop by its code; returns the participant's secret token.

        Failed attempts are recorded per `client_key` (e.g. the client's IP address) and limited to
        `workshop.JOIN_LIMIT` a minute, so codes cannot be guessed; RateLimited says how long to wait.
        """
        from assessment.workshop import JOIN_WINDOW, new_token, normalise_code, retry_after

        code, name, key = normalise_code(code), " ".join(name.split())[:100], client_key[:200]
        now = _now()
        with self._write() as conn:
            earlier = conn.scalars(select(join_attempts.c.attempted_at).where(
                join_attempts.c.client_key == key, join_attempts.c.attempted_at > now - JOIN_WINDOW)).all()
            wait = retry_after([_aware(t) for t in earlier], now)
            if not wait:
                ws = conn.execute(select(workshops.c.id, workshops.c.status).where(workshops.c.code == code)).first()
                if ws is not None and ws.status == "open":
                    token = new_token()
                    conn.execute(participants.insert().values(workshop_id=ws.id, token=token, name=name,
                                                              joined_at=now))
                    return token
                conn.execute(join_attempts.delete().where(join_attempts.c.client_key == key,
                                                          join_attempts.c.attempted_at <= now - JOIN_WINDOW))
                conn.execute(join_attempts.insert().values(client_key=key, attempted_at=now))
        # outside the transaction, so the failed attempt is committed before we say no
        if wait:
            raise RateLimited(wait)
        raise NotFound(f"no open workshop with code {code!r}; check the code, or the workshop has closed")

    def participant(self, token: str) -> tuple[ParticipantRecord, WorkshopRecord]:
        """The participant holding this token and their workshop (NotFound for an unknown token)."""
        with self._read() as conn:
            p = conn.execute(select(participants).where(participants.c.token == token)).first()
            if p is None:
                raise NotFound("unknown participant token; join the workshop again")
            ws = conn.execute(select(workshops).where(workshops.c.id == p.workshop_id)).one()
        return ParticipantRecord(p.id, p.workshop_id, p.name, p.token), _workshop_record(ws)

    def set_current_question(self, workshop_id: int, question_id: str) -> None:
        """Put a question on screen; its votes stay hidden until `reveal`. The same question again is a no-op."""
        with self._write() as conn:
            ws = conn.execute(select(workshops.c.status, workshops.c.current_question, assessments.c.id,
                                     assessments.c.questionnaire_hash)
                              .select_from(workshops.join(assessments, assessments.c.id == workshops.c.assessment_id))
                              .where(workshops.c.id == workshop_id)).first()
            if ws is None:
                raise NotFound(f"no workshop with id {workshop_id}")
            if ws.status != "open":
                raise VotingClosed("this workshop is closed")
            if question_id not in self._question_ids(conn, ws.id, ws.questionnaire_hash):
                raise StorageError(f"question {question_id!r} is not in this assessment's questionnaire")
            if ws.current_question != question_id:
                conn.execute(workshops.update().where(workshops.c.id == workshop_id)
                             .values(current_question=question_id, revealed=False))

    def reveal(self, workshop_id: int) -> None:
        """Show the current question's votes; from now on its votes are final."""
        with self._write() as conn:
            done = conn.execute(workshops.update().where(
                workshops.c.id == workshop_id, workshops.c.status == "open",
                workshops.c.current_question.is_not(None),
            ).values(revealed=True)).rowcount
        if not done:
            raise VotingClosed("nothing to reveal: the workshop is closed or has no question on screen")

    def cast_vote(self, token: str, question_id: str, choice: str, comment: str = "") -> None:
        """The participant's vote on the question on screen: inserted, or overwriting their earlier one.

        One row per participant × question (a unique constraint and an upsert), so a double submit
        is one vote. Refused (VotingClosed) once revealed, after the question moved on, or when closed.
        """
        from assessment.workshop import check_choice

        try:
            check_choice(choice)
        except ValueError as exc:
            raise StorageError(str(exc)) from None
        with self._write() as conn:
            voter = conn.execute(_VOTER, {"token": token}).first()
            if voter is None:
                raise NotFound("unknown participant token; join the workshop again")
            if voter.status != "open":
                raise VotingClosed("the workshop has closed")
            if voter.current_question != question_id:
                raise VotingClosed("the facilitator has moved to another question")
            if voter.revealed:
                raise VotingClosed("the votes on this question have been revealed; voting is over")
            upsert = self._vote_upserts.get(conn.dialect.name)
            if upsert is None:
                upsert = self._vote_upserts[conn.dialect.name] = _vote_upsert(conn.dialect.name)
            conn.execute(upsert, {"workshop_id": voter.workshop_id, "participant_id": voter.id,
                                  "question_id": question_id, "choice": choice,
                                  "comment": comment.strip()[:2000], "updated_at": _now()})

    def my_vote(self, token: str, question_id: str) -> Vote | None:
        """The participant's own vote on a question (so a reload shows it again)."""
        with self._read() as conn:
            row = conn.execute(select(votes.c.question_id, votes.c.choice, votes.c.comment)
                               .select_from(votes.join(participants, participants.c.id == votes.c.participant_id))
                               .where(participants.c.token == token, votes.c.question_id == question_id)).first()
        return None if row is None else Vote(row.question_id, row.choice, row.comment)

    def vote_count(self, workshop_id: int, question_id: str) -> int:
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(votes).where(
                votes.c.workshop_id == workshop_id, votes.c.question_id == question_id)) or 0

    def participant_count(self, workshop_id: int) -> int:
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(participants)
                               .where(participants.c.workshop_id == workshop_id)) or 0

    def votes_for(self, workshop_id: int, question_id: str) -> list[Vote]:
        """A question's votes, without who cast them, in an order that tells nothing (choice, comment)."""
        with self._read() as conn:
            rows = conn.execute(select(votes.c.question_id, votes.c.choice, votes.c.comment).where(
                votes.c.workshop_id == workshop_id, votes.c.question_id == question_id,
            ).order_by(votes.c.choice, votes.c.comment))
            return [Vote(r.question_id, r.choice, r.comment) for r in rows]

    def workshop_votes(self, assessment_id: int) -> dict[str, list[Vote]]:
        """Every workshop vote on an assessment, question id → votes (all its workshops), for the PDF."""
        found: dict[str, list[Vote]] = {}
        with self._read() as conn:
            rows = conn.execute(
                select(votes.c.question_id, votes.c.choice, votes.c.comment)
                .select_from(votes.join(workshops, workshops.c.id == votes.c.workshop_id))
                .where(workshops.c.assessment_id == assessment_id)
                .order_by(votes.c.question_id, votes.c.choice, votes.c.comment))
            for r in rows:
                found.setdefault(r.question_id, []).append(Vote(r.question_id, r.choice, r.comment))
        return found

    def record_consensus(
        self, workshop_id: int, question_id: str, level: int | None, *, na: bool = False,
        note: str | None = None, answered_by: str = "workshop",
    ) -> Answer:
        """Write the room's consensus as the assessment's answer (through `save_answer`).

        `note` None uses the participants' comments. The question on screen must be revealed first.
        """
        from assessment.workshop import default_note, summarise

        ws = self.workshop(workshop_id)
        if ws.current_question == question_id and not ws.revealed:
            raise VotingClosed("reveal the votes before recording the consensus")
        if note is None:
            note = default_note(summarise(self.votes_for(workshop_id, question_id)))
        return self.save_answer(ws.assessment_id, question_id, level=None if na else level, na=na, note=note,
                                answered_by=answered_by)

    # --- facilitator accounts ---

    def add_user(self, name: str, password: str) -> None:
        """A facilitator account; the password is stored as an argon2id hash."""
        from argon2 import PasswordHasher

        name = name.strip()
        if not name:
            raise StorageError("a user needs a name")
        if len(password) < 8:
            raise StorageError("a password needs at least 8 characters")
        try:
            with self._write() as conn:
                conn.execute(users.insert().values(name=name, password_hash=PasswordHasher().hash(password),
                                                   created_at=_now()))
        except IntegrityError:
            raise StorageError(f"a user named {name!r} already exists") from None

    def has_users(self) -> bool:
        with self._read() as conn:
            return conn.scalar(select(users.c.id).limit(1)) is not None

    def check_password(self, name: str, password: str) -> bool:
        """True when the name and password match a facilitator account."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        with self._read() as conn:
            stored = conn.scalar(select(users.c.password_hash).where(users.c.name == name.strip()))
        hasher = PasswordHasher()
        if stored is None:
            # hash anyway, so an unknown name takes as long as a wrong password
            hasher.hash(password)
            return False
        try:
            return hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    # --- facilitator login sessions (the cookie that survives a reload) ---

    def start_login_session(self, name: str, lifetime: dt.timedelta | None = None) -> str:
        """Log a facilitator in: a new random token for the browser's cookie (only its hash is stored).

        `lifetime` defaults to `login_lifetime()`. Expired sessions of anyone are swept out on the way.
        """
        token = secrets.token_urlsafe(32)
        now = _now()
        with self._write() as conn:
            user_id = conn.scalar(select(users.c.id).where(users.c.name == name.strip()))
            if user_id is None:
                raise NotFound(f"no facilitator account named {name.strip()!r}")
            conn.execute(login_sessions.delete().where(login_sessions.c.expires_at <= now))
            conn.execute(login_sessions.insert().values(
                token_hash=_token_hash(token), user_id=user_id, created_at=now,
                expires_at=now + (lifetime if lifetime is not None else login_lifetime())))
        return token

    def user_for_token(self, token: str | None) -> str | None:
        """The facilitator a session token belongs to; None when it is unknown, ended or expired."""
        if not token:
            return None
        digest = _token_hash(token)
        with self._read() as conn:
            row = conn.execute(
                select(users.c.name, login_sessions.c.expires_at)
                .select_from(login_sessions.join(users, users.c.id == login_sessions.c.user_id))
                .where(login_sessions.c.token_hash == digest)).first()
        if row is None:
            return None
        if _aware(row.expires_at) <= _now():
            self.end_login_session(token)
            return None
        return row.name

    def end_login_session(self, token: str | None) -> None:
        """Log out: the token stops working on every server sharing this database. Unknown tokens are fine."""
        if token:
            with self._write() as conn:
                conn.execute(login_sessions.delete().where(login_sessions.c.token_hash == _token_hash(token)))

    def load(self, assessment_id: int) -> Assessment:
        """One assessment whole: details, questionnaire, answers, stored targets and workshop votes."""
        return self.load_many([assessment_id])[0]

    def load_many(self, assessment_ids: Sequence[int]) -> list[Assessment]:
        """Assessments whole, in the order asked (an id asked twice comes twice), in four queries
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
        whole = {}
        for i in ids:
            details = self._record(rows[i])
            whole[i] = Assessment(details, details.questionnaire, found[i], goals[i],
                                  {qid: tuple(v) for qid, v in cast[i].items()})
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
                records = [self._record(r) for r in conn.execute(
                    self._assessment_query().order_by(assessments.c.id))]
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
        return [AssessmentDump(Assessment(r, r.questionnaire, found[r.id], goals[r.id]), changes[r.id]) for r in records]

    def _sqlite_path(self, doing: str) -> Path:
        if self.engine.dialect.name != "sqlite" or not self.engine.url.database:
            raise StorageError(f"{doing} works on an SQLite database file; this database is "
                               f"{self.engine.dialect.name}: use a .json backup instead")
        return Path(self.engine.url.database)

    def backup_sqlite(self, target: Path) -> None:
        """Copy the live SQLite database with SQLite's online backup API (safe while others write).

        Everything is copied (facilitator accounts too) except the login sessions.
        """
        self._sqlite_path("a .db backup")
        part = target.with_name(target.name + ".part")
        part.unlink(missing_ok=True)
        with self.engine.connect() as conn:
            copy = sqlite3.connect(part)
            try:
                conn.connection.driver_connection.backup(copy)
                # Login sessions stay behind: a restored backup must not bring back a logout.
                if copy.execute("SELECT 1 FROM sqlite_master WHERE name = 'login_sessions'").fetchone():
                    copy.execute("DELETE FROM login_sessions")
                    copy.commit()
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
        os.replace(part, target)

    def restore_sqlite(self, source: Path, *, replace: bool = False) -> int:
        """Replace this SQLite database with a .db backup, in one step; returns the assessments restored.

        Facilitator accounts come from the backup, and every login session ends.
        """
        self._sqlite_path("a .db restore")
        try:
            backup = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise StorageError(f"{source}: cannot open it as an SQLite database ({exc})") from None
        try:
            try:
                tables = {r[0] for r in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                count = backup.execute("SELECT count(*) FROM assessments").fetchone()[0] \
                    if "assessments" in tables else 0
            except sqlite3.DatabaseError as exc:
                raise StorageError(f"{source}: not an SQLite database ({exc})") from None
            if not {"assessments", "answers", "alembic_version"} <= tables:
                raise StorageError(f"{source}: not a backup of this tool's database (no assessments table)")
            held = self.count_assessments()
            if held and not replace:
                raise StorageError(f"the database already holds {held} assessment(s); restore into an empty "
                                   "database, or replace them with --force")
            with self.engine.connect() as conn:
                backup.backup(conn.connection.driver_connection)
        finally:
            backup.close()
        self.upgrade()  # a backup from an older version is migrated like any database
        with self._write() as conn:
            # The restored users table may give an id to someone else: every facilitator logs in again.
            conn.execute(login_sessions.delete())
        return count

    def count_assessments(self) -> int:
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(assessments)) or 0


def _answer_record(r: Any) -> Answer:
    return Answer(
        question_id=r.question_id, level=r.level, na=r.na, note=r.note, evidence_url=r.evidence_url,
        answered_by=r.answered_by, updated_at=r.updated_at, version=r.version,
    )


def is_missing_table(exc: Exception) -> bool:
    return isinstance(exc, OperationalError | SAProgrammingError)
