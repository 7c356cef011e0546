"""admin at national size: resident name tails (indexed name search), the units' revision

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 03:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.name_search import rebuild_tails

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('resident_name_tails',
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('tail', sa.String(length=200).with_variant(
        sa.String(length=200, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'],
                            name=op.f('fk_resident_name_tails_resident_id_residents')),
    sa.PrimaryKeyConstraint('resident_id', 'tail', name=op.f('pk_resident_name_tails'))
    )
    op.create_index('ix_resident_name_tails_tail', 'resident_name_tails',
                    ['tail', 'resident_id'], unique=False)
    op.create_table('unit_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_revision'))
    )
    op.execute("INSERT INTO unit_revision (id, revision) VALUES (1, 0)")
    rebuild_tails(op.get_bind())


def downgrade() -> None:
    op.drop_table('unit_revision')
    op.drop_index('ix_resident_name_tails_tail', table_name='resident_name_tails')
    op.drop_table('resident_name_tails')
