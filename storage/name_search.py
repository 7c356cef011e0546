"""The name search of the admin list: a prefix of any word of the folded name, by an index.

A name matches a search when the folded search text starts the folded name at one of its
words ("an", "van an" and "nong van" all find "Nong Van An"). Each resident keeps one row per
word start in resident_name_tails, so a search is one range of that table's index instead
of a scan of every name.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, Text, cast, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.names import fold
from storage.models import ResidentNameTailRow, ResidentRow

T = ResidentNameTailRow
# Past this many residents a name is common: looking them all up costs more than reading
# residents in id order until a page is full (one in 500 at 1,000,000: 25,000 rows a page).
COMMON = 2000


def tails(name_key: str) -> list[str]:
    """The folded name from each of its words on."""
    words = name_key.split(" ")
    return [" ".join(words[i:]) for i in range(len(words)) if words[i]]


async def write_tails(session: AsyncSession, resident_id: int, name_key: str) -> None:
    """Replace a resident's tails with those of name_key (an erased name leaves none behind)."""
    await session.execute(delete(T).where(T.resident_id == resident_id))
    await session.execute(insert(T), [{"resident_id": resident_id, "tail": t}
                                      for t in tails(name_key)])


def name_match(name: str, common: bool = False) -> ColumnElement[bool]:
    """Residents whose folded name starts, at one of its words, with the folded search.

    A rare name is looked up in the index and its few residents read by id; a common one
    (see is_common) is tested on each resident's own name_key as residents are read in id
    order, where a page fills within a few hundred rows. (A test on the index per resident
    would do too on SQLite, but PostgreSQL turns it into a join over every match.)
    """
    key = fold(name)
    if common:
        like = _like_escape(key)
        return or_(ResidentRow.name_key.like(f"{like}%", escape="\\"),
                   ResidentRow.name_key.like(f"% {like}%", escape="\\"))
    return ResidentRow.id.in_(select(T.resident_id).where(T.tail >= key, T.tail < _past(key)))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def is_common(session: AsyncSession, name: str) -> bool:
    """More than COMMON residents' names start with it (counted no further, in the index)."""
    key = fold(name)
    some = select(T.resident_id).where(T.tail >= key, T.tail < _past(key)).limit(COMMON + 1)
    return int(await session.scalar(select(func.count()).select_from(some.subquery())) or 0
               ) > COMMON


def _past(key: str) -> str:
    """The first string after every string that starts with key (code point order)."""
    return key[:-1] + chr(ord(key[-1]) + 1)


def rebuild_tails(connection: Connection) -> None:
    """Every resident's tails from name_key, in one statement: for a migration or rows
    inserted in bulk, beside the repository."""
    position = func.strpos if connection.dialect.name == "postgresql" else func.instr
    # text, not varchar(200): PostgreSQL wants both terms of the recursion of one type
    start = select(ResidentRow.id.label("resident_id"),
                   cast(ResidentRow.name_key, Text).label("tail"))
    t = start.cte("t", recursive=True)
    rest = cast(func.substr(t.c.tail, position(t.c.tail, " ") + 1), Text)
    t = t.union_all(select(t.c.resident_id, rest).where(position(t.c.tail, " ") > 0))
    connection.execute(delete(T))
    connection.execute(insert(T).from_select(
        ["resident_id", "tail"], select(t.c.resident_id, t.c.tail).where(t.c.tail != "")))
