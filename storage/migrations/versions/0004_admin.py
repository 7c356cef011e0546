"""admin: shared secrets, login failures, API tokens

Revision ID: 0004
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_secrets',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_admin_secrets'))
    )
    op.create_table('admin_login_failures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_login_failures'))
    )
    with op.batch_alter_table('admin_login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_admin_login_failures_address', ['address', 'at'], unique=False)
        batch_op.create_index('ix_admin_login_failures_login', ['login', 'at'], unique=False)

    op.create_table('admin_api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_admin_api_tokens_official_id_officials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_admin_api_tokens_token_hash'))
    )
    with op.batch_alter_table('admin_api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_api_tokens_official_id'), ['official_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('admin_api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_api_tokens_official_id'))
    op.drop_table('admin_api_tokens')
    with op.batch_alter_table('admin_login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_login_failures_login')
        batch_op.drop_index('ix_admin_login_failures_address')
    op.drop_table('admin_login_failures')
    op.drop_table('admin_secrets')
