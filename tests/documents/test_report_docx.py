"""The formal monthly report and the final review (mau 1.4 of Decree 30), on the story of
tests/storage/test_report_views.py, read back with python-docx; printed in Chromium; and
'phocap report --format docx|html' and '--from --to' on the demo."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from core.priority import VIETNAM
from core.services.reports import monthly_report, period_report
from documents.report_docx import Sending, report_docx, report_form_xlsx, report_html
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_cli import demo_copy, phocap
from tests.bot.test_webchat_browser import chromium
from tests.core.test_figures import OCTOBER, SEPTEMBER, A, D, P
from tests.documents.printing import pages_keeping_the_signature, screenshot
from tests.documents.test_handover_record import _in_order
from tests.storage.test_report_views import Story, build_units, tell, text

REPORT = "B\u00c1O C\u00c1O"
NUMBER = "S\u1ed1: \u2026/BC-UBND"
TM = "TM. \u1ee6Y BAN NH\u00c2N D\u00c2N"
CHAIR = "CH\u1ee6 T\u1ecaCH"
# plan VI.1: the Department of Information and Communications compiles the province's report
# for the Provincial People's Committee, under the committee's name; its director signs
DEPARTMENT = ("UBND T\u1ec8NH TH\u1eec", "S\u1ede TH\u00d4NG TIN V\u00c0 TRUY\u1ec0N TH\u00d4NG",
              "S\u1ed1: \u2026/BC-STTTT")
DIRECTOR = "GI\u00c1M \u0110\u1ed0C"


@pytest.fixture
async def story(uow: SqlUnitOfWorkFactory) -> Story:
    s = Story(uow, await build_units(uow))
    await tell(s)
    return s


def _all_text(doc: Document) -> str:  # type: ignore[valid-type]
    """Every paragraph and table cell, in document order."""
    body = doc.element.body  # type: ignore[attr-defined]
    return "\n".join(node.text or "" for node in body.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"))


def _table(doc: Document, title: str) -> list[list[str]]:  # type: ignore[valid-type]
    """The rows of the table whose first header cell is `title`... by a row's first cell."""
    for table in doc.tables:  # type: ignore[attr-defined]
        rows = [[c.text for c in row.cells] for row in table.rows]
        if any(r and r[0] == title for r in rows):
            return rows
    raise AssertionError(title)


def _row(doc: Document, label_key: str) -> list[str]:  # type: ignore[valid-type]
    label = text(label_key)
    return next(r for r in _table(doc, label) if r[0] == label)


