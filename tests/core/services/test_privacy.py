"""Decree 13: one person's data on request, and its erasure, which the ledger survives."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from core.errors import RuleError
from core.ledger import first_bad
from core.model import Actor, Role, Status
from core.services import handover as handovers
from core.services import privacy, registry
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handover_setup import (
    ALL_DONE,
    IMEI,
    NGHIA_TA,
    THAO,
    TODAY,
    Scene,
    scene,
    waiting_resident,
)

CCCD = "006075000123"  # born 1975 in Bac Kan, a man
PHONE = "0912345678"


async def handed_over(uow: SqlUnitOfWorkFactory, now: datetime) -> tuple[Scene, int]:
    """Thao, with a citizen ID and phone, handed a phone: data in every table."""
    place = await scene(uow, now)
    resident, support = await waiting_resident(uow, place, now)
    async with uow() as u:
        await registry.update_resident(u, SYSTEM, resident.id, registry.ResidentForm(
            THAO, resident.date_of_birth, False, citizen_id=CCCD, phone=PHONE), now, TODAY)
        await handovers.record_handover(u, place.actor, support.id, IMEI, ALL_DONE, now)
        await u.commit()
    return place, resident.id


async def test_the_export_holds_everything_about_the_person(uow: SqlUnitOfWorkFactory,
                                                           now: datetime) -> None:
    place, resident_id = await handed_over(uow, now)
    async with uow() as u:
        data = await privacy.personal_data(u, place.actor, resident_id, now)
        await u.commit()
        trail = await u.audit.for_entity("resident", resident_id)
    text = json.dumps(data, ensure_ascii=False)
    assert CCCD in text and THAO in text and IMEI in text and PHONE[1:] in text
    assert trail[-1].action == "export" and trail[-1].after is None


async def test_erasure_removes_who_the_person_is_and_keeps_what_was_given(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    place, resident_id = await handed_over(uow, now)
    async with uow() as u:
        erased = await privacy.erase(u, place.actor, resident_id, now)
        await u.commit()
    assert erased.full_name == f"#{resident_id}" and erased.citizen_id is None
    assert erased.phone is None and erased.date_of_birth.month == erased.date_of_birth.day == 1
    assert erased.status is Status.REJECTED  # out of the queue
    async with uow() as u:
        trail = await u.audit.for_entity("resident", resident_id)
        support = await u.supports.active_for(resident_id)
        household = await u.households.get(erased.household_id)
        entries = await u.ledger.all()
        with pytest.raises(RuleError) as again:
            await privacy.erase(u, SYSTEM, resident_id, now)
    shown = json.dumps([(e.before, e.after) for e in trail], ensure_ascii=False)
    assert CCCD not in shown and THAO not in shown and PHONE not in shown
    assert trail[-1].action == "erase" and (trail[-1].before, trail[-1].after) == (None, None)
    assert support is not None  # what the programme gave stays counted
    assert household is not None and household.head_name == f"#{resident_id}"
    assert first_bad(entries) is None and entries  # the ledger held pseudonyms only
    assert again.value.key == "privacy-already-erased"


async def test_an_officer_of_another_commune_can_neither_read_nor_erase(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    _, resident_id = await handed_over(uow, now)
    async with uow() as u:
        other = await u.units.by_code("2023", NGHIA_TA)
        assert other is not None
        outsider = Actor(label="other", role=Role.COMMUNE, unit_id=other.id)
        for call in (privacy.personal_data, privacy.erase):
            with pytest.raises(RuleError) as refused:
                await call(u, outsider, resident_id, now)
            assert refused.value.key == "scope-outside-unit"
        unchanged = await u.residents.get(resident_id)
    assert unchanged is not None and unchanged.citizen_id == CCCD
