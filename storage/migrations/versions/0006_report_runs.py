"""report runs: monthly reports built once per unit and month; reminder stops

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02 10:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trigger', sa.String(length=100), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_report_runs_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_runs')),
    sa.UniqueConstraint('unit_id', 'month', name='uq_report_runs_unit_month')
    )
    op.create_table('reminder_stops',
    sa.Column('chat_ref', sa.Integer(), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chat_ref'], ['chats.id'],
                            name=op.f('fk_reminder_stops_chat_ref_chats')),
    sa.PrimaryKeyConstraint('chat_ref', name=op.f('pk_reminder_stops'))
    )


def downgrade() -> None:
    op.drop_table('reminder_stops')
    op.drop_table('report_runs')
