"""The schema: SQLAlchemy `metadata` and every table (created and upgraded by `assessment/migrations/`)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

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
    # Migration 0007: the business unit it belongs to ("" = none; see assessment/storage/organisation.py).
    Column("business_unit", String(200), nullable=False, server_default=""),
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
    Column("previous_id", Integer, nullable=True),  # migration 0006: the assessment it re-assesses (no FK)
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
    # The doors (migration 0005): closed, the code admits nobody; reopened, a new code and a new budget of
    # failed attempts counted from doors_opened_at (None: since created_at).
    Column("doors_open", Boolean, nullable=False, server_default=true()),
    Column("doors_opened_at", DateTime(timezone=True), nullable=True),
)

participants = Table(
    "participants", metadata,
    Column("id", Integer, primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False, server_default=""),  # "" = anonymous
    Column("joined_at", DateTime(timezone=True), nullable=False),
    # Migration 0005: whom the join is counted against (joins per client are capped), and the facilitator's
    # removal (the token stops working, the votes drop out; the row stays so the cap still counts it).
    Column("client_key", String(200), nullable=False, server_default=""),
    Column("removed_at", DateTime(timezone=True), nullable=True),
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
    Index("ix_join_attempts_time", "attempted_at"),  # migration 0005: budgets per workshop, purging
)

# One-time facilitator keys (migration 0005), printed on the server by `assessment facilitator-key`: only
# SHA-256 hashes are kept. Entering the key once turns it into a login token for the browser's cookie
# (session_hash) that lasts as long as a password login.
facilitator_keys = Table(
    "facilitator_keys", metadata,
    Column("id", Integer, primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("session_hash", String(64), nullable=True, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
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

# Failed facilitator logins (migration 0004): kept in the database so every app server sharing it throttles
# the same guesses. `account` is the name as typed (unknown names too, so throttling reveals nothing);
# `client_key` is the client's address or a per-session fallback. Rows older than the window are purged.
login_attempts = Table(
    "login_attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("account", String(100), nullable=False),
    Column("client_key", String(200), nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False, index=True),
    Index("ix_login_attempts_account_time", "account", "attempted_at"),
    Index("ix_login_attempts_client_time", "client_key", "attempted_at"),
)

# Actions on the roadmap (migration 0006): one row per question someone edited (the others keep the default
# action, assessment/actions.py), and a history row with the new state for every change.
actions = Table(
    "actions", metadata,
    Column("id", Integer, primary_key=True),
    Column("assessment_id", ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(200), nullable=False),
    Column("owner", String(200), nullable=False, server_default=""),
    Column("due", Date, nullable=True),  # None: from the roadmap phase
    Column("status", String(20), nullable=False, server_default="planned"),
    Column("reason", Text, nullable=False, server_default=""),
    Column("ticket", Text, nullable=False, server_default=""),
    Column("updated_by", String(200), nullable=False, server_default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("assessment_id", "question_id", name="uq_action_question"),
)

action_history = Table(
    "action_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("assessment_id", ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("question_id", String(200), nullable=False),
    Column("owner", String(200), nullable=False, server_default=""),
    Column("due", Date, nullable=True),
    Column("status", String(20), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("ticket", Text, nullable=False, server_default=""),
    Column("changed_by", String(200), nullable=False, server_default=""),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

DEFAULT_ORGANISATION = "My organisation"
DEFAULT_LOGIN_HOURS = 12.0  # a workshop day
