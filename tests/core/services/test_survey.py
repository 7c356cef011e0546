"""Coverage on hand-made villages through the database (issue 18, item 2), with a gift, a
phone bought by the resident and receipts from two sources (items 1 and 6).

Xa Con Minh's first village V1 is given 10 adults and 4 households and is surveyed; its
second, V2, 8 adults and 3 households, is not. V1: household H1 (A, B), household H2 (C); A is
given a phone directly. V2: household H3 (D, E); D bought their own phone. By hand:
  V1: uncovered adults B, C = 2 -> 1 - 2/10 = 80 %; households: H1 served, H2 not -> 1 - 1/4
      = 75 %.
  V2: no figure ("not surveyed yet"), counted apart: 1 village, 1 person (E) uncovered.
  Con Minh and the province: over V1 only (10 adults): 80 %, 75 %; every other pilot village
  is counted apart too (49 in all for the province, none of them with people).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot.seed import read_unit_file
from core.errors import RuleError
from core.figures import Month
from core.i18n import load_catalogue
from core.model import Actor, Level, ReceiptSource, Role, SupportKind
from core.priority import VIETNAM
from core.report_runs import month_of
from core.services import survey
from core.services.gifts import record_gift, record_own_purchase
from core.services.receiving import ReceiptForm, record_receipt
from core.services.reports import monthly_report
from core.services.units import UnitRecord, import_units
from documents.report_text import report_text
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_allocation_service import adult
from tests.handover_setup import units

TEXTS = load_catalogue()


async def story(uow: SqlUnitOfWorkFactory, now: datetime) -> dict[str, int]:
    found = await units(uow, now)
    v1, v2 = found["02173-01"], found["02173-02"]
    ids = {"commune": found["02173"].id, "province": found["06"].id, "v1": v1.id, "v2": v2.id}
    async with uow() as u:
        for v, adults, homes in ((v1, 10, 4), (v2, 8, 3)):
            await survey.set_village_facts(u, SYSTEM, v.id, survey.VillageFacts(
                adults, homes, False), now)
        ids["a"], h1 = await adult(u, v1, None, "Ma Van A", now)
        ids["b"], _ = await adult(u, v1, h1, "Ma Van Ba", now)
        ids["c"], _ = await adult(u, v1, None, "Hoang Van Ca", now)
        ids["d"], h3 = await adult(u, v2, None, "La Van Duc", now)
        ids["e"], _ = await adult(u, v2, h3, "La Thi Em", now)
        await record_gift(u, SYSTEM, ids["a"], SupportKind.DIRECT_GIFT, "UBND huyen",
                          "Samsung A05", now)
        await record_own_purchase(u, SYSTEM, ids["d"], None, now)
        await survey.mark_survey_done(u, SYSTEM, v1.id, now)
        await record_receipt(u, SYSTEM, ReceiptForm(unit_id=ids["province"], phones=3,
                                                    source=ReceiptSource.STATE_BUDGET), now)
        await record_receipt(u, SYSTEM, ReceiptForm(unit_id=ids["commune"], money=2_000_000,
                                                    source=ReceiptSource.INDIVIDUAL), now)
        await u.commit()
    return ids


async def test_coverage_counts_the_surveyed_village_and_the_other_apart(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    ids = await story(uow, now)
    month = month_of(now, VIETNAM)
    async with uow() as u:
        report = await monthly_report(u, "2023", month, ids["province"])
    v1, v2 = report.figures[ids["v1"]], report.figures[ids["v2"]]
    assert (v1.adult_coverage.end, v1.household_coverage.end) == pytest.approx((0.8, 0.75))
    assert (v1.adults, v1.surveyed, v1.unsurveyed) == (10, 1, 0)
    assert (v2.adult_coverage.end, v2.household_coverage.end) == (None, None)
    assert (v2.unsurveyed, v2.unsurveyed_uncovered) == (1, 1)
    assert v1.adult_coverage.start is None  # surveyed during the month, not before it
    for unit in ("commune", "province"):
        f = report.figures[ids[unit]]
        assert (f.adult_coverage.end, f.household_coverage.end) == pytest.approx((0.8, 0.75))
        assert (f.adults, f.households, f.surveyed) == (10, 4, 1)
        assert f.unsurveyed_uncovered == 1
    assert report.total.unsurveyed == 49  # the 2023 set's 50 sample villages, but V1
    t = report.total.to_date
    assert (t.direct_gifts, t.own_purchases, t.served) == (1, 1, 1)  # own purchase: not ours
    assert (t.received_phones, t.received_phones_state_budget) == (3, 3)
    assert (t.received_money, t.received_money_individual) == (2_000_000, 2_000_000)
    assert t.received_money_state_budget == t.received_phones_individual == 0
    [text] = report_text(report, lambda key, **p: TEXTS.text(key, "vi", **p))
    assert TEXTS.text("gifts-text-sources", "vi", sources="; ".join((
        TEXTS.text("gifts-text-source", "vi", source_label="key:gifts-source-state_budget",
                   phones="3", money="0"),
        TEXTS.text("gifts-text-source", "vi", source_label="key:gifts-source-individual",
                   phones="0", money="2.000.000")))) in text
    assert TEXTS.text("coverage-text-survey", "vi", surveyed=1, villages=49, people="1") in text


async def test_next_month_still_counts_the_survey_and_an_import_keeps_it(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    ids = await story(uow, now)
    dataset, records = read_unit_file()
    async with uow() as u:  # the officials' file again: the survey is the programme's record
        await import_units(u, SYSTEM, dataset, records, now)
        await u.commit()
    month = month_of(now, VIETNAM)
    following = Month(month.year + month.month // 12, month.month % 12 + 1, VIETNAM)
    async with uow() as u:
        v1 = await u.units.get(ids["v1"])
        report = await monthly_report(u, "2023", following, ids["commune"])
    assert v1 is not None and v1.survey_done_at == now
    # the file carries the sample villages' own figures back: V1's 10 adults become its own
    f = report.figures[ids["v1"]]
    assert f.adult_coverage.start == f.adult_coverage.end
    assert f.adult_coverage.end == pytest.approx(1 - 2 / (v1.adult_population or 0))


async def test_a_village_head_marks_their_own_village_only(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    ids = await story(uow, now)
    head = Actor("head", official_id=None, role=Role.VILLAGE_HEAD, unit_id=ids["v2"])
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await survey.mark_survey_done(u, head, ids["v1"], now)
        assert err.value.key == "scope-outside-unit"
        with pytest.raises(RuleError) as err:
            await survey.mark_survey_done(u, head, ids["commune"], now)
        assert err.value.key == "survey-not-village"
        v2 = await u.units.get(ids["v2"])
        assert v2 is not None
        await u.units.save(replace(v2, adult_population=None))
        with pytest.raises(RuleError) as err:
            await survey.mark_survey_done(u, head, ids["v2"], now)
        assert err.value.key == "survey-population-missing"


async def test_import_units_reads_a_villages_adults_and_signal_and_keeps_the_rest(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    ids = await story(uow, now)
    records = [UnitRecord("02173-01", "N\u00e0 D\u0103m", Level.VILLAGE, "02173", adults=321,
                          households=99, no_signal=True),
               UnitRecord("02173", "X\u00e3 C\u00f4n Minh", Level.COMMUNE, "066", adults=2470,
                          households=900)]
    async with uow() as u:
        await import_units(u, SYSTEM, "2023", records, now)
        await u.commit()
    async with uow() as u:
        v1, commune = await u.units.get(ids["v1"]), await u.units.get(ids["commune"])
    assert v1 is not None and commune is not None
    assert (v1.adult_population, v1.household_population, v1.no_signal) == (321, 99, True)
    assert v1.survey_done_at == now  # the programme's record, not the file's
    assert commune.pilot  # no mark in the file: it stays a pilot commune