async def test_the_provinces_report_has_every_part_of_mau_1_4_in_order(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow, "test", SEPTEMBER, story.unit[P].id)
    doc = Document(io.BytesIO(report_docx(
        report, text, difficulties="Thi\u1ebfu m\u00e1y\nM\u01b0a l\u0169",
        sending=Sending(on=date(2023, 10, 15), signer="N\u00f4ng V\u0103n A"))))
    left, right = doc.tables[0].rows[0].cells
    _in_order(left.text, list(DEPARTMENT))
    # the place is the province's name without 'Tinh'; 15 October: no zero for month 10
    _in_order(right.text, [text("documents-nation"), text("documents-motto"),
                           "Th\u1eed, ng\u00e0y 15 th\u00e1ng 10 n\u0103m 2023"])
    everything = _all_text(doc)
    _in_order(everything, [
        REPORT, "th\u00e1ng 9 n\u0103m 2023",
        # to the Provincial People's Committee (plan VI.1, DESIGN "Reporting")
        "K\u00ednh g\u1eedi: \u1ee6y ban nh\u00e2n d\u00e2n t\u1ec9nh Th\u1eed.",
        "t\u1eeb 01/09/2023 \u0111\u1ebfn 30/09/2023",
        text("documents-report-results"), text("documents-report-table-people"),
        text("documents-report-table-sources"), text("documents-report-table-coverage"),
        text("documents-report-units"), text("documents-report-difficulties"),
        # 5 waiting at September's end: 2 in village A1, 3 in B1 (the standings of October 1)
        text("documents-report-waiting", count="5"),
        "Thi\u1ebfu m\u00e1y", "M\u01b0a l\u0169",
        text("documents-report-proposals"), text("documents-report-none"),
        "N\u01a1i nh\u1eadn:", "- Nh\u01b0 tr\u00ean;", "- L\u01b0u: VT.",
        DIRECTOR, "N\u00f4ng V\u0103n A",
    ])
    # September: 7 registered (4 in A1, 3 in B1), 9 to date; 2 phones received at the
    # province (3 to date with commune A's August phone); 10.000.000 dong
    assert _row(doc, "documents-report-row-registered")[1:] == ["7", "9"]
    assert _row(doc, "documents-report-row-phones")[1:] == ["2", "3"]
    assert _row(doc, "documents-report-row-money")[1:] == ["10.000.000", "10.000.000"]
    assert _row(doc, "documents-report-row-handed")[1:] == ["1", "1"]
    # coverage over the surveyed villages of the pilot communes (tests/core/test_figures.py):
    # 1 of A1's 10 adults uncovered at the start (90 %), a2, a3, a6 at the end (70 %)
    assert _row(doc, "documents-report-row-adults")[1:] == [
        "90,0 %", "70,0 %", "-20,0 %"]
    last = [p for p in doc.paragraphs if p.text][-1]
    assert last.text == text("documents-report-none") and last.paragraph_format.keep_with_next


async def test_a_communes_report_goes_to_its_district(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow, "test", OCTOBER, story.unit[A].id)
        district = story.unit[D]
    doc = Document(io.BytesIO(report_docx(report, text, proposals="C\u1ea5p th\u00eam m\u00e1y",
                                          sending=Sending(above=district, deputy=True))))
    everything = _all_text(doc)
    _in_order(everything, [
        "\u1ee6Y BAN NH\u00c2N D\u00c2N\nX\u00c3 A", NUMBER,
        # no date given: left to be written when it is signed
        "A, ng\u00e0y \u2026 th\u00e1ng \u2026 n\u0103m \u2026",
        "th\u00e1ng 10 n\u0103m 2023",
        "K\u00ednh g\u1eedi: \u1ee6y ban nh\u00e2n d\u00e2n huy\u1ec7n Th\u1eed.",
        text("documents-report-proposals"), "C\u1ea5p th\u00eam m\u00e1y",
        "KT. CH\u1ee6 T\u1ecaCH", "PH\u00d3 CH\u1ee6 T\u1ecaCH",
    ])
    # October in commune A: a2 part of the price, handed over; 2.000.000 dong moved in
    assert _row(doc, "documents-report-row-partial")[1:] == ["1", "1"]
    assert _row(doc, "documents-report-row-in-money")[1:] == ["2.000.000", "2.000.000"]


async def test_the_final_review_sums_the_months_and_says_its_period(story: Story) -> None:
    async with story.u() as uow:
        review = await period_report(uow, "test", SEPTEMBER, OCTOBER, story.unit[P].id)
    doc = Document(io.BytesIO(report_docx(review, text, sending=Sending(since=SEPTEMBER))))
    everything = _all_text(doc)
    _in_order(everything, [REPORT, "T\u1ed5ng k\u1ebft",
                           "t\u1eeb th\u00e1ng 9/2023 \u0111\u1ebfn th\u00e1ng 10/2023",
                           "t\u1eeb 01/09/2023 \u0111\u1ebfn 31/10/2023", DIRECTOR])
    # phones: 2 (September, province) + 5 (October, commune B) = 7; 8 to date with August's
    assert _row(doc, "documents-report-row-phones")[1:] == ["7", "8"]
    # handed over: a1 in September, a2 and b2 in October
    assert _row(doc, "documents-report-row-handed")[1:] == ["3", "3"]
    # coverage from September's start (90 %) to October's end (4 of 30 uncovered: 86,7 %)
    assert _row(doc, "documents-report-row-adults")[1:] == ["90,0 %", "86,7 %", "-3,3 %"]


