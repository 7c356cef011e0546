"""the dashboard and reports pages at national size (issue 21, item 2): the residents'
registration time indexed, so that the programme's first day is one index entry

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 20:00:00.000000
"""
from __future__ import annotations

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_residents_registered_at', 'residents', ['registered_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_residents_registered_at', table_name='residents')
