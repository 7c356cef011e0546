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
from core.priority import TIERS
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


def report_xlsx(report: Report, text: Text) -> bytes:
    """Two sheets laid out as an official table: the month, and to date."""
    book = Workbook()
    for style in _styles():
        book.add_named_style(style)
    first = book.active
    assert first is not None
    _sheet(first, report, text, to_date=False)
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


def _sheet(ws: Worksheet, report: Report, text: Text, to_date: bool) -> None:
    ws.title = str(text("reports-sheet-to-date" if to_date else "reports-sheet-month"))[:31]
    columns = _columns()
    width = 3 + len(columns)
    _titles(ws, report, text, width, to_date)
    headers = [text("reports-col-number"), text("reports-col-unit"), text("reports-col-code")]
    headers += [text(c.key, **dict(c.params)) for c in columns]
    bold = Font(bold=True)
    for i, header in enumerate(headers, start=1):
        cell = ws.cell(HEADER_ROW, i, str(header))
        cell.style = _style_name(BOXED)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    rows = report.rows()
    for n, f in enumerate(rows, start=1):
        name = text("reports-own-row", name=f.unit.name) if f.own else f.unit.name
        _line(ws, HEADER_ROW + n, [n, str(name), f.unit.code],
              [c.value(f, f.to_date if to_date else f.month) for c in columns], columns)
    total = report.total
    sums = [
        sum(int(c.value(f, f.to_date if to_date else f.month) or 0) for f in rows)
        if c.summed else c.value(total, total.to_date if to_date else total.month)
        for c in columns
    ]
    last = HEADER_ROW + len(rows) + 1
    _line(ws, last, ["", str(text("reports-total-row")), report.root.code], sums, columns)
    for total_cell in ws[last]:
        total_cell.font = bold
    _layout(ws, columns)
    write_text_as_text(ws)  # unit names come from an officials' import


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
