"""The monthly report's formats: chat text, an official's xlsx table, JSON.

Numbers: the chat text writes thousands with dots (2.000.000), as Vietnamese write them. The
xlsx keeps numbers as numbers, formatted '#,##0' and '0.0%': Excel draws those with the
separators of the reader's system, so a Vietnamese Windows shows 2.000.000 and 93,0 % while
the cells stay summable. A format with literal dots would turn them into text-like patterns
that break on other systems.
"""

from __future__ import annotations

import io
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.dates import format_date
from core.figures import Figures, Report, Standing, Tally
from core.model import Level
from core.money import format_amount
from core.priority import TIERS
from handlers.rendering import split_text

Text = Callable[..., str]
Value = int | float | None
Pick = Callable[[Figures, Tally], Value]

TELEGRAM_LIMIT = 4096
ZALO_LIMIT = 2000
INTEGER = "#,##0"
PERCENT = "0.0%"
CHANGE = "+0.0%;-0.0%;0.0%"
BOXED = "General"  # the number, code and name columns: framed, no number format
HEADER_ROW = 4  # title, subtitle, period note, then the header


# ---- text ---------------------------------------------------------------------------------------


def report_text(report: Report, text: Text, limit: int | None = None,
                blocks: MutableMapping[int, str] | None = None) -> list[str]:
    """The report as chat messages of at most `limit` characters (None: one message). A unit's
    block is never split unless it alone is longer than the limit. `blocks` keeps each unit's
    block, by unit id, for the next report of the same month in the same language: a run
    writes a commune's block once, not in its own report, its district's and its province's."""
    known: MutableMapping[int, str] = {} if blocks is None else blocks
    for f in _shown(report):
        if f.unit.id not in known:
            known[f.unit.id] = _unit_block(f, text)
    blocks = [_title(report, text)] + [known[f.unit.id] for f in _shown(report)]
    if limit is None:
        return ["\n\n".join(blocks)]
    pieces: list[str] = []
    for block in blocks:
        for part in split_text(block, limit):
            if pieces and len(pieces[-1]) + 2 + len(part) <= limit:
                pieces[-1] += "\n\n" + part
            else:
                pieces.append(part)
    return pieces


def _shown(report: Report) -> list[Figures]:
    """The root and the units below it down to communes (a commune's report: its villages)."""
    if report.root.level in (Level.COMMUNE, Level.VILLAGE):
        return report.subtree()
    return [f for f in report.subtree() if f.unit.level is not Level.VILLAGE]


def _title(report: Report, text: Text) -> str:
    month = report.month
    return str(text("reports-text-title", unit=report.root.name,
                    month=f"{month.month:02d}/{month.year}",
                    first=format_date(month.first_day), last=format_date(month.last_day)))


def _unit_block(f: Figures, text: Text) -> str:
    """The unit's name, its people, and each line of goods that has something to say."""
    m, t = f.month, f.to_date
    n = format_amount
    goods: list[tuple[str, dict[str, int]]] = [
        ("reports-text-pledged", {
            "phones": m.pledged_phones, "money": m.pledged_money,
            "offers": m.pledged_offers, "phones_total": t.pledged_phones,
            "money_total": t.pledged_money}),
        ("reports-text-received", {
            "phones": m.received_phones, "money": m.received_money,
            "phones_total": t.received_phones, "money_total": t.received_money}),
        ("reports-text-moved", {
            "in_phones": m.transferred_in_phones, "in_money": m.transferred_in_money,
            "out_phones": m.transferred_out_phones,
            "out_money": m.transferred_out_money}),
        ("reports-text-served", {
            "whole": m.assigned_whole, "partial": m.assigned_partial,
            "partial_money": m.assigned_partial_money, "shop": m.shop_offers,
            "gift": m.direct_gifts, "other": m.other_programmes,
            "served_total": t.served}),
        ("reports-text-handed", {
            "handed": m.handed_over, "confirmed": m.confirmed,
            "handed_total": t.handed_over, "confirmed_total": t.confirmed}),
        ("reports-text-on-hand", {"phones": t.on_hand_phones, "money": t.on_hand_money}),
    ]
    lines = [
        text("reports-text-unit", name=f.unit.name),
        text("reports-text-people", registered=n(m.registered),
             registered_total=n(t.registered), approved=n(m.approved),
             approved_total=n(t.approved)),
        # Compact for a chat: a line of nothing but zeros is left out.
        *(text(key, **{name: n(v) for name, v in params.items()}) for key, params in goods
          if any(params.values())),
        text("reports-text-waiting", waiting=n(f.end.waiting),
             whole="/".join(str(x) for x in f.end.waiting_whole),
             partial="/".join(str(x) for x in f.end.waiting_partial)),
        text("reports-text-coverage",
             start=_percent(f.adult_coverage.start, text),
             end=_percent(f.adult_coverage.end, text),
             change=_percent(f.adult_coverage.change, text, signed=True),
             households_start=_percent(f.household_coverage.start, text),
             households_end=_percent(f.household_coverage.end, text),
             households_change=_percent(f.household_coverage.change, text, signed=True)),
    ]
    return "\n".join(str(line) for line in lines)


