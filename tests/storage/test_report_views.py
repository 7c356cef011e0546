"""The monthly report from the database: the SQL sums equal the hand-worked ones, on SQLite
and PostgreSQL; the xlsx, text and JSON formats; 'phocap report' through the real command.

The data set is the story told in tests/core/test_figures.py, written through the
repositories and the registry's services.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.reports import TELEGRAM_LIMIT, ZALO_LIMIT, report_json, report_text, report_xlsx
from core.figures import Month, ReportInput, Standing, Tally, compute
from core.i18n import load_catalogue
from core.model import (
    Confirmation,
    Handover,
    Level,
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
from storage.db import make_engine, make_sessionmaker
from storage.report_queries import monthly_report, report_input
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.test_figures import (
    A1,
    B1,
    OCTOBER,
    SEPTEMBER,
    A,
    B,
    D,
    P,
    expected_input,
)

ROOT = Path(__file__).resolve().parent.parent
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
    async with u() as uow:
        saved: dict[str, Unit] = {}
        for unit in (
            Unit(0, "test", P, "T\u1ec9nh Th\u1eed", Level.PROVINCE, None, 100, 40),
            Unit(0, "test", D, "Huy\u1ec7n Th\u1eed", Level.DISTRICT, None),
            Unit(0, "test", A, "X\u00e3 A", Level.COMMUNE, None, 10, 6),
            Unit(0, "test", B, "X\u00e3 B", Level.COMMUNE, None, 20, 10),
            Unit(0, "test", A1, "Th\u00f4n A1", Level.VILLAGE, None),
            Unit(0, "test", B1, "Th\u00f4n B1", Level.VILLAGE, None),
        ):
            parent = {D: P, A: D, B: D, A1: A, B1: B}.get(unit.code)
            parent_id = saved[parent].id if parent else None
            saved[unit.code] = await uow.units.save(replace(unit, parent_id=parent_id))
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
        return await report_input(uow.session, "test", month)


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
        report = await monthly_report(uow.session, "test", OCTOBER, story.unit[P].id)
    for queue, got in ((Queue.WHOLE, report.total.end.waiting_whole),
                       (Queue.PARTIAL, report.total.end.waiting_partial)):
        ranked = rank(candidates, queue, OCTOBER.last_day)
        assert tuple(sum(r.tier == t for r in ranked) for t in (1, 2, 3, 4)) == got
    assert report.total.end.waiting == 3


async def test_xlsx_is_an_official_table_with_a_totals_row(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow.session, "test", SEPTEMBER, story.unit[P].id)
    book = load_workbook(io.BytesIO(report_xlsx(report, text)))
    ws = book.worksheets[0]
    assert ws["A1"].value == text("reports-title")
    assert ws["A1"].value.startswith("B\u00c1O C\u00c1O T\u00ccNH H\u00ccNH")
    assert "T\u1ec9nh Th\u1eed" in ws["A2"].value and "09/2023" in ws["A2"].value
    headers = [c.value for c in ws[4]]
    assert headers[:3] == ["STT", "\u0110\u01a1n v\u1ecb", "M\u00e3 \u0111\u01a1n v\u1ecb"]
    assert text("reports-col-received-phones") in headers
    assert ws.freeze_panes == "D5"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    codes = [ws.cell(r, 3).value for r in range(5, ws.max_row + 1)]
    # The province's and district's own lines, one per commune, then the totals.
    assert codes == [P, D, A, B, P]
    assert ws.cell(ws.max_row, 2).value == text("reports-total-row")
    assert ws.cell(5, 2).value == text("reports-own-row", name="T\u1ec9nh Th\u1eed")
    not_summed = {text(f"reports-col-{key}") for key in (
        "adults", "households", "coverage-start", "coverage-end", "coverage-change",
        "households-start", "households-end", "households-change")}
    summed = [col for col in range(4, ws.max_column + 1)
              if ws.cell(4, col).value not in not_summed]
    assert len(summed) == 30  # 19 flows, waiting and its 8 tiers, 2 on hand
    for col in summed:  # totals = the lines' sum
        values = [ws.cell(r, col).value or 0 for r in range(5, ws.max_row)]
        assert ws.cell(ws.max_row, col).value == sum(values), ws.cell(4, col).value
    received = headers.index(text("reports-col-received-money")) + 1
    assert ws.cell(ws.max_row, received).value == 10 * M
    assert ws.cell(ws.max_row, received).number_format == "#,##0"
    assert ws.cell(ws.max_row, received).border.left.style == "thin"  # framed, by style name
    coverage_end = headers.index(text("reports-col-coverage-end")) + 1
    assert ws.cell(ws.max_row, coverage_end).value == pytest.approx(0.93)
    assert ws.cell(ws.max_row, coverage_end).number_format == "0.0%"
    to_date = book.worksheets[1]
    assert to_date.title == text("reports-sheet-to-date")
    registered = headers.index(text("reports-col-registered")) + 1
    assert to_date.cell(to_date.max_row, registered).value == 9


async def test_text_fits_each_chat_and_keeps_every_unit(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow.session, "test", OCTOBER, story.unit[P].id)
    whole = report_text(report, text)
    assert len(whole) == 1
    assert "10.000.000" in whole[0]  # thousands with dots
    assert "96,0%" in whole[0]  # the province's coverage at the month's end
    for limit in (TELEGRAM_LIMIT, ZALO_LIMIT, 600, 300):
        pieces = report_text(report, text, limit)
        assert all(len(p) <= limit for p in pieces)
        joined = "\n".join(pieces)
        for name in ("T\u1ec9nh Th\u1eed", "Huy\u1ec7n Th\u1eed", "X\u00e3 A", "X\u00e3 B"):
            assert name in joined
    assert len(report_text(report, text, 600)) > 1


async def test_json_has_every_unit_shown_with_iso_dates(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow.session, "test", OCTOBER, story.unit[P].id)
    data = json.loads(json.dumps(report_json(report)))
    assert (data["month"], data["first_day"], data["last_day"]) == (
        "2023-10", "2023-10-01", "2023-10-31")
    assert data["start"] == "2023-09-30T17:00:00+00:00"
    units = {u["code"]: u for u in data["units"]}
    assert set(units) == {P, D, A, B}  # down to communes, as the text and the table
    assert units[B]["month"]["received_phones"] == 5
    assert units[P]["to_date"]["on_hand_money"] == 9_500_000
    assert units[P]["own"]["to_date"]["transferred_out_money"] == 3 * M
    assert units[A]["coverage"]["adults"]["end"] == pytest.approx(0.8)
    assert units[B]["end"]["waiting_partial"] == [0, 0, 1, 0]
    async with story.u() as uow:
        commune = await monthly_report(uow.session, "test", OCTOBER, story.unit[B].id)
    villages = {u["code"]: u for u in json.loads(json.dumps(report_json(commune)))["units"]}
    assert set(villages) == {B, B1}  # a commune's report goes down to its villages
    assert villages[B1]["end"]["waiting_partial"] == [0, 0, 1, 0]
    assert villages[B1]["parent"] == B


# ---- the command ------------------------------------------------------------------------------


def phocap(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True,
        text=True, encoding="utf-8", timeout=120, check=False,
    )


async def seed_shipped(url: str) -> None:
    """One registered resident in xa Con Minh and phones received at the province."""
    engine = make_engine(url)
    try:
        u = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        async with u() as uow:
            commune = await uow.units.by_code("2023", "02173")
            province = await uow.units.by_code("2023", "06")
            assert commune is not None and province is not None
            village = (await uow.units.children(commune.id))[0]
            h = await registry.register_household(uow, SYSTEM, registry.HouseholdForm(
                village.id, "Ho\u00e0ng V\u0103n An", Poverty.POOR, Policy.NONE, False),
                at("10/09"))
            await registry.register_resident(uow, SYSTEM, h.id, registry.ResidentForm(
                "Ho\u00e0ng V\u0103n An", date(1970, 1, 1), False), at("10/09"), date(2023, 9, 10))
            await uow.receipts.add(Receipt(id=0, number="BN-CLI", unit_id=province.id,
                                           received_at=at("12/09"), phones=3))
            await uow.commit()
    finally:
        await engine.dispose()


def shipped_database(tmp_path: Path) -> tuple[dict[str, str], str]:
    """A fresh SQLite database made by 'phocap init' and seeded; the command's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env.update(PHOCAP_DATABASE_URL=url, PHOCAP_CONFIG=str(tmp_path / "none.toml"),
               PHOCAP_ADMIN_PASSWORD="test-password-1", PHOCAP_LOCALE="vi",
               PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    assert phocap(env, tmp_path, "init").returncode == 0
    asyncio.run(seed_shipped(url))
    return env, url


