"""The monthly report from the database (uow.views.report_input): the SQL sums equal the
hand-worked ones, on SQLite and PostgreSQL. Its documents are tested from the same story in
tests/documents/test_report_documents.py.

The data set is the story told in tests/core/test_figures.py, written through the
repositories and the registry's services.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from core.figures import Month, ReportInput, Standing, Tally, compute
from core.i18n import load_catalogue
from core.model import (
    Confirmation,
    Handover,
    Pledge,
    PledgeKind,
    PledgeStatus,
    Policy,
    Poverty,
    Receipt,
    Support,
    SupportKind,
    SupportStatus,
    Transfer,
    Unit,
)
from core.priority import Support as Queue
from core.priority import rank
from core.services import registry
from core.services.reports import monthly_report
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.test_figures import (
    A1,
    B1,
    OCTOBER,
    SEPTEMBER,
    UNITS,
    A,
    B,
    D,
    P,
    expected_input,
)

TEXTS = load_catalogue()
M = 1_000_000
NAMES = dict(zip(("a1", "a2", "a3", "a4", "a5", "a6", "a7", "b1", "b2", "b3", "b4", "b5"),
                 ("An", "B\u00ecnh", "C\u01b0\u1eddng", "D\u0169ng", "Giang", "H\u00e0",
                  "Kh\u00e1nh", "Linh", "Minh", "Nam", "Ph\u00fac", "Qu\u00e2n"), strict=True))


def at(day: str, hour: int = 3, minute: int = 0) -> datetime:
    """A UTC moment on a day written dd/mm (2023)."""
    d, m = (int(x) for x in day.split("/"))
    return datetime(2023, m, d, hour, minute, tzinfo=UTC)


def text(key: str, /, **params: object) -> str:
    return TEXTS.text(key, "vi", **params)


async def build_units(u: SqlUnitOfWorkFactory) -> list[Unit]:
    """The units of tests/core/test_figures.py, pilot marks and surveys with them."""
    async with u() as uow:
        saved: dict[str, Unit] = {}
        codes = {x.id: x.code for x in UNITS}
        for unit in UNITS:
            parent_id = saved[codes[unit.parent_id]].id if unit.parent_id else None
            saved[unit.code] = await uow.units.save(replace(unit, id=0, parent_id=parent_id))
        await uow.commit()
    return list(saved.values())


class Story:
    """Writes the data set, one unit of work per step, as officials would."""

    def __init__(self, u: SqlUnitOfWorkFactory, units: list[Unit]) -> None:
        self.u = u
        self.unit = {x.code: x for x in units}
        self.people: dict[str, int] = {}

    async def household(self, village: str, poverty: Poverty, policy: Policy,
                        phone: bool = False) -> int:
        async with self.u() as uow:
            form = registry.HouseholdForm(self.unit[village].id, "Ch\u1ee7 h\u1ed9",
                                          poverty, policy, phone)
            h = await registry.register_household(uow, SYSTEM, form, at("01/08"))
            await uow.commit()
        return h.id

    async def person(self, key: str, household: int, born: int, registered: datetime,
                     approved: datetime | None = None, phone: bool = False,
                     rejected: datetime | None = None) -> None:
        async with self.u() as uow:
            form = registry.ResidentForm(f"N\u00f4ng V\u0103n {NAMES[key]}",
                                         date(born, 1, 1), phone)
            r = await registry.register_resident(uow, SYSTEM, household, form, registered,
                                                 registered.date())
            if approved is not None:
                await registry.approve(uow, SYSTEM, r.id, approved)
            if rejected is not None:
                await registry.reject(uow, SYSTEM, r.id, "kh\u00f4ng c\u01b0 tr\u00fa", rejected)
            await uow.commit()
        self.people[key] = r.id

    async def support(self, key: str, kind: SupportKind, commune: str, created: datetime,
                      status: SupportStatus = SupportStatus.ASSIGNED, amount: int = 0,
                      holder: str | None = None) -> int:
        async with self.u() as uow:
            [s] = await uow.supports.add(Support(
                id=0, resident_id=self.people[key], kind=kind, commune_id=self.unit[commune].id,
                status=status, created_at=created, amount=amount,
                holder_unit_id=self.unit[holder].id if holder else None))
            await uow.commit()
        return s.id

    async def handover(self, support_id: int, code: str, handed: datetime,
                       confirmed: datetime | None = None,
                       how: Confirmation = Confirmation.CONFIRMED) -> None:
        async with self.u() as uow:
            h = await uow.handovers.add(Handover(id=0, support_id=support_id, code=code,
                                                 handed_at=handed))
            support = await uow.supports.get(support_id)
            assert support is not None
            status = SupportStatus.CONFIRMED if confirmed else SupportStatus.HANDED_OVER
            await uow.supports.update(replace(support, status=status))
            if confirmed is not None:
                await uow.handovers.update(replace(h, confirmed_at=confirmed, confirmation=how,
                                                   confirmed_via="paper"))
            await uow.commit()

    async def pledge(self, code: str, kind: PledgeKind, created: datetime, quantity: int = 0,
                     amount: int = 0, commune: str | None = None,
                     status: PledgeStatus = PledgeStatus.PLEDGED) -> None:
        async with self.u() as uow:
            await uow.pledges.add(Pledge(
                id=0, code=code, kind=kind, status=status, created_at=created,
                quantity=quantity or None, amount=amount or None,
                offer="gi\u1ea3m 30%" if kind is PledgeKind.OFFER else None,
                commune_id=self.unit[commune].id if commune else None))
            await uow.commit()

    async def receipt(self, number: str, unit: str, received: datetime, phones: int = 0,
                      money: int = 0) -> None:
        async with self.u() as uow:
            await uow.receipts.add(Receipt(id=0, number=number, unit_id=self.unit[unit].id,
                                           received_at=received, phones=phones, money=money))
            await uow.commit()

    async def transfer(self, source: str, target: str, moment: datetime, phones: int = 0,
                       money: int = 0) -> None:
        async with self.u() as uow:
            await uow.receipts.add_transfers(Transfer(
                id=0, from_unit_id=self.unit[source].id, to_unit_id=self.unit[target].id,
                at=moment, phones=phones, money=money))
            await uow.commit()


async def tell(story: Story) -> None:
    """The story of tests/core/test_figures.py, event by event."""
    s = story
    ha1 = await s.household(A1, Poverty.POOR, Policy.MERIT)
    ha2 = await s.household(A1, Poverty.NEAR_POOR, Policy.NONE)
    ha3 = await s.household(A1, Poverty.NONE, Policy.NONE)
    ha4 = await s.household(A1, Poverty.POOR, Policy.SOCIAL)
    hb1 = await s.household(B1, Poverty.POOR, Policy.NONE)
    hb2 = await s.household(B1, Poverty.NEAR_POOR, Policy.MERIT)
    hb3 = await s.household(B1, Poverty.POOR, Policy.NONE)
    hb4 = await s.household(B1, Poverty.NEAR_POOR, Policy.NONE, phone=True)
    await s.person("a1", ha1, 1970, at("20/08"), at("25/08"))
    await s.person("a2", ha1, 1980, at("02/09"), at("03/09"))
    await s.person("a3", ha2, 1990, at("04/09"), at("30/09", 17, 30))  # 01/10 local
    await s.person("a4", ha2, 1960, at("04/09"), phone=True)
    await s.person("a5", ha3, 1985, at("06/09"), at("07/09"))
    await s.person("a6", ha4, 1975, at("08/09"), at("09/09"))
    await s.person("a7", ha4, 1976, at("10/10"), rejected=at("11/10"))
    await s.person("b1", hb1, 1965, at("12/09"), at("13/09"))
    await s.person("b2", hb1, 1968, at("12/09"), at("13/09"))
    await s.person("b3", hb2, 1950, at("01/10"), at("02/10"))
    await s.person("b4", hb3, 1972, at("01/08"))
    await s.person("b5", hb4, 1980, at("15/09"), at("16/09"))

    await s.pledge("UH-AUG", PledgeKind.PHONES, at("31/08", 16, 59), quantity=2)
    await s.pledge("UH-MONEY", PledgeKind.MONEY, at("31/08", 17, 0), amount=10 * M)
    await s.pledge("UH-B", PledgeKind.PHONES, at("01/09"), quantity=5, commune=B)
    await s.pledge("UH-OFFER", PledgeKind.OFFER, at("03/10"), commune=A)
    await s.pledge("UH-GONE", PledgeKind.PHONES, at("05/09"), quantity=7,
                   status=PledgeStatus.CANCELLED)
    await s.receipt("BN-1", A, at("15/08"), phones=1)
    await s.receipt("BN-2", P, at("02/09"), phones=2)
    await s.receipt("BN-3", P, at("05/09"), money=10 * M)
    await s.receipt("BN-4", B, at("01/10", 2), phones=5)
    await s.transfer(P, A, at("03/09"), phones=1)
    await s.transfer(P, D, at("20/09"), money=1 * M)
    await s.transfer(P, A, at("01/10", 1), money=2 * M)

    w1 = await s.support("a1", SupportKind.WHOLE, A, at("05/09"), holder=A)
    await s.handover(w1, "HA1", at("10/09"), at("11/09"))
    p2 = await s.support("a2", SupportKind.PARTIAL, A, at("03/10"), amount=500_000, holder=P)
    await s.handover(p2, "HA2", at("05/10"))
    await s.support("a5", SupportKind.SHOP_OFFER, A, at("20/09"), SupportStatus.HANDED_OVER)
    await s.support("b5", SupportKind.WHOLE, B, at("18/09"), SupportStatus.CANCELLED, holder=P)
    w2 = await s.support("b2", SupportKind.WHOLE, B, at("02/10"), holder=B)
    await s.handover(w2, "HB2", at("04/10"), at("05/10"), Confirmation.PAPER)
    await s.support("b1", SupportKind.DIRECT_GIFT, B, at("20/10"), SupportStatus.HANDED_OVER)
    await s.support("b3", SupportKind.OTHER_PROGRAMME, B, at("25/10"),
                    SupportStatus.HANDED_OVER)


@pytest.fixture
async def story(uow: SqlUnitOfWorkFactory) -> Story:
    s = Story(uow, await build_units(uow))
    await tell(s)
    return s


def without_zeros(data: ReportInput) -> ReportInput:
    """The same input, dropping units with nothing to count (storage may leave them out)."""
    def tallies(m: object) -> dict[int, Tally]:
        return {k: v for k, v in m.items() if v != Tally()}  # type: ignore[attr-defined]

    def standings(m: object) -> dict[int, Standing]:
        return {k: v for k, v in m.items() if v != Standing()}  # type: ignore[attr-defined]

    return replace(
        data,
        units=sorted(data.units, key=lambda u: u.id),
        in_month=replace(data.in_month, tallies=tallies(data.in_month.tallies),
                         movements=list(data.in_month.movements)),
        to_date=replace(data.to_date, tallies=tallies(data.to_date.tallies),
                        movements=list(data.to_date.movements)),
        at_start=standings(data.at_start), at_end=standings(data.at_end),
    )


async def read(story: Story, month: Month) -> ReportInput:
    async with story.u() as uow:
        return await uow.views.report_input("test", month)


@pytest.mark.parametrize("month", [SEPTEMBER, OCTOBER], ids=["september", "october"])
async def test_sql_sums_equal_the_hand_worked_ones(story: Story, month: Month) -> None:
    units = list(story.unit.values())
    got = without_zeros(await read(story, month))
    want = without_zeros(expected_input(month, units))
    assert got.in_month == want.in_month
    assert got.to_date == want.to_date
    assert got.at_start == want.at_start
    assert got.at_end == want.at_end
    province = story.unit[P].id
    assert compute(got, province).figures == compute(want, province).figures


async def test_waiting_tiers_agree_with_the_priority_rules(story: Story) -> None:
    """At the end of the story, the SQL's tiers are those core.priority gives the candidates."""
    async with story.u() as uow:
        candidates = [c for commune in (A, B)
                      for c in await uow.residents.candidates(story.unit[commune].id)]
        report = await monthly_report(uow, "test", OCTOBER, story.unit[P].id)
    for queue, got in ((Queue.WHOLE, report.total.end.waiting_whole),
                       (Queue.PARTIAL, report.total.end.waiting_partial)):
        ranked = rank(candidates, queue, OCTOBER.last_day)
        assert tuple(sum(r.tier == t for r in ranked) for t in (1, 2, 3, 4)) == got
    assert report.total.end.waiting == 3
