"""The commune's poverty-review list as the review software exports it (issue 18 item 5):
households grouped by their head's row, the class recognised by the commune's decision,
ethnicity kept, IDs that lost their leading zeros restored; a second import adds nothing."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from core.errors import RuleError
from core.importing import ImportRow, RowError, parse_rows, split_id
from core.model import ClassSource, Gender, Poverty, Resident, Unit
from core.services.imports import ImportReport, import_residents
from documents.spreadsheets import read_table
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_imports import TODAY
from tests.core.services.test_imports import commune as commune  # a fixture, used by name

SAMPLES = Path(__file__).resolve().parents[2] / "documents" / "samples"
SAMPLE = SAMPLES / "danh-sach-ho-ngheo-sau-ra-soat.xlsx"
DATA = json.loads((SAMPLES / "danh-sach-ho-ngheo-sau-ra-soat.json").read_text("utf-8"))
FIRST = 10  # the header's two rows on lines 7 and 8, the column numbers on 9

# Worked out from the .json by hand: the people in file order from line 10, and who heads
# whose household (the line of its head's row).
PEOPLE = [p for h in DATA["households"] for p in h["people"]]
HEADS = {10: 10, 11: 10, 12: 10, 13: 10, 14: 14, 15: 14, 16: 16, 17: 17, 18: 17, 19: 17,
         20: 20, 21: 20, 22: 20}
MINOR, TWICE = 13, 22  # Hoang Thi Mai, born 2010; Trieu Van Son listed again as a son-in-law
ERRORS = {MINOR: ("date_of_birth", "registry-minor"),
          TWICE: ("citizen_id", "import-duplicate-in-file")}
VILLAGES = {10: "N\u00e0 D\u0103m", 14: "Khu\u1ed5i Lu\u00f4ng", 16: "B\u1ea3n Chang",
            17: "N\u00e0 M\u00f2n", 20: "Phi\u00eang Ph\u01b0\u1eddng"}
CLASSES = {10: Poverty.POOR, 14: Poverty.NEAR_POOR, 16: Poverty.POOR, 17: Poverty.NEAR_POOR,
           20: Poverty.POOR}
MEMBERS = {10: 3, 14: 2, 16: 1, 17: 3, 20: 2}  # saved: the minor and the repeat are not


def parsed() -> list[ImportRow | RowError]:
    table = read_table(SAMPLE)
    return parse_rows(((r.line, table.values(r)) for r in table.rows), TODAY)


async def run(uow: SqlUnitOfWorkFactory, commune: Unit, now: datetime) -> ImportReport:
    async with uow() as u:
        report = await import_residents(u, SYSTEM, commune, parsed(), TODAY, now)
        await u.commit()
    return report


def test_the_list_is_read_as_it_comes_one_row_per_person() -> None:
    rows = parsed()
    assert [r.line for r in rows] == list(range(FIRST, FIRST + len(PEOPLE)))
    assert {r.line: (r.field, r.key) for r in rows if isinstance(r, RowError)} == ERRORS
    good = {r.line: r for r in rows if isinstance(r, ImportRow)}
    assert {line: r.household_group for line, r in good.items()} == {
        line: head for line, head in HEADS.items() if line not in ERRORS}
    # the class, village and decision of a member whose row leaves them blank are its head's
    hoa = good[11]
    assert (hoa.poverty, hoa.village, hoa.recognised, hoa.review_year) == (
        Poverty.POOR, VILLAGES[10], True, 2022)
    # IDs kept as numbers in the workbook: the zeros they lost are put back
    assert good[10].citizen_id == "006068001234"  # the cell holds 6068001234
    assert good[18].citizen_id == "006301009012"
    assert good[11].citizen_id == "006171002345"  # a text cell, as it was
    assert good[19].citizen_id is None
    assert good[14].commune_code == "02173"  # the cell holds 2173
    assert (good[20].ethnicity, good[20].gender) == ("H'M\u00f4ng", Gender.MALE)


async def test_importing_gives_the_households_their_classes_and_the_restored_ids(
    uow: SqlUnitOfWorkFactory, commune: Unit, now: datetime,
) -> None:
    report = await run(uow, commune, now)
    assert {e.line: (e.field, e.key) for e in report.errors} == ERRORS
    assert next(e for e in report.errors if e.line == TWICE).params == {"line": 14}
    assert (report.saved, report.present, report.households_created) == (11, 0, 5)
    async with uow() as u:
        heads: dict[int, Resident] = {}
        for line, village in VILLAGES.items():
            head = await u.residents.by_citizen_id(_id(line))
            assert head is not None, line
            heads[line] = head
            household = await u.households.get(head.household_id)
            assert household is not None
            place = await u.units.get(household.village_id)
            assert place is not None and place.name == village
            assert household.head_name == PEOPLE[line - FIRST][0]
            assert (household.poverty, household.class_source, household.review_year) == (
                CLASSES[line], ClassSource.CONFIRMED, 2022)
            members = await u.residents.in_household(household.id)
            assert len(members) == MEMBERS[line], line
        binh = [r for r in await u.residents.in_household(heads[17].household_id)
                if r.citizen_id is None]
        assert len(binh) == 1 and binh[0].ethnicity == "T\u00e0y"
        hang = await u.residents.by_citizen_id("006301009012")
        assert hang is not None and hang.household_id == heads[17].household_id
        sau = heads[20]
        assert sau.ethnicity == "H'M\u00f4ng" and sau.citizen_id == "006062000123"
        exported = {r.full_name: r.ethnicity for r in await u.residents.export_rows(None)}
    assert exported[PEOPLE[16 - FIRST][0]] == "N\u00f9ng"  # the export carries it too


async def test_a_second_import_adds_nothing_and_names_the_same_rows(
    uow: SqlUnitOfWorkFactory, commune: Unit, now: datetime,
) -> None:
    await run(uow, commune, now)
    async with uow() as u:
        before = [(r.full_name, r.household_id) for r in await u.residents.in_units([commune.id])]
    again = await run(uow, commune, now)
    assert (again.saved, again.present, again.households_created) == (0, 11, 0)
    assert {e.line: (e.field, e.key) for e in again.errors} == ERRORS
    async with uow() as u:
        after = [(r.full_name, r.household_id) for r in await u.residents.in_units([commune.id])]
    assert after == before


def _id(line: int) -> str:
    """The person's 12 digits, from the .json (a number there lost its leading zeros)."""
    raw = PEOPLE[line - FIRST][5]
    return str(raw).zfill(12)


