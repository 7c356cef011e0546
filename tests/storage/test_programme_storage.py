"""The programme's bookkeeping tables: one support per person, the ledger chain, the outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from core.errors import RuleError
from core.ledger import first_bad
from core.messages import Reply
from core.model import Level, Policy, Poverty, Support, SupportKind, SupportStatus, Unit
from core.services import ledger, outbox, registry
from storage.models import LedgerRow
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM


async def resident(uow: SqlUnitOfWorkFactory, now: datetime) -> tuple[int, int]:
    async with uow() as u:
        p = await u.units.save(Unit(0, "2023", "06", "P", Level.PROVINCE))
        c = await u.units.save(Unit(0, "2023", "02173", "C", Level.COMMUNE, p.id))
        v = await u.units.save(Unit(0, "2023", "02173-01", "V", Level.VILLAGE, c.id))
        h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(
            v.id, "Hoang Van A", Poverty.POOR, Policy.NONE, False), now)
        r = await registry.register_resident(u, SYSTEM, h.id, registry.ResidentForm(
            "Hoang Van A", date(1970, 1, 1), False), now, date(2023, 9, 1))
        await u.commit()
    return r.id, c.id


async def test_a_person_cannot_hold_two_active_supports(
    uow: SqlUnitOfWorkFactory, now: datetime
) -> None:
    rid, cid = await resident(uow, now)
    first = Support(0, rid, SupportKind.WHOLE, cid, SupportStatus.ASSIGNED, now)
    async with uow() as u:
        [saved] = await u.supports.add(first)
        with pytest.raises(RuleError) as err:
            await u.supports.add(replace(first, kind=SupportKind.DIRECT_GIFT))
        assert err.value.key == "support-already-served"
        # a cancelled support frees the person again
        await u.supports.update(replace(saved, status=SupportStatus.CANCELLED))
        [again] = await u.supports.add(replace(first, kind=SupportKind.PARTIAL, amount=500_000))
        await u.commit()
    assert again.kind is SupportKind.PARTIAL


async def test_ledger_chain_verifies_and_names_the_first_changed_entry(
    uow: SqlUnitOfWorkFactory, now: datetime
) -> None:
    async with uow() as u:
        for n in range(4):
            await ledger.append(u, "receipt", {"n": n, "unit": "02173"}, now + timedelta(n))
        await u.commit()
    async with uow() as u:
        entries = await u.ledger.all()
        assert first_bad(entries) is None
        await u.session.execute(
            update(LedgerRow).where(LedgerRow.id == entries[2].id).values(payload={"n": 9})
        )
        await u.commit()
    async with uow() as u:
        bad = first_bad(await u.ledger.all())
    assert bad is not None and bad.id == entries[2].id


async def test_outbox_queues_one_message_per_dedupe_key(
    uow: SqlUnitOfWorkFactory, now: datetime
) -> None:
    async with uow() as u:
        chat = await u.chats.get_or_create("web", "abc", now)
        assert await outbox.enqueue(u, chat, Reply("menu-help"), "receipt:1:donor", now)
        assert not await outbox.enqueue(u, chat, Reply("menu-help"), "receipt:1:donor", now)
        await u.commit()
