"""The pledge service on an in-memory unit of work: checks, codes, where to give, the export
rows."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.seed import read_unit_file
from core.codes import ALPHABET, looks_like_code
from core.errors import RuleError
from core.model import Level, Pledge, PledgeKind, PledgeStatus, Unit
from core.ports import UnitOfWorkFactory
from core.services import pledges as service
from core.services.pledges import PledgeForm, make_pledge, where_to_give
from core.services.units import import_units
from tests.conftest import SYSTEM
from tests.fakes.uow import FakeUnitOfWorkFactory


@pytest.fixture
def uow(fake_uow: FakeUnitOfWorkFactory) -> FakeUnitOfWorkFactory:
    """These rules need no SQL: they run on the in-memory unit of work."""
    return fake_uow

PHONES = PledgeForm(PledgeKind.PHONES, quantity=3, condition="new")
MONEY = PledgeForm(PledgeKind.MONEY, amount=2_000_000)


@pytest.fixture
async def units(uow: UnitOfWorkFactory, now: datetime) -> dict[str, Unit]:
    """The shipped 2023 units, by code."""
    dataset, records = read_unit_file()
    async with uow() as u:
        await import_units(u, SYSTEM, dataset, records, now)
        await u.commit()
        return {x.code: x for x in await u.units.all(dataset)}


async def make(uow: UnitOfWorkFactory, form: PledgeForm, now: datetime) -> Pledge:
    async with uow() as u:
        pledge = await make_pledge(u, SYSTEM, form, "web", None, now)
        await u.commit()
    return pledge


async def test_codes_are_unique_and_typeable(
    uow: UnitOfWorkFactory, units: dict[str, Unit], now: datetime
) -> None:
    codes = [(await make(uow, MONEY, now)).code for _ in range(30)]
    assert len(set(codes)) == 30
    pattern = re.compile(f"UH-[{ALPHABET}]{{7}}")
    assert all(pattern.fullmatch(c) for c in codes)
    # not mistaken for an invite code when a donor pastes it into the chat
    assert not any(looks_like_code(c) for c in codes)
    typed = codes[0].lower().replace("-", " ")
    async with uow() as u:
        found = await service.find_pledge(u, typed)
    assert found is not None and found.code == codes[0]


def test_pledge_code_refuses_what_cannot_be_a_code() -> None:
    assert service.pledge_code("uh-acde 234") == "UH-ACDE234"
    assert service.pledge_code("UH-ACDE23") is None  # too short
    assert service.pledge_code("UH-ACDE230") is None  # 0 is never used
    assert service.pledge_code("XX-ACDE234") is None


async def test_saved_pledge_is_pledged_and_audited(
    uow: UnitOfWorkFactory, units: dict[str, Unit], now: datetime
) -> None:
    form = PledgeForm(
        PledgeKind.PHONES,
        quantity=2,
        condition="used",
        model="  Nokia C21 ",
        commune_id=units["02173"].id,
        donor_name="  fpt   Shop ",
        contact="0912.345.678",
        amount=5,
    )  # amount: another kind's, dropped
    pledge = await make(uow, form, now)
    assert pledge.status is PledgeStatus.PLEDGED and pledge.created_at == now
    assert (pledge.model, pledge.donor_name, pledge.contact) == (
        "Nokia C21",
        "fpt Shop",
        "+84912345678",
    )
    assert pledge.amount is None
    async with uow() as u:
        trail = await u.audit.for_entity("pledge", pledge.id)
    assert [e.action for e in trail] == ["create"]
    assert trail[0].after is not None and trail[0].after["code"] == pledge.code


@pytest.mark.parametrize(
    ("form", "key"),
    [
        (PledgeForm(PledgeKind.PHONES, quantity=0, condition="new"), "pledge-quantity-range"),
        (PledgeForm(PledgeKind.PHONES, quantity=10_001, condition="new"), "pledge-quantity-range"),
        (PledgeForm(PledgeKind.PHONES, quantity=1, condition="broken"), "pledge-condition-invalid"),
        (
            PledgeForm(PledgeKind.PHONES, quantity=1, condition="new", model="x" * 201),
            "pledge-model-too-long",
        ),
        (PledgeForm(PledgeKind.MONEY, amount=0), "rules-money-positive"),
        (PledgeForm(PledgeKind.MONEY), "rules-money-positive"),
        (PledgeForm(PledgeKind.OFFER, offer="-10%"), "pledge-offer-length"),
        (PledgeForm(PledgeKind.OFFER, offer="x" * 1001), "pledge-offer-length"),
        (PledgeForm(PledgeKind.MONEY, amount=1, donor_name="1"), "pledge-donor-short"),
        (PledgeForm(PledgeKind.MONEY, amount=1, contact="12345"), "rules-phone-format"),
    ],
)
async def test_invalid_forms_are_refused_and_nothing_is_saved(
    uow: UnitOfWorkFactory, units: dict[str, Unit], now: datetime, form: PledgeForm, key: str
) -> None:
    with pytest.raises(RuleError) as err:
        await make(uow, form, now)
    assert err.value.key == key
    async with uow() as u:
        assert await u.pledges.all() == []


async def test_earmark_must_be_a_commune(
    uow: UnitOfWorkFactory, units: dict[str, Unit], now: datetime
) -> None:
    for not_commune in (units["066"].id, units["02173-01"].id, 999_999):
        with pytest.raises(RuleError) as err:
            await make(uow, PledgeForm(PledgeKind.MONEY, amount=1, commune_id=not_commune), now)
        assert err.value.key == "pledge-commune-invalid"


async def test_earmarked_gift_is_given_at_its_commune(
    uow: UnitOfWorkFactory, units: dict[str, Unit], now: datetime
) -> None:
    con_minh = units["02173"]
    pledge = await make(uow, PledgeForm(PledgeKind.MONEY, amount=1, commune_id=con_minh.id), now)
    async with uow() as u:
        place = await where_to_give(u, pledge, "2023")
    assert place.id == con_minh.id
    assert place.address is not None and "C\u00f4n Minh" in place.address


async def test_gift_for_anywhere_is_given_at_the_province(
    uow: UnitOfWorkFactory, units: dict[str, Unit], now: datetime
) -> None:
    pledge = await make(uow, MONEY, now)
    async with uow() as u:
        place = await where_to_give(u, pledge, "2023")
    assert place.level is Level.PROVINCE
    assert place.address is not None and place.address.startswith(
        "S\u1edf Th\u00f4ng tin v\u00e0 Truy\u1ec1n th\u00f4ng"
    )


async def test_export_rows_name_the_commune(
    uow: UnitOfWorkFactory, units: dict[str, Unit], now: datetime
) -> None:
    earmarked = await make(
        uow,
        PledgeForm(PledgeKind.PHONES, quantity=1, condition="new", commune_id=units["02071"].id),
        now,
    )
    anywhere = await make(uow, MONEY, now)
    async with uow() as u:
        rows = await service.export_pledges(u)
    assert [(r.pledge.code, r.commune, r.commune_code) for r in rows] == [
        (earmarked.code, "X\u00e3 Ngh\u0129a T\u00e1", "02071"),
        (anywhere.code, None, None),
    ]


@pytest.mark.parametrize(
    ("typed", "quantity"),
    [("5", 5), ("5 chi\u1ebfc", 5), ("10 c\u00e1i", 10), ("1.000", 1000), ("2 phones", 2)],
)
def test_quantity_as_donors_type_it(typed: str, quantity: int) -> None:
    assert service.parse_quantity(typed) == quantity


@pytest.mark.parametrize("typed", ["", "five", "5.5", "-3", "1.00"])
def test_quantity_that_cannot_be_read(typed: str) -> None:
    with pytest.raises(RuleError) as err:
        service.parse_quantity(typed)
    assert err.value.key == "pledge-quantity-format"
