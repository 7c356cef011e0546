"""the dashboards at national size (issue 21, item 2): each commune's month kept summed, and
the units whose figures a write may have changed, marked by triggers on every table the
report sums; the supports' queue order indexed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 01:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# For each table the report reads (storage/report_queries.py): the units a changed row
# touches, as (the row's column, unit id, tables joined, condition), where {r} is the row.
# Rows are marked at the finest unit known; storage/commune_figures.py takes each to its
# commune (a village's, a commune itself) and leaves the districts and the province, which
# are summed on every request. Transfers are not marked: their movements are read on every
# request too.
_RESIDENT_OF_HANDOVER = ("handovers h JOIN supports s ON s.id = h.support_id "
                         "JOIN residents x ON x.id = s.resident_id")
MARKS: dict[str, list[tuple[str, str, str, str]]] = {
    "units": [("id", "{r}.id", "", ""),
              ("parent_id", "{r}.parent_id", "", "{r}.parent_id IS NOT NULL")],
    "residents": [("commune_id", "{r}.commune_id", "", "")],
    "households": [("commune_id", "{r}.commune_id", "", "")],
    # where the resident lives now, and the stock it was drawn from
    "supports": [("resident_id", "x.commune_id", "residents x", "x.id = {r}.resident_id"),
                 ("holder_unit_id", "{r}.holder_unit_id", "",
                  "{r}.holder_unit_id IS NOT NULL")],
    "handovers": [("support_id", "x.commune_id",
                   "supports s JOIN residents x ON x.id = s.resident_id",
                   "s.id = {r}.support_id")],
    "cases": [("handover_id", "x.commune_id", _RESIDENT_OF_HANDOVER, "h.id = {r}.handover_id")],
    "follow_ups": [("handover_id", "x.commune_id", _RESIDENT_OF_HANDOVER,
                    "h.id = {r}.handover_id")],
    "guidance_sessions": [("village_id", "{r}.village_id", "", "")],
    "guidance_attendees": [("session_id", "g.village_id", "guidance_sessions g",
                            "g.id = {r}.session_id")],
    "pledges": [("commune_id", "{r}.commune_id", "", "{r}.commune_id IS NOT NULL")],
    "receipts": [("unit_id", "{r}.unit_id", "", "")],
}
_EVENTS = {"INSERT": ("NEW",), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD",)}


def _sqlite_select(row: str, event: str, key: str, expr: str, joins: str, cond: str) -> str:
    conditions = [cond.format(r=row)] if cond else []
    if event == "UPDATE" and row == "OLD":  # the row moved: where it was too
        conditions.append(f"OLD.{key} IS NOT NEW.{key}")
    return (f"SELECT {expr.format(r=row)}" + (f" FROM {joins}" if joins else "")
            + (f" WHERE {' AND '.join(conditions)}" if conditions else ""))


def _postgres_select(rows: str, _key: str, expr: str, joins: str, cond: str) -> str:
    source = f"{rows} r" + (f", {joins}" if joins else "")
    where = cond.format(r="r")
    return (f"SELECT DISTINCT {expr.format(r='r')} FROM {source}"
            + (f" WHERE {where}" if where else ""))


def _sqlite(table: str) -> None:
    for event, rows in _EVENTS.items():
        body = "".join(
            f"INSERT INTO figure_changes (unit_id) {_sqlite_select(row, event, *mark)};\n"
            for row in rows for mark in MARKS[table])
        op.execute(f"CREATE TRIGGER figure_changes_{table}_{event.lower()} "
                   f"AFTER {event} ON {table} FOR EACH ROW BEGIN\n{body}END")


def _postgres(table: str) -> None:
    # One statement's rows at once (transition tables), not a trigger call for each row: an
    # import of 2,000 residents marks its commune once.
    parts = []
    for event, rows in _EVENTS.items():
        inserts = "".join(
            f"INSERT INTO figure_changes (unit_id) "
            f"{_postgres_select(row.lower() + '_rows', *mark)};\n"
            for row in rows for mark in MARKS[table])
        parts.append(f"IF TG_OP = '{event}' THEN\n{inserts}END IF;\n")
    op.execute(f"CREATE FUNCTION figure_changes_{table}() RETURNS trigger LANGUAGE plpgsql "
               f"AS $$ BEGIN\n{''.join(parts)}RETURN NULL;\nEND $$")
    for event, rows in _EVENTS.items():
        referencing = " ".join(f"{row} TABLE AS {row.lower()}_rows" for row in rows)
        op.execute(f"CREATE TRIGGER figure_changes_{table}_{event.lower()} AFTER {event} ON "
                   f"{table} REFERENCING {referencing} FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION figure_changes_{table}()")


def upgrade() -> None:
    op.create_table('figure_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_changes'))
    )
    op.create_table('commune_figures',
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('sums', sa.JSON(), nullable=False),
    sa.Column('statuses', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['units.id'],
                            name=op.f('fk_commune_figures_commune_id_units')),
    sa.PrimaryKeyConstraint('commune_id', name=op.f('pk_commune_figures'))
    )
    op.create_table('figure_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_generation'))
    )
    op.execute("INSERT INTO figure_generation (id, generation) VALUES (1, 0)")
    # the handovers page's queue order (created_at, id): an allocation writes thousands of
    # supports at one instant, which the index of created_at alone left to a sort
    op.drop_index('ix_supports_created_at', table_name='supports')
    op.create_index('ix_supports_created_at_id', 'supports', ['created_at', 'id'])
    make = _postgres if op.get_bind().dialect.name == "postgresql" else _sqlite
    for table in MARKS:
        make(table)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in MARKS:
        for event in _EVENTS:
            op.execute(f"DROP TRIGGER figure_changes_{table}_{event.lower()}"
                       + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION figure_changes_{table}()")
    op.drop_index('ix_supports_created_at_id', table_name='supports')
    op.create_index('ix_supports_created_at', 'supports', ['created_at'])
    op.drop_table('figure_generation')
    op.drop_table('commune_figures')
    op.drop_table('figure_changes')
