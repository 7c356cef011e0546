"""The monthly report's documents: the xlsx table, the chat text and the JSON, from the
story of tests/storage/test_report_views.py; and 'phocap report' through the real command.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.model import Policy, Poverty, Receipt
from core.report_runs import ReportNotes
from core.services import registry
from core.services.reports import monthly_report
from documents.report_json import notes_from_json, notes_json, report_json
from documents.report_text import TELEGRAM_LIMIT, ZALO_LIMIT, report_text
from documents.report_xlsx import report_xlsx
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.test_figures import B1, OCTOBER, SEPTEMBER, A, B, D, P
from tests.storage.test_report_views import M, Story, at, build_units, tell, text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def story(uow: SqlUnitOfWorkFactory) -> Story:
    s = Story(uow, await build_units(uow))
    await tell(s)
    return s


async def test_xlsx_is_an_official_table_with_a_totals_row(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow, "test", SEPTEMBER, story.unit[P].id)
    book = load_workbook(io.BytesIO(report_xlsx(report, text)))
    ws = book.worksheets[0]
    assert ws["A1"].value == text("reports-title")
    assert ws["A1"].value.startswith("B\u00c1O C\u00c1O T\u00ccNH H\u00ccNH")
    # the unit stands inside the line, after its label: its word in lower case (issue 17)
    assert "t\u1ec9nh Th\u1eed" in ws["A2"].value and "09/2023" in ws["A2"].value
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
        "households-start", "households-end", "households-change", "adoption-30",
        "adoption-90")}
    summed = [col for col in range(4, ws.max_column + 1)
              if ws.cell(4, col).value not in not_summed]
    # 19 flows, 7 after the handover, waiting and its 8 tiers, 2 on hand
    assert len(summed) == 37
    for col in summed:  # totals = the lines' sum
        values = [ws.cell(r, col).value or 0 for r in range(5, ws.max_row)]
        assert ws.cell(ws.max_row, col).value == sum(values), ws.cell(4, col).value
    received = headers.index(text("reports-col-received-money")) + 1
    assert ws.cell(ws.max_row, received).value == 10 * M
    assert ws.cell(ws.max_row, received).number_format == "#,##0"
    assert ws.cell(ws.max_row, received).border.left.style == "thin"  # framed, by style name
    coverage_end = headers.index(text("reports-col-coverage-end")) + 1
    # September: A1 alone is surveyed (3 of its 10 adults uncovered), B1 not yet
    assert ws.cell(ws.max_row, coverage_end).value == pytest.approx(0.7)
    assert ws.cell(ws.max_row, coverage_end).number_format == "0.0%"
    to_date = book.worksheets[1]
    assert to_date.title == text("reports-sheet-to-date")
    registered = headers.index(text("reports-col-registered")) + 1
    assert to_date.cell(to_date.max_row, registered).value == 9


async def test_text_fits_each_chat_and_keeps_every_unit(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow, "test", OCTOBER, story.unit[P].id)
    whole = report_text(report, text)
    assert len(whole) == 1
    assert "10.000.000" in whole[0]  # thousands with dots
    assert "86,7%" in whole[0]  # the province's coverage at the month's end: 1 - 4/30
    # the survey it stands on, and the target beside it
    assert text("coverage-text-survey", surveyed=2, villages=0, people="0") in whole[0]
    for limit in (TELEGRAM_LIMIT, ZALO_LIMIT, 600, 300):
        pieces = report_text(report, text, limit)
        assert all(len(p) <= limit for p in pieces)
        joined = "\n".join(pieces)
        for name in ("T\u1ec9nh Th\u1eed", "Huy\u1ec7n Th\u1eed", "X\u00e3 A", "X\u00e3 B"):
            assert name in joined
    assert len(report_text(report, text, 600)) > 1


async def test_json_has_every_unit_shown_with_iso_dates(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow, "test", OCTOBER, story.unit[P].id)
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
    assert units[B]["coverage"]["adults"]["start"] is None  # B1 not surveyed before 15/10
    assert units[P]["survey"] == {"surveyed": 2, "unsurveyed": 0, "unsurveyed_uncovered": 0,
                                  "no_signal": 0}
    assert units[B]["end"]["waiting_partial"] == [0, 0, 1, 0]
    async with story.u() as uow:
        commune = await monthly_report(uow, "test", OCTOBER, story.unit[B].id)
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


async def test_sections_two_and_three_close_the_text_and_sit_under_the_xlsx_table(
    story: Story,
) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow, "test", OCTOBER, story.unit[P].id)
    notes = ReportNotes(unit_id=story.unit[P].id, month="2023-10",
                        difficulties="=HYPERLINK(\"http://x\")", proposals="")
    whole = report_text(report, text, notes=notes)[0]
    hard, ask = text("report-notes-difficulties"), text("report-notes-proposals")
    # after every unit's block, in order, an empty section saying so
    assert whole.endswith(f"{hard}\n=HYPERLINK(\"http://x\")\n\n{ask}\n"
                          f"{text('report-notes-empty')}")
    assert report_text(report, text, notes=ReportNotes(1, "2023-10")) == report_text(report, text)
    pieces = report_text(report, text, ZALO_LIMIT, notes=notes)
    assert pieces[-1].endswith(text("report-notes-empty"))

    ws = load_workbook(io.BytesIO(report_xlsx(report, text, notes))).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    at_title = [c.value for c in cells].index(hard)
    below = cells[at_title + 1]
    assert below.data_type == "s"  # typed text: never a live formula
    assert str(below.value).endswith("=HYPERLINK(\"http://x\")")
    assert cells[at_title].row > ws.max_row - 6  # under the totals row


def test_a_stored_report_keeps_its_sections() -> None:
    notes = ReportNotes(unit_id=5, month="2023-09", difficulties="a", proposals="b")
    stored = {"month": "2023-09", "notes": notes_json(notes)}
    assert notes_from_json(stored, 5) == notes
    assert notes_from_json({"month": "2023-09"}, 5) is None
