"""after the handover (issue 18, item 4): follow-ups at 7, 30 and 90 days, guidance sessions,
set-up tasks finished later, and the chat that confirmed a handover

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('handovers') as batch:
        batch.add_column(sa.Column('confirmed_chat', sa.Integer(), nullable=True))
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('chat_id', sa.String(length=100), nullable=True),
    sa.Column('for_village_head', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('phone_state', sa.String(length=16), nullable=True),
    sa.Column('uses', sa.JSON(), nullable=False),
    sa.Column('wants_help', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['handover_id'], ['handovers.id'],
                            name=op.f('fk_follow_ups_handover_id_handovers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('handover_id', 'day', name='uq_follow_ups_handover_day')
    )
    op.create_index('ix_follow_ups_chat', 'follow_ups', ['channel', 'chat_id', 'answered_at'])
    op.create_table('guidance_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('led_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['units.id'],
                            name=op.f('fk_guidance_sessions_village_id_units')),
    sa.ForeignKeyConstraint(['recorded_by'], ['officials.id'],
                            name=op.f('fk_guidance_sessions_recorded_by_officials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guidance_sessions'))
    )
    op.create_index('ix_guidance_sessions_village', 'guidance_sessions',
                    ['village_id', 'held_on'])
    op.create_table('guidance_attendees',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['guidance_sessions.id'],
                            name=op.f('fk_guidance_attendees_session_id_guidance_sessions')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'],
                            name=op.f('fk_guidance_attendees_resident_id_residents')),
    sa.PrimaryKeyConstraint('session_id', 'resident_id', name=op.f('pk_guidance_attendees'))
    )
    op.create_index(op.f('ix_guidance_attendees_resident_id'), 'guidance_attendees',
                    ['resident_id'])
    op.create_table('tasks_done',
    sa.Column('handover_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['handover_id'], ['handovers.id'],
                            name=op.f('fk_tasks_done_handover_id_handovers')),
    sa.ForeignKeyConstraint(['done_by'], ['officials.id'],
                            name=op.f('fk_tasks_done_done_by_officials')),
    sa.PrimaryKeyConstraint('handover_id', 'item', name=op.f('pk_tasks_done'))
    )


def downgrade() -> None:
    op.drop_table('tasks_done')
    op.drop_index(op.f('ix_guidance_attendees_resident_id'), table_name='guidance_attendees')
    op.drop_table('guidance_attendees')
    op.drop_index('ix_guidance_sessions_village', table_name='guidance_sessions')
    op.drop_table('guidance_sessions')
    op.drop_index('ix_follow_ups_chat', table_name='follow_ups')
    op.drop_table('follow_ups')
    with op.batch_alter_table('handovers') as batch:
        batch.drop_column('confirmed_chat')
