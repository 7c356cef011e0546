"""The name search of the admin list: a prefix of any word of the folded name, by an index.

A name matches a search when the folded search text starts the folded name at one of its
words ("an", "van an" and "nong van" all find "Nong Van An"). Each resident keeps one row per
word start in resident_name_tails, so a search is one range of that table's index instead
of a scan of every name.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def name_match(name: str, ids: Sequence[int] | None) -> ColumnElement[bool]:
    """Residents whose folded name starts, at one of its words, with the folded search.

    A rare name comes with the ids of its residents, looked up in the index beforehand
    (matches): they are read by id, whatever the planner guesses of the place asked. A common
    one (ids None) is tested on each resident's own name_key as residents are read in id
    order, where a page fills within a few hundred rows.
    """
    if ids is not None:
        return ResidentRow.id.in_(list(ids))
    like = _like_escape(fold(name))
    return or_(ResidentRow.name_key.like(f"{like}%", escape="\\"),
               ResidentRow.name_key.like(f"% {like}%", escape="\\"))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def matches(session: AsyncSession, name: str) -> list[int] | None:
    """The ids of the residents whose names match, from the index, when no more than COMMON
    of its rows do (read no further); None for a common name.

    The ids go to the query as a list rather than as a subquery of the index: PostgreSQL
    cannot estimate how many residents a wide place holds (a test on each one's commune), and
    where it guessed a few hundred (at 100,000 residents) it tested the name on every
    resident of the place, one probe of the index each, instead of reading the few matches.
    """
    key = fold(name)
    found = (await session.scalars(select(T.resident_id).where(
        T.tail >= key, T.tail < _past(key)).limit(COMMON + 1))).all()
    return None if len(found) > COMMON else sorted(set(found))


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
