"""What every repository module shares: UTC times in and out (the column type every time
column uses), bulk inserts, chunk size, and INSERT ... ON CONFLICT in the dialect at hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CursorResult,
    DateTime,
    Dialect,
    Result,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# storage.models builds its time columns from UtcDateTime below: nothing here imports it.

CHUNK = 500  # ids in one IN (...): well under SQLite's limit of bound parameters
BOUND_IDS = 1000  # past this, among() writes the ids into the statement


def among(column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """column IN (ids), for a list of any length: a province's fifty thousand units sent as
    bound values pass the drivers' limit (32,767 on asyncpg and SQLite), so a long list is
    written into the statement's text: one array constant on PostgreSQL (column =
    ANY('{...}')), a list on SQLite (whole numbers only: nothing to escape). Ten thousand
    ids as ten thousand values cost SQLAlchemy and PostgreSQL 30-60 ms each time a
    statement named them."""
    values = [int(i) for i in ids]
    if len(values) <= BOUND_IDS:
        return column.in_(values)  # type: ignore[no-any-return]
    return _Among(column, values)


class _Among(ColumnElement[bool]):
    """A long among(): compiled for the dialect at hand (below)."""

    type = Boolean()
    inherit_cache = False  # the ids are the statement: nothing to cache it under

    def __init__(self, column: Any, values: list[int]) -> None:
        self.column = column
        self.values = values


@compiles(_Among, "postgresql")
def _among_postgresql(element: _Among, compiler: Any, **kw: Any) -> str:
    # One array constant in the text, not a bound array: after five runs of a prepared
    # statement PostgreSQL may plan for any array, and the province's stock page went from
    # 0.3 s to 1.6 s at the sixth look. Whole numbers only (among() made them): nothing to
    # escape.
    array = ",".join(map(str, element.values))
    return f"{compiler.process(element.column, **kw)} = ANY('{{{array}}}'::integer[])"


@compiles(_Among)
def _among_written(element: _Among, compiler: Any, **kw: Any) -> str:
    written: Any = bindparam(None, element.values, expanding=True, literal_execute=True)
    return str(compiler.process(element.column.in_(written), **kw))

# How a name is folded for search (core.names.name_key in production).
Folder = Callable[[str], str]

# An INSERT that can skip rows already there: both dialects' Insert has on_conflict_do_nothing.
ConflictInsert = Callable[[Any], postgresql.Insert | sqlite.Insert]


def utc(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def to_utc(value: datetime) -> datetime:
    """An aware datetime as UTC; a naive one is a programming error (whose clock was it?)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} given to storage: pass an aware one")
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Every time column: written as UTC whatever zone the caller's datetime is in (SQLite
    keeps no offset, so 23:30+07:00 would otherwise be read back as 23:30 UTC), naive refused;
    read back aware, in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else to_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite gives back what it was given, without an offset: it was written as UTC
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)


def conflict_insert(session: AsyncSession) -> ConflictInsert:
    """INSERT ... ON CONFLICT DO NOTHING in the dialect at hand."""
    return postgresql.insert if dialect(session) == "postgresql" else sqlite.insert


def changed(result: Result[Any]) -> bool:
    """Whether an INSERT, UPDATE or DELETE touched a row (session.execute types its result
    as a plain Result; for those statements it is a CursorResult)."""
    return bool(cast(CursorResult[Any], result).rowcount)


def dialect(session: AsyncSession) -> str:
    """The name of the database's dialect: "sqlite" or "postgresql"."""
    bind = session.bind
    if bind is None:
        raise RuntimeError("session not bound to an engine")
    return bind.dialect.name


GROWN = "phocap-rows-inserted"  # session.info: table name -> rows insert_all added
STALE_ROWS = 1000  # fewer rows added than this never make a table's statistics wrong
STALE_SHARE = 0.5  # nor fewer than this share of the rows it held when last analysed


async def refresh_statistics(session: AsyncSession) -> list[str]:
    """After a commit: ANALYZE each table that insert_all has grown by half or more since
    its statistics were taken (PostgreSQL; the tables it analysed).

    The planner reads a table's size and spread from statistics that autovacuum renews once
    a minute at best (and not at all where it is off): an import of 100,000 people into a
    new register went on planning its look-ups for an empty table, a sequential scan each,
    and ran at 490 rows/s instead of thousands. The sizes double between two ANALYZEs, so a
    table of n rows is analysed about log2(n) times while it grows."""
    grown: dict[str, int] = session.info.get(GROWN, {})  # kept on PostgreSQL only
    names = [name for name, rows in grown.items() if rows >= STALE_ROWS]
    if not names:
        return []
    known = {str(name): float(rows) for name, rows in await session.execute(text(
        "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:names)"),
        {"names": names})}
    stale = [n for n in names if grown[n] >= STALE_SHARE * max(0.0, known.get(n, 0.0))]
    for name in stale:
        await session.execute(text(f'ANALYZE "{name}"'))  # a table of ours: no user text
        grown.pop(name)
    if stale:
        await session.commit()
    return stale


async def insert_all(
    session: AsyncSession, model: type[DeclarativeBase], rows: Sequence[dict[str, object]]
) -> list[int]:
    """Insert many rows in a few statements (not one flush each); their ids, in row order."""
    if not rows:
        return []
    # The table, not the ORM class: the ORM's bulk INSERT leaves out the keys that are None
    # and starts a new statement whenever that set changes (a phone, then money, ...).
    table = cast(Table, model.__table__)
    key = table.primary_key.columns[0]
    if dialect(session) != "sqlite":
        grown: dict[str, int] = session.info.setdefault(GROWN, {})  # refresh_statistics
        grown[table.name] = grown.get(table.name, 0) + len(rows)
        # multi-row INSERT ... RETURNING, its rows put back in parameter order by SQLAlchemy
        statement = insert(table).returning(key, sort_by_parameter_order=True)
        return [int(i) for i in (await session.scalars(statement, list(rows))).all()]
    # SQLite: SQLAlchemy would send such a RETURNING one row at a time to keep the order.
    # A row gets one more than the largest rowid (SQLite's documented algorithm) and this
    # transaction holds the only write lock from its first write: the ids are consecutive.
    await session.execute(insert(table), list(rows))
    last = int(await session.scalar(select(func.max(key))) or 0)
    return list(range(last - len(rows) + 1, last + 1))
