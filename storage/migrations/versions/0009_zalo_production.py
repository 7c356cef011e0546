"""zalo in production (issue 19): events recorded before the 200, channel status, error
codes, proactive messages per month

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 13:20:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('zalo_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.String(length=100), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zalo_events')),
    sa.UniqueConstraint('channel', 'event_key', name='uq_zalo_events_channel_key')
    )
    op.create_index('ix_zalo_events_pending', 'zalo_events', ['handled_at', 'claimed_until'])
    op.create_index('ix_zalo_events_user', 'zalo_events', ['channel', 'user_id', 'received_at'])
    op.create_table('zalo_channel_status',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('last_update_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_send_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('plain_text', sa.Boolean(), nullable=False),
    sa.Column('plain_text_since', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_zalo_channel_status'))
    )
    op.create_table('zalo_errors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('code', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zalo_errors'))
    )
    op.create_index('ix_zalo_errors_channel_at', 'zalo_errors', ['channel', 'at'])
    op.create_table('zalo_proactive',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'month', name=op.f('pk_zalo_proactive'))
    )


def downgrade() -> None:
    op.drop_table('zalo_proactive')
    op.drop_index('ix_zalo_errors_channel_at', table_name='zalo_errors')
    op.drop_table('zalo_errors')
    op.drop_table('zalo_channel_status')
    op.drop_index('ix_zalo_events_user', table_name='zalo_events')
    op.drop_index('ix_zalo_events_pending', table_name='zalo_events')
    op.drop_table('zalo_events')
