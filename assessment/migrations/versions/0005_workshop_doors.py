"""Workshop doors and join budgets, participants' client keys and removal, one-time facilitator keys.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch (table copy) on SQLite: dropping the old `workshops` table would
    # cascade to every participant and vote.
    op.add_column("workshops", sa.Column("doors_open", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("workshops", sa.Column("doors_opened_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("participants", sa.Column("client_key", sa.String(200), nullable=False, server_default=""))
    op.add_column("participants", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_join_attempts_time", "join_attempts", ["attempted_at"])
    op.create_table(
        "facilitator_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("session_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("facilitator_keys")
    op.drop_index("ix_join_attempts_time", table_name="join_attempts")
    for table, column in [("participants", "removed_at"), ("participants", "client_key"),
                          ("workshops", "doors_opened_at"), ("workshops", "doors_open")]:
        op.drop_column(table, column)  # SQLite 3.35+ drops a column in place
