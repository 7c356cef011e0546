"""zalo oa: token pair, refused deliveries

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('zalo_oa_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refreshing_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zalo_oa_tokens'))
    )
    op.create_table('refused_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=100), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=False),
    sa.Column('reply_key', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refused_deliveries'))
    )
    with op.batch_alter_table('refused_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_refused_deliveries_at', ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('refused_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_refused_deliveries_at')
    op.drop_table('refused_deliveries')
    op.drop_table('zalo_oa_tokens')
