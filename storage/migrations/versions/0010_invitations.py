"""invitations (issue 16): who made an invite, and its revocation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:45:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invites_created_by_officials'), 'officials',
                                    ['created_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_invites_revoked_by_officials'), 'officials',
                                    ['revoked_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invites_revoked_by_officials'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_invites_created_by_officials'),
                                 type_='foreignkey')
        batch_op.drop_column('revoked_by')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('created_by')