def test_report_command_prints_json_text_and_writes_xlsx(tmp_path: Path) -> None:
    env, _ = shipped_database(tmp_path)

    done = phocap(env, tmp_path, "report", "--month", "2023-09", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    units = {u["code"]: u for u in data["units"]}
    communes = {"01837", "01870", "01912", "01951", "02017", "02071", "02122", "02173"}
    assert "06" in units and communes <= set(units)
    assert units["06"]["month"]["received_phones"] == 3
    assert units["02173"]["month"]["registered"] == 1
    assert units["02173"]["end"]["uncovered_adults"] == 1
    assert "registered" not in units["01837"]["month"]  # a count of zero is left out

    done = phocap(env, tmp_path, "report", "--month", "2023-09", "--unit", "Con Minh",
                  "--limit", str(ZALO_LIMIT))
    assert done.returncode == 0, done.stderr
    assert "X\u00e3 C\u00f4n Minh" in done.stdout

    target = tmp_path / "bao-cao.xlsx"
    done = phocap(env, tmp_path, "report", "--month", "2023-09", "--format", "xlsx",
                  "--out", str(target))
    assert done.returncode == 0, done.stderr
    ws = load_workbook(target).worksheets[0]
    codes = [ws.cell(r, 3).value for r in range(5, ws.max_row)]
    assert communes <= set(codes)

    bad = phocap(env, tmp_path, "report", "--month", "2023-13")
    assert bad.returncode == 1
    assert "2023-13" in bad.stderr
