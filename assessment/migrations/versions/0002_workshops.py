"""Live workshops: workshops, participants, votes (one row per participant × question), join attempts,
facilitator accounts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("current_question", sa.String(200), nullable=True),
        sa.Column("revealed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workshop_id", sa.Integer, sa.ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("question_id", sa.String(200), nullable=False),
        sa.Column("choice", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("participant_id", "question_id", name="uq_vote_participant_question"),
    )
    op.create_index("ix_votes_workshop_question", "votes", ["workshop_id", "question_id"])
    op.create_table(
        "join_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_key", sa.String(200), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_join_attempts_key_time", "join_attempts", ["client_key", "attempted_at"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_index("ix_join_attempts_key_time", table_name="join_attempts")
    op.drop_table("join_attempts")
    op.drop_index("ix_votes_workshop_question", table_name="votes")
    op.drop_table("votes")
    op.drop_table("participants")
    op.drop_table("workshops")
