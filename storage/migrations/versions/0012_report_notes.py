"""sections II and III of the monthly report written by the officer (issue 17 item 2); a
resident's ethnicity as the poverty review lists it (issue 18 item 5)

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-07 15:30:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_notes',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('difficulties', sa.Text(), nullable=False),
    sa.Column('proposals', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                            name=op.f('fk_report_notes_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by'], ['officials.id'],
                            name=op.f('fk_report_notes_updated_by_officials')),
    sa.PrimaryKeyConstraint('unit_id', 'month', name=op.f('pk_report_notes'))
    )
    with op.batch_alter_table('residents') as batch:
        batch.add_column(sa.Column('ethnicity', sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('residents') as batch:
        batch.drop_column('ethnicity')
    op.drop_table('report_notes')
