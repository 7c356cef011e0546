"""issue 15, the admin's doors: session generations (logout ends every session), wrong invite
codes counted per source

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 13:30:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_session_generations',
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'],
                            name=op.f('fk_admin_session_generations_official_id_officials')),
    sa.PrimaryKeyConstraint('official_id', name=op.f('pk_admin_session_generations'))
    )
    op.create_table('link_failures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_failures'))
    )
    op.create_index('ix_link_failures_source', 'link_failures', ['source', 'at'], unique=False)
    op.create_index('ix_link_failures_at', 'link_failures', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_link_failures_at', table_name='link_failures')
    op.drop_index('ix_link_failures_source', table_name='link_failures')
    op.drop_table('link_failures')
    op.drop_table('admin_session_generations')
