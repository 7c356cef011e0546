"""The monthly report as an official's xlsx table: two sheets, the month and to date.

Numbers: the xlsx keeps numbers as numbers, formatted '#,##0' and '0.0%': Excel draws those
with the separators of the reader's system, so a Vietnamese Windows shows 2.000.000 and
93,0 % while the cells stay summable. A format with literal dots would turn them into
text-like patterns that break on other systems.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.dates import format_date
from core.figures import Figures, Report, Tally
from core.money import format_amount
from core.priority import TIERS
from core.report_runs import ReportNotes
from documents.spreadsheets import write_text_as_text

Text = Callable[..., str]
Value = int | float | None
Pick = Callable[[Figures, Tally], Value]

INTEGER = "#,##0"
PERCENT = "0.0%"
CHANGE = "+0.0%;-0.0%;0.0%"
BOXED = "General"  # the number, code and name columns: framed, no number format
HEADER_ROW = 4  # title, subtitle, period note, then the header


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the header's catalogue key
    value: Callable[[Figures, Tally], Value]
    number_format: str = INTEGER
    width: int = 12
    summed: bool = True  # the totals row sums it (else shows the root's own value)
    params: tuple[tuple[str, object], ...] = ()


def _tally(name: str) -> Pick:
    return lambda f, t: int(getattr(t, name))


def _waiting(queue: str, i: int) -> Pick:
    return lambda f, t: int(getattr(f.end, queue)[i])


def _share(pick: Callable[[Figures], float | None]) -> Pick:
    return lambda f, t: pick(f)


def _columns() -> list[Column]:
    cols = [
        Column("reports-col-adults", lambda f, t: f.adults, summed=False),
        Column("reports-col-households", lambda f, t: f.households, summed=False),
        *(Column(f"reports-col-{key}", _tally(name)) for key, name in (
            ("registered", "registered"), ("approved", "approved"),
            ("pledged-phones", "pledged_phones"), ("pledged-money", "pledged_money"),
            ("pledged-offers", "pledged_offers"),
            ("received-phones", "received_phones"), ("received-money", "received_money"),
            ("in-phones", "transferred_in_phones"), ("in-money", "transferred_in_money"),
            ("out-phones", "transferred_out_phones"), ("out-money", "transferred_out_money"),
            ("whole", "assigned_whole"), ("partial", "assigned_partial"),
            ("partial-money", "assigned_partial_money"), ("shop", "shop_offers"),
            ("gift", "direct_gifts"), ("other", "other_programmes"),
            ("handed", "handed_over"), ("confirmed", "confirmed"),
            ("answered-30", "answered_30"), ("using-30", "using_30"),
            ("answered-90", "answered_90"), ("using-90", "using_90"),
            ("cases", "cases_opened"), ("sessions", "guidance_sessions"),
            ("guided", "guided"),
        )),
        Column("reports-col-waiting", lambda f, t: f.end.waiting),
        *(Column("reports-col-waiting-whole", _waiting("waiting_whole", i),
                 params=(("tier", i + 1),)) for i in range(TIERS)),
        *(Column("reports-col-waiting-partial", _waiting("waiting_partial", i),
                 params=(("tier", i + 1),)) for i in range(TIERS)),
        Column("reports-col-on-hand-phones", lambda f, t: f.to_date.on_hand_phones),
        Column("reports-col-on-hand-money", lambda f, t: f.to_date.on_hand_money),
    ]
    shares: list[tuple[str, Callable[[Figures], float | None], str]] = [
        ("coverage-start", lambda f: f.adult_coverage.start, PERCENT),
        ("coverage-end", lambda f: f.adult_coverage.end, PERCENT),
        ("coverage-change", lambda f: f.adult_coverage.change, CHANGE),
        ("households-start", lambda f: f.household_coverage.start, PERCENT),
        ("households-end", lambda f: f.household_coverage.end, PERCENT),
        ("households-change", lambda f: f.household_coverage.change, CHANGE),
        # the share of recipients who use their phone, as answered to date
        ("adoption-30", lambda f: f.to_date.adoption(30), PERCENT),
        ("adoption-90", lambda f: f.to_date.adoption(90), PERCENT),
    ]
    cols += [Column(f"reports-col-{key}", _share(pick), fmt, summed=False)
             for key, pick, fmt in shares]
    return [_widen(c) for c in cols]


def _widen(c: Column) -> Column:
    """Money needs room for 10.000.000.000; shares and counts less."""
    money = c.key.endswith("money")
    return Column(c.key, c.value, c.number_format, 16 if money else 12, c.summed, c.params)


def report_xlsx(report: Report, text: Text, notes: ReportNotes | None = None) -> bytes:
    """Two sheets laid out as an official table: the month, and to date; the officer's
    sections II and III (when written) under the month's table."""
    book = Workbook()
    for style in _styles():
        book.add_named_style(style)
    first = book.active
    assert first is not None
    last = _sheet(first, report, text, to_date=False)
    if notes is not None and not notes.empty:
        _notes(first, notes, text, last, 3 + len(_columns()))
        write_text_as_text(first)  # the officer's text may begin with '='
    _sheet(book.create_sheet(), report, text, to_date=True)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _styles() -> list[NamedStyle]:
    """A framed cell, and one per number format: a cell takes its whole style by name, which
    costs a lookup, where setting a border and a format looks each up by its hash (ten
    thousand communes, two sheets, forty columns: most of the time it took)."""
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    return [NamedStyle(name=_style_name(fmt), number_format=fmt, border=box)
            for fmt in (BOXED, INTEGER, PERCENT, CHANGE)]


