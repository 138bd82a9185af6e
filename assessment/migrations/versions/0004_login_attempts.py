"""Failed facilitator logins: one row per wrong password, shared by every app server, for throttling.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("client_key", sa.String(200), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_index("ix_login_attempts_account_time", "login_attempts", ["account", "attempted_at"])
    op.create_index("ix_login_attempts_client_time", "login_attempts", ["client_key", "attempted_at"])


def downgrade() -> None:
    op.drop_table("login_attempts")
