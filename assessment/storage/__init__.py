"""Storage: assessments and their answers in SQLite (default) or PostgreSQL (`DATABASE_URL`).

Each answer is one row, saved the moment it is given, with a version counter for optimistic
concurrency and a history row for every change. An assessment keeps a JSON snapshot of the
questionnaire it was taken with, so later edits to the YAML never change old results.
The schema is created and upgraded by Alembic migrations (`assessment/migrations/`).

`Store` is the one object callers use; each of its methods lives in the module for its concern:

- `schema.py`: `metadata` and the tables.
- `engine.py`: database URLs, `make_engine`, and `StoreBase` (the engine, `open`, `upgrade`, transactions).
- `errors.py`: StorageError and its kinds (NotFound, ReadOnly, Conflict, VotingClosed, RateLimited).
- `assessments.py`: departments, assessments, answers (`save_answer`), targets, history, `load`, `dump`.
- `actions.py`: actions on the roadmap (owner, due date, status, ticket) and their history.
- `workshops.py`: live workshops, participants, votes and the recorded consensus.
- `accounts.py`: facilitator accounts and login sessions.
- `organisation.py`: business units and the departments in them.
- `backup.py`: `.db` backup and restore of an SQLite file.
"""

from assessment.model import Answer, Assessment, AssessmentDetails, AssessmentDump, check_level, check_status
from assessment.storage.accounts import Accounts
from assessment.storage.actions import Actions
from assessment.storage.assessments import Assessments
from assessment.storage.backup import Backup
from assessment.storage.engine import (
    data_dir,
    database_url,
    describe_url,
    is_missing_table,
    login_lifetime,
    make_engine,
    normalise_url,
    temporary_schema,
)
from assessment.storage.errors import (
    Conflict,
    JoinRefused,
    NotFound,
    RateLimited,
    ReadOnly,
    StorageError,
    VotingClosed,
)
from assessment.storage.organisation import Organisation

# The `assessments` and `workshops` tables are not re-exported: those names are the modules here.
from assessment.storage.schema import (
    DEFAULT_LOGIN_HOURS,
    DEFAULT_ORGANISATION,
    action_history,
    answer_history,
    answers,
    departments,
    facilitator_keys,
    join_attempts,
    login_sessions,
    metadata,
    organisations,
    participants,
    targets,
    users,
    votes,
)
from assessment.storage.workshops import ParticipantRecord, RoomMember, WorkshopRecord, Workshops


class Store(Assessments, Actions, Organisation, Workshops, Accounts, Backup):
    """The storage shell: every read and write of assessments goes through here."""


__all__ = [
    "DEFAULT_LOGIN_HOURS",
    "DEFAULT_ORGANISATION",
    "Answer",
    "Assessment",
    "AssessmentDetails",
    "AssessmentDump",
    "Conflict",
    "JoinRefused",
    "NotFound",
    "ParticipantRecord",
    "RateLimited",
    "ReadOnly",
    "RoomMember",
    "StorageError",
    "Store",
    "VotingClosed",
    "WorkshopRecord",
    "action_history",
    "answer_history",
    "answers",
    "check_level",
    "check_status",
    "data_dir",
    "database_url",
    "departments",
    "describe_url",
    "facilitator_keys",
    "is_missing_table",
    "join_attempts",
    "login_lifetime",
    "login_sessions",
    "make_engine",
    "metadata",
    "normalise_url",
    "organisations",
    "participants",
    "targets",
    "temporary_schema",
    "users",
    "votes",
]
