"""gifts and coverage (issue 18, items 1, 2 and 6): a gift's offer pledge, pilot communes,
a village's survey done and its mobile signal, a receipt's source

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07 15:40:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None

# The plan's eight pilot communes, in both shipped datasets (DESIGN "Units, codes and people").
PILOTS = {
    '2023': ('01837', '02017', '01912', '02071', '02122', '01951', '02173', '01870'),
    '2025': ('01843', '02014', '01912', '02071', '02086', '01954', '02185', '01864'),
}


def upgrade() -> None:
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('pilot', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('survey_done_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('no_signal', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    units = sa.table('units', sa.column('dataset', sa.String), sa.column('code', sa.String),
                     sa.column('level', sa.String), sa.column('pilot', sa.Boolean))
    for dataset, codes in PILOTS.items():
        op.execute(units.update().where(units.c.dataset == dataset,
                                        units.c.level == 'commune',
                                        units.c.code.in_(codes)).values(pilot=True))
    with op.batch_alter_table('supports') as batch:
        batch.add_column(sa.Column('pledge_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_supports_pledge_id_pledges'), 'pledges',
                                 ['pledge_id'], ['id'])
        batch.create_index('ix_supports_pledge', ['pledge_id'])
    with op.batch_alter_table('receipts') as batch:
        batch.add_column(sa.Column('source', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('receipts') as batch:
        batch.drop_column('source')
    with op.batch_alter_table('supports') as batch:
        batch.drop_index('ix_supports_pledge')
        batch.drop_constraint(op.f('fk_supports_pledge_id_pledges'), type_='foreignkey')
        batch.drop_column('pledge_id')
    with op.batch_alter_table('units') as batch:
        batch.drop_column('no_signal')
        batch.drop_column('survey_done_at')
        batch.drop_column('pilot')
