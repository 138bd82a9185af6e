"""Actions on the roadmap (owner, due date, status, ticket) with their history; the assessment a
re-assessment was duplicated from.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch (table copy) on SQLite: dropping the old `assessments` table would
    # cascade to every answer. No foreign key: a restore may bring an assessment back before the one it
    # re-assesses, and deleting the older one must not touch the newer.
    op.add_column("assessments", sa.Column("previous_id", sa.Integer, nullable=True))
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("question_id", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False, server_default=""),
        sa.Column("due", sa.Date, nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="planned"),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("ticket", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("assessment_id", "question_id", name="uq_action_question"),
    )
    op.create_table(
        "action_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("question_id", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False, server_default=""),
        sa.Column("due", sa.Date, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("ticket", sa.Text, nullable=False, server_default=""),
        sa.Column("changed_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("action_history")
    op.drop_table("actions")
    op.drop_column("assessments", "previous_id")  # SQLite 3.35+ drops a column in place
