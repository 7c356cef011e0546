"""Registry services on an in-memory unit of work: households, residents, duplicates,
approval, audit (what needs SQL to check is in tests/storage/test_registry_sql.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from bot.seed import read_unit_file
from core.errors import RuleError
from core.model import Actor, Gender, Policy, Poverty, Role, Status, Unit
from core.ports import UnitOfWorkFactory
from core.services import registry
from core.services.units import find_unit, import_units
from tests.conftest import SYSTEM
from tests.fakes.uow import FakeUnitOfWorkFactory


@pytest.fixture
def uow(fake_uow: FakeUnitOfWorkFactory) -> FakeUnitOfWorkFactory:
    """These rules need no SQL: they run on the in-memory unit of work."""
    return fake_uow

TODAY = date(2023, 9, 12)


async def load_units(uow: UnitOfWorkFactory, now: datetime) -> None:
    dataset, records = read_unit_file()
    async with uow() as u:
        await import_units(u, SYSTEM, dataset, records, now)
        await u.commit()


async def village(uow: UnitOfWorkFactory, name: str) -> Unit:
    async with uow() as u:
        return await find_unit(u, "2023", name)


def household_form(village_id: int, code: str | None = "CM-01") -> registry.HouseholdForm:
    return registry.HouseholdForm(
        village_id=village_id, code=code, head_name="ho\u00e0ng v\u0103n  th\u00e0o",
        poverty=Poverty.POOR, policy=Policy.MERIT, has_smartphone=False,
    )


PERSON = registry.ResidentForm(
    full_name="Ho\u00e0ng V\u0103n Th\u00e0o", date_of_birth=date(1958, 2, 14),
    has_smartphone=False, citizen_id="006 058 011 223", phone="0912 345 678",
)


async def add_household(uow: UnitOfWorkFactory, now: datetime) -> int:
    """The shipped units, and one household in the village of Na Dam."""
    await load_units(uow, now)
    place = await village(uow, "na dam")
    async with uow() as u:
        h = await registry.register_household(u, SYSTEM, household_form(place.id), now)
        await u.commit()
    return h.id


@pytest.fixture
async def household(uow: UnitOfWorkFactory, now: datetime) -> int:
    return await add_household(uow, now)


async def test_resident_is_saved_normalised_and_awaits_approval(
    uow: UnitOfWorkFactory, household: int, now: datetime
) -> None:
    async with uow() as u:
        r = await registry.register_resident(u, SYSTEM, household, PERSON, now, TODAY)
        await u.commit()
    assert r.citizen_id == "006058011223"
    assert r.gender is Gender.MALE  # from digit 4 of the citizen ID
    assert r.phone == "+84912345678"
    assert r.status is Status.REGISTERED
    async with uow() as u:
        h = await u.households.get(household)
    assert h is not None and h.head_name == "Ho\u00e0ng V\u0103n Th\u00e0o"


async def test_same_name_and_birth_without_id_is_a_probable_duplicate(
    uow: UnitOfWorkFactory, household: int, now: datetime
) -> None:
    async with uow() as u:
        await registry.register_resident(u, SYSTEM, household, PERSON, now, TODAY)
        await u.commit()
    # typed in NFD and lower case: still the same person
    import unicodedata

    again = replace(PERSON, citizen_id=None,
                    full_name=unicodedata.normalize("NFD", PERSON.full_name.lower()))
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await registry.register_resident(u, SYSTEM, household, again, now, TODAY)
    assert err.value.key == "registry-duplicate-person"


async def test_minor_and_mismatched_id_are_refused(
    uow: UnitOfWorkFactory, household: int, now: datetime
) -> None:
    minor = replace(PERSON, citizen_id=None, date_of_birth=date(2006, 1, 1))
    wrong_year = replace(PERSON, date_of_birth=date(1959, 2, 14))
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await registry.register_resident(u, SYSTEM, household, minor, now, TODAY)
        assert err.value.key == "registry-minor"
        with pytest.raises(RuleError) as err:
            await registry.register_resident(u, SYSTEM, household, wrong_year, now, TODAY)
        assert err.value.key == "rules-cccd-year"


async def test_household_code_used_twice_in_a_commune_is_named(
    uow: UnitOfWorkFactory, household: int, now: datetime
) -> None:
    place = await village(uow, "Khu\u1ed5i Lu\u00f4ng")
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await registry.register_household(u, SYSTEM, household_form(place.id), now)
    assert err.value.key == "registry-household-code-taken"
    assert err.value.params["head"] == "Ho\u00e0ng V\u0103n Th\u00e0o"


async def test_household_without_code_gets_one(
    uow: UnitOfWorkFactory, household: int, now: datetime
) -> None:
    place = await village(uow, "na dam")
    async with uow() as u:
        h = await registry.register_household(u, SYSTEM, household_form(place.id, None), now)
    assert h.code.startswith(place.code)


async def test_village_head_registers_only_in_own_village(
    uow: UnitOfWorkFactory, household: int, now: datetime
) -> None:
    elsewhere = await village(uow, "b\u1ea3n chang")
    head = Actor(label="t", official_id=None, role=Role.VILLAGE_HEAD, unit_id=elsewhere.id)
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await registry.register_resident(u, head, household, PERSON, now, TODAY)
    assert err.value.key == "scope-outside-unit"


async def test_approve_and_reject_are_audited_with_before_and_after(
    uow: UnitOfWorkFactory, household: int, now: datetime
) -> None:
    async with uow() as u:
        r = await registry.register_resident(u, SYSTEM, household, PERSON, now, TODAY)
        approved = await registry.approve(u, SYSTEM, r.id, now)
        again = await registry.approve(u, SYSTEM, r.id, now)
        await u.commit()
    assert approved.status is Status.APPROVED and again == approved
    async with uow() as u:
        with pytest.raises(RuleError):
            await registry.reject(u, SYSTEM, r.id, "   ", now)
        rejected = await registry.reject(u, SYSTEM, r.id, "  has  a phone ", now)
        await u.commit()
        trail = await u.audit.for_entity("resident", r.id)
    assert rejected.reject_reason == "has a phone"
    assert [e.action for e in trail] == ["register", "approve", "reject"]
    assert trail[1].before == {"status": "registered", "approved_at": None}
    assert trail[2].after is not None and trail[2].after["status"] == "rejected"


# ---- a citizen ID typed anywhere (issue 15, item 1) ---------------------------------------
# Worked by hand: Thao's ID is held in Na Dam (xa Con Minh). A village head of Khuoi Luong
# (same commune, another village) and a commune officer of another district's commune are
# outside: they hear only "registered in another place", with no name, date or household.
# The commune officer of Con Minh is inside and hears who it is. Every one of the three
# hits is in the trail under xa Con Minh (so its officer sees the case), naming both
# records' places, even though none of the three callers committed.


async def _hit(uow: UnitOfWorkFactory, actor: Actor, household: int, now: datetime
               ) -> RuleError:
    other = replace(PERSON, full_name="L\u00f2 Th\u1ecb Mai")  # another name, Thao's ID
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await registry.register_resident(u, actor, household, other, now, TODAY)
    return err.value


async def _household_in(uow: UnitOfWorkFactory, place: Unit, code: str, now: datetime) -> int:
    async with uow() as u:
        h = await registry.register_household(u, SYSTEM, household_form(place.id, code), now)
        await u.commit()
    return h.id


async def test_an_id_held_outside_the_callers_unit_is_only_said_to_exist(
    uow: FakeUnitOfWorkFactory, household: int, now: datetime
) -> None:
    async with uow() as u:
        thao = await registry.register_resident(u, SYSTEM, household, PERSON, now, TODAY)
        await u.commit()
    na_dam = await village(uow, "na dam")
    khuoi_luong = await village(uow, "khuoi luong")
    assert khuoi_luong.parent_id == na_dam.parent_id
    head = Actor(label="head", official_id=7, role=Role.VILLAGE_HEAD, unit_id=khuoi_luong.id)
    theirs = await _household_in(uow, khuoi_luong, "KL-01", now)
    err = await _hit(uow, head, theirs, now)
    assert err.key == "registry-citizen-id-elsewhere"
    assert err.params == {}
    [entry] = [e for e in uow.data.audit if e.action == "id-conflict"]
    assert (entry.entity, entry.entity_id, entry.unit_id) == ("resident", thao.id,
                                                              thao.commune_id)
    assert entry.actor.label == "head"
    assert entry.after is not None and entry.after["outside"] is True
    assert "N\u00e0 D\u0103m" in str(entry.after["held_in"])
    assert "006058011223" not in repr(entry)


async def test_an_id_held_inside_the_callers_unit_is_named_and_audited(
    uow: FakeUnitOfWorkFactory, household: int, now: datetime
) -> None:
    async with uow() as u:
        await registry.register_resident(u, SYSTEM, household, PERSON, now, TODAY)
        await u.commit()
    na_dam = await village(uow, "na dam")
    assert na_dam.parent_id is not None
    officer = Actor(label="xa", official_id=8, role=Role.COMMUNE, unit_id=na_dam.parent_id)
    theirs = await _household_in(uow, na_dam, "CM-02", now)
    err = await _hit(uow, officer, theirs, now)
    assert err.key == "registry-duplicate-citizen-id"
    assert err.params["household"] == "CM-01"
    [entry] = [e for e in uow.data.audit if e.action == "id-conflict"]
    assert entry.after is not None and entry.after["outside"] is False


async def test_an_officer_of_another_commune_learns_nothing_of_the_holder(
    uow: FakeUnitOfWorkFactory, household: int, now: datetime
) -> None:
    async with uow() as u:
        await registry.register_resident(u, SYSTEM, household, PERSON, now, TODAY)
        await u.commit()
        na_dam = await find_unit(u, "2023", "na dam")
        units = [x for x in await u.units.all("2023")
                 if x.level.value == "village" and x.parent_id != na_dam.parent_id]
    elsewhere = units[0]
    assert elsewhere.parent_id is not None
    officer = Actor(label="xa khac", official_id=9, role=Role.COMMUNE,
                    unit_id=elsewhere.parent_id)
    theirs = await _household_in(uow, elsewhere, "XX-01", now)
    err = await _hit(uow, officer, theirs, now)
    assert err.key == "registry-citizen-id-elsewhere" and err.params == {}
    [entry] = [e for e in uow.data.audit if e.action == "id-conflict"]
    assert entry.unit_id == na_dam.parent_id  # the holder's commune: its officer's case
