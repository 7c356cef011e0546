"""For tests that commit a commune's own list: the list posted for objections (issue 18) a
full period before `now`, so that its posting has ended and nobody objected."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.model import Actor, Unit
from core.ports import UnitOfWorkFactory
from core.posting import Posting
from core.services import allocation, posting

DAYS = 7


async def posted_before(uow: UnitOfWorkFactory, actor: Actor, commune: Unit, on: date,
                        now: datetime, per_person: int = allocation.DEFAULT_PER_PERSON
                        ) -> Posting:
    """The commune's list as it stands, posted DAYS days (and a minute) before `now`."""
    async with uow() as u:
        done = await posting.open_posting(u, actor, commune, on,
                                          now - timedelta(days=DAYS, minutes=1), DAYS,
                                          per_person)
        await u.commit()
    return done
