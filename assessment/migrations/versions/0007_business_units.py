"""Business units: each department belongs to one (organisation → business unit → department), or to none.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A name on the department, not a table of units: a unit is the departments that name it, so renaming
    # one is one UPDATE, and a unit left without departments is gone rather than orphaned. "" = none.
    # Plain ADD COLUMN, never a batch (table copy) on SQLite: dropping `departments` would cascade.
    op.add_column("departments", sa.Column("business_unit", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("departments", "business_unit")  # SQLite 3.35+ drops a column in place
