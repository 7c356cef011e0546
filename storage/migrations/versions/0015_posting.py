"""posting and objections (issue 18, item 3): a commune's list as posted, and the objections

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:40:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['units.id'],
                            name=op.f('fk_postings_commune_id_units')),
    sa.ForeignKeyConstraint(['opened_by'], ['officials.id'],
                            name=op.f('fk_postings_opened_by_officials')),
    sa.ForeignKeyConstraint(['plan_id'], ['allocation_plans.id'],
                            name=op.f('fk_postings_plan_id_allocation_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postings'))
    )
    op.create_index(op.f('ix_postings_commune_id'), 'postings', ['commune_id'])
    op.create_table('posting_lines',
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('short_name', sa.String(length=100), nullable=False),
    sa.Column('born_year', sa.Integer(), nullable=False),
    sa.Column('village', sa.String(length=200), nullable=False),
    sa.Column('support', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'],
                            name=op.f('fk_posting_lines_posting_id_postings')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'],
                            name=op.f('fk_posting_lines_resident_id_residents')),
    sa.PrimaryKeyConstraint('posting_id', 'number', name=op.f('pk_posting_lines'))
    )
    op.create_index(op.f('ix_posting_lines_resident_id'), 'posting_lines', ['resident_id'])
    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('line_number', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chat_ref', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'],
                            name=op.f('fk_objections_posting_id_postings')),
    sa.ForeignKeyConstraint(['chat_ref'], ['chats.id'],
                            name=op.f('fk_objections_chat_ref_chats')),
    sa.ForeignKeyConstraint(['recorded_by'], ['officials.id'],
                            name=op.f('fk_objections_recorded_by_officials')),
    sa.ForeignKeyConstraint(['answered_by'], ['officials.id'],
                            name=op.f('fk_objections_answered_by_officials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections'))
    )
    op.create_index(op.f('ix_objections_posting_id'), 'objections', ['posting_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_objections_posting_id'), table_name='objections')
    op.drop_table('objections')
    op.drop_index(op.f('ix_posting_lines_resident_id'), table_name='posting_lines')
    op.drop_table('posting_lines')
    op.drop_index(op.f('ix_postings_commune_id'), table_name='postings')
    op.drop_table('postings')