def _percent(share: float | None, text: Text, signed: bool = False) -> str:
    """93,0% (a decimal comma, as Vietnamese write it), or a change in points; the
    catalogue's word when there is no estimate."""
    if share is None:
        return str(text("reports-text-unknown"))
    if signed:  # a change is in percentage points, not a share
        return str(text("reports-text-points", value=f"{share * 100:+.1f}".replace(".", ",")))
    return f"{share * 100:.1f}".replace(".", ",") + "%"


# ---- JSON -------------------------------------------------------------------------------------


def report_json(report: Report, parts: MutableMapping[int, dict[str, object]] | None = None
                ) -> dict[str, object]:
    """Every figure of every unit the report shows (as the text: a province's or district's
    down to communes, a commune's down to villages), dates in ISO form, counts of zero left
    out (see _tally_json). Villages stay out of the province's: its stored copy would hold
    all forty thousand of a country for nothing that its text or table shows; each
    commune's report has its own. `parts` keeps each
    unit's entry for the next report of the same month, as report_text's blocks do."""
    month = report.month
    known: MutableMapping[int, dict[str, object]] = {} if parts is None else parts
    units: list[dict[str, object]] = []
    for f in _shown(report):
        entry = known.get(f.unit.id)
        if entry is None:
            entry = known[f.unit.id] = _unit_json(report, f)
        # Below the root, a unit's parent is in the report too; the root's is not.
        units.append({**entry, "parent": None} if f.unit.id == report.root.id else entry)
    return {
        "month": month.label,
        "first_day": month.first_day.isoformat(),
        "last_day": month.last_day.isoformat(),
        "start": month.start.isoformat(),
        "end": month.end.isoformat(),
        "unit": report.root.code,
        "units": units,
    }


def _unit_json(report: Report, f: Figures) -> dict[str, object]:
    parent = report.figures.get(f.unit.parent_id) if f.unit.parent_id is not None else None
    out: dict[str, object] = {
        "code": f.unit.code,
        "name": f.unit.name,
        "level": f.unit.level.value,
        "parent": parent.unit.code if parent is not None else None,
        "adults": f.adults,
        "households": f.households,
        "month": _tally_json(f.month),
        "to_date": _tally_json(f.to_date),
        "start": _standing_json(f.start),
        "end": _standing_json(f.end),
        "coverage": {
            "adults": {"start": f.adult_coverage.start, "end": f.adult_coverage.end,
                       "change": f.adult_coverage.change},
            "households": {"start": f.household_coverage.start, "end": f.household_coverage.end,
                           "change": f.household_coverage.change},
        },
    }
    if f.unit.level is not Level.VILLAGE:
        own = report.own[f.unit.id]
        out["own"] = {"month": _tally_json(own.month), "to_date": _tally_json(own.to_date)}
    return out


_TALLY_FIELDS = tuple(f.name for f in fields(Tally))
_TALLY_VALUES = attrgetter(*_TALLY_FIELDS)


def _tally_json(t: Tally) -> dict[str, int]:
    """The counts that are not zero: most of a village's are, and ten thousand stored
    reports a month would otherwise be three quarters zeros. A count not listed is 0."""
    out = {name: v for name, v in zip(_TALLY_FIELDS, _TALLY_VALUES(t), strict=True) if v}
    for name, v in (("served", t.served), ("on_hand_phones", t.on_hand_phones),
                    ("on_hand_money", t.on_hand_money)):
        if v:
            out[name] = v
    return out


def _standing_json(s: Standing) -> dict[str, object]:
    return {"uncovered_adults": s.uncovered_adults,
            "uncovered_households": s.uncovered_households,
            "waiting": s.waiting, "waiting_whole": list(s.waiting_whole),
            "waiting_partial": list(s.waiting_partial)}


# ---- xlsx -------------------------------------------------------------------------------------


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
    for cell in ws[last]:
        cell.font = bold
    _layout(ws, columns)


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


def _line(ws: Worksheet, row: int, head: Sequence[object], values: Sequence[object],
          columns: Sequence[Column]) -> None:
    for i, value in enumerate(head, start=1):
        ws.cell(row, i, value).style = _style_name(BOXED)
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
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 4)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