async def test_the_printed_report_keeps_its_signature_with_its_last_line(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow, "test", SEPTEMBER, story.unit[P].id)
    page = report_html(report, text, "vi", difficulties="x", proposals="y")
    assert "margin: 20mm 15mm 20mm 30mm" in page
    async with chromium() as browser:
        counts = await pages_keeping_the_signature(browser, page, range(0, 40, 3))
    assert len(counts) >= 2  # the fillers pushed the closing across a page boundary


async def test_the_command_writes_the_report_and_the_review(
    demo_template: Path, tmp_path: Path,
) -> None:
    folder = demo_copy(demo_template, tmp_path / "demo")
    target = tmp_path / "bao-cao.docx"
    done = phocap(folder, "report", "--month", "2023-09", "--unit", "Con Minh",
                  "--format", "docx", "--out", str(target))
    assert done.returncode == 0, done.stderr
    everything = _all_text(Document(str(target)))
    _in_order(everything, ["X\u00c3 C\u00d4N MINH", NUMBER, REPORT,
                           "th\u00e1ng 9 n\u0103m 2023",
                           "\u1ee6y ban nh\u00e2n d\u00e2n huy\u1ec7n Na R\u00ec", TM])
    review = tmp_path / "tong-ket.docx"
    done = phocap(folder, "report", "--from", "2023-08", "--to", "2023-12",
                  "--format", "docx", "--out", str(review))
    assert done.returncode == 0, done.stderr
    _in_order(_all_text(Document(str(review))), [
        "T\u1ec8NH B\u1eaeC K\u1ea0N", REPORT, "T\u1ed5ng k\u1ebft",
        "t\u1eeb th\u00e1ng 8/2023 \u0111\u1ebfn th\u00e1ng 12/2023"])
    # the demo registers its people this month: the printed report of this month, for docs/
    page = tmp_path / "bao-cao.html"
    this_month = datetime.now(VIETNAM).strftime("%Y-%m")
    done = phocap(folder, "report", "--month", this_month, "--unit", "Con Minh",
                  "--format", "html", "--out", str(page))
    assert done.returncode == 0, done.stderr
    printed = page.read_text(encoding="utf-8")
    assert printed.startswith("<!DOCTYPE html>") and "N\u00e0 D\u0103m" in printed
    async with chromium() as browser:
        shot = await screenshot(browser, printed, "bao-cao-thang")
    assert shot.stat().st_size > 10_000
    for bad in (["--month", "2023-09", "--from", "2023-08"],
                ["--from", "2023-09", "--to", "2023-08", "--format", "docx"],
                ["--from", "2023-08", "--to", "2023-09", "--format", "xlsx"], []):
        refused = phocap(folder, "report", *bad)
        assert refused.returncode == 1, bad
        assert refused.stderr.strip(), bad


async def test_the_formal_report_as_a_worksheet_has_the_same_parts(story: Story) -> None:
    async with story.u() as uow:
        report = await monthly_report(uow, "test", SEPTEMBER, story.unit[P].id)
    book = load_workbook(io.BytesIO(report_form_xlsx(
        report, text, proposals="Th\u00eam m\u00e1y",
        sending=Sending(signer="N\u00f4ng V\u0103n A"))))
    ws = book.active
    assert ws is not None
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    _in_order("\n".join(cells), [
        *DEPARTMENT, REPORT,
        "th\u00e1ng 9 n\u0103m 2023", text("documents-report-table-people"),
        text("documents-report-row-registered"), "7", "9",
        text("documents-report-proposals"), "Th\u00eam m\u00e1y",
        "N\u01a1i nh\u1eadn:", DIRECTOR, "N\u00f4ng V\u0103n A"])
    registered = next(r for r in ws.iter_rows(values_only=True)
                      if r[0] == text("documents-report-row-registered"))
    assert registered[1:3] == ("7", "9")