def review_row(name: str, born: str, relation: str, *, head: str = "",
               commune_code: object = "02173") -> dict[str, object]:
    return {"full_name": name, "date_of_birth": born, "head_marker": head,
            "relation": relation, "village": VILLAGES[10], "poverty": "H\u1ed9 ngh\u00e8o",
            "commune_code": commune_code, "citizen_id": None}


def test_a_member_with_no_head_above_is_refused_by_name() -> None:
    rows = parse_rows([(5, review_row("N\u00f4ng V\u0103n Ba", "01/01/1990", "Con")),
                       (6, review_row("N\u00f4ng V\u0103n B\u1ed1n", "01/01/1960",
                                      "Ch\u1ee7 h\u1ed9"))], TODAY)
    assert isinstance(rows[0], RowError)
    assert (rows[0].field, rows[0].key) == ("relation", "import-no-head-above")
    assert isinstance(rows[1], ImportRow) and rows[1].household_group == 6


async def test_members_of_a_refused_head_and_people_of_another_commune_are_refused(
    uow: SqlUnitOfWorkFactory, commune: Unit, now: datetime,
) -> None:
    rows = parse_rows([
        (5, review_row("N\u00f4ng V\u0103n B\u1ed1n", "01/01/1960", "", head="x",
                       commune_code=2071)),  # xa Nghia Ta, the number lost its zero
        (6, review_row("N\u00f4ng V\u0103n Ba", "01/01/1990", "Con")),
    ], TODAY)
    async with uow() as u:
        report = await import_residents(u, SYSTEM, commune, rows, TODAY, now)
        await u.commit()
    assert {e.line: (e.field, e.key, dict(e.params)) for e in report.errors} == {
        5: ("commune_code", "import-other-commune",
            {"code": "02071", "commune": commune.name}),
        6: ("relation", "import-household-head-refused", {"line": 5}),
    }
    assert (report.saved, report.households_created) == (0, 0)


def test_a_list_without_head_markers_is_read_as_before() -> None:
    rows = parse_rows([(5, {"full_name": "N\u00f4ng V\u0103n Ba", "date_of_birth": date(1990, 1, 1),
                            "village": VILLAGES[10]})], TODAY)
    assert isinstance(rows[0], ImportRow) and rows[0].household_group is None


def test_an_id_that_lost_its_zeros_as_text_is_restored_and_a_short_typo_is_not() -> None:
    assert split_id("6068001234") == ("006068001234", None)  # a CSV saved from Excel
    assert split_id(6068001234) == ("006068001234", None)  # a number cell
    assert split_id("60680012345")[0] == "060680012345"  # one zero lost (province 060)
    with pytest.raises(RuleError) as refused:
        split_id("00606800123")  # kept its zeros, lost a digit: refused, not padded
    assert refused.value.key == "rules-cccd-length"