def _style_name(number_format: str) -> str:
    return f"phocap {number_format}"


@dataclass(frozen=True, slots=True)
class ReportTable:
    """One sheet's figures as rows: what the xlsx writes and the admin's preview shows."""

    headers: list[str]
    columns: list[Column]
    rows: list[tuple[list[int | str], list[Value]]]  # (number, unit, code), values
    total: tuple[list[int | str], list[Value]]


def report_table(report: Report, text: Text, to_date: bool) -> ReportTable:
    """The month's (or to date) figures of each unit shown, and the totals row."""
    columns = _columns()
    headers = [str(text("reports-col-number")), str(text("reports-col-unit")),
               str(text("reports-col-code"))]
    headers += [str(text(c.key, **dict(c.params))) for c in columns]
    rows = report.rows()
    lines: list[tuple[list[int | str], list[Value]]] = []
    for n, f in enumerate(rows, start=1):
        name = text("reports-own-row", name=f.unit.name) if f.own else f.unit.name
        lines.append(([n, str(name), f.unit.code],
                      [c.value(f, f.to_date if to_date else f.month) for c in columns]))
    total = report.total
    sums = [
        sum(int(c.value(f, f.to_date if to_date else f.month) or 0) for f in rows)
        if c.summed else c.value(total, total.to_date if to_date else total.month)
        for c in columns
    ]
    return ReportTable(headers, columns, lines,
                       (["", str(text("reports-total-row")), report.root.code], sums))


def shown(value: Value, number_format: str) -> str:
    """A figure as the preview page writes it: 2.000.000, 93,0%, +1,5%; empty for none."""
    if value is None:
        return ""
    if number_format == INTEGER:
        return format_amount(int(value))
    sign = "+" if number_format == CHANGE and value > 0 else ""
    return f"{sign}{value * 100:.1f}".replace(".", ",") + "%"


def _sheet(ws: Worksheet, report: Report, text: Text, to_date: bool) -> int:
    """The sheet's table; returns its last row."""
    ws.title = str(text("reports-sheet-to-date" if to_date else "reports-sheet-month"))[:31]
    table = report_table(report, text, to_date)
    width = len(table.headers)
    _titles(ws, report, text, width, to_date)
    bold = Font(bold=True)
    for i, header in enumerate(table.headers, start=1):
        cell = ws.cell(HEADER_ROW, i, header)
        cell.style = _style_name(BOXED)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, (head, values) in enumerate(table.rows, start=1):
        _line(ws, HEADER_ROW + n, head, values, table.columns)
    last = HEADER_ROW + len(table.rows) + 1
    _line(ws, last, *table.total, table.columns)
    for total_cell in ws[last]:
        total_cell.font = bold
    _layout(ws, table.columns)
    write_text_as_text(ws)  # unit names come from an officials' import
    return last


def _notes(ws: Worksheet, notes: ReportNotes, text: Text, below: int, width: int) -> None:
    """Sections II and III under the month's table, each a title and its text, merged
    across the table's width and wrapped."""
    row = below + 2
    for title, body in (("report-notes-difficulties", notes.difficulties),
                        ("report-notes-proposals", notes.proposals)):
        ws.cell(row, 1, str(text(title))).font = Font(bold=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        written = body or str(text("report-notes-empty"))
        cell = ws.cell(row + 1, 1, written)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=width)
        # a merged cell does not grow with its text: about 180 characters a line here
        ws.row_dimensions[row + 1].height = 15 * sum(
            1 + len(line) // 180 for line in written.split("\n"))
        row += 3


def _titles(ws: Worksheet, report: Report, text: Text, width: int, to_date: bool) -> None:
    month = report.month
    last_day = format_date(month.last_day)
    lines = [
        text("reports-title"),
        text("reports-subtitle", unit=report.root.name, month=f"{month.month:02d}/{month.year}",
             first=format_date(month.first_day), last=last_day),
        text("reports-period-to-date" if to_date else "reports-period-month", last=last_day),
    ]
    for row, line in enumerate(lines, start=1):
        ws.cell(row, 1, str(line))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        ws.cell(row, 1).alignment = Alignment(horizontal="center")
        ws.cell(row, 1).font = Font(bold=row == 1, size=14 if row == 1 else 11,
                                    italic=row == 3)


def _line(ws: Worksheet, row: int, head: Sequence[int | str], values: Sequence[Value],
          columns: Sequence[Column]) -> None:
    for i, label in enumerate(head, start=1):
        ws.cell(row, i, label).style = _style_name(BOXED)
    for i, (value, col) in enumerate(zip(values, columns, strict=True), start=len(head) + 1):
        # None stays empty: no estimate, no share
        ws.cell(row, i, value).style = _style_name(col.number_format)


def _layout(ws: Worksheet, columns: Sequence[Column]) -> None:
    """Widths, the header frozen, landscape A4 fitted to the page's width."""
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 32
    ws.column_dimensions["C"].width = 10
    for i, col in enumerate(columns, start=4):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.row_dimensions[HEADER_ROW].height = 75
    ws.freeze_panes = f"D{HEADER_ROW + 1}"  # under the header, right of the unit's code
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    fit = ws.sheet_properties.pageSetUpPr
    assert fit is not None  # openpyxl gives every sheet one
    fit.fitToPage = True
    ws.print_options.horizontalCentered = True
