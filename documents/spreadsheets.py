"""Spreadsheets in and out: reading communes' .xlsx and .csv lists, writing rejects and exports.

Reading finds the header row by its known column names (core.importing), so that the title
rows, merged cells and signature blocks that communes put around a list do not matter.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from core.errors import RuleError
from core.importing import cell_text, header_field, header_fields, missing_columns
from documents.sheet_values import sheet_values

XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
# UTF-8 first (with or without BOM); then the code page Vietnamese Excel saves "CSV" in, then
# the Western one. Not latin-1: it accepts any byte, so a broken file would pass as garbage.
ENCODINGS = ("utf-8-sig", "cp1258", "cp1252")
DELIMITERS = (",", ";", "\t")
HEADER_SEARCH_ROWS = 40  # title blocks above a list are a few rows, never this many
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
MAX_WIDTH = 40
# OWASP's CSV-injection rule: a text that begins with one of these is read as a formula by
# Excel, LibreOffice or Google Sheets; a leading apostrophe makes it plain text again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Text = Callable[..., str]


@dataclass(frozen=True, slots=True)
class SourceRow:
    line: int  # as the file numbers it: the spreadsheet row, or the CSV record
    cells: dict[str, object]  # header text -> value as read


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[SourceRow]
    fields: dict[str, str] = field(default_factory=dict)  # header text -> field name
    format: str = "xlsx"
    delimiter: str = ","
    encoding: str = "utf-8"
    titles: tuple[str, ...] = ()  # the rows above the header, as text ("UBND XA ...")

    def values(self, row: SourceRow) -> dict[str, object]:
        """A row's cells by field name (the columns we know)."""
        return {name: row.cells.get(header) for header, name in self.fields.items()}


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """How big a list may be, counted as the file declares it and again as it is read: a
    4.9 KB .xlsx can declare a cell at Z100000 and unfold into millions of empty cells."""

    max_rows: int = 30_000
    max_columns: int = 60


DEFAULT_LIMITS = ReadLimits()


def read_table(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    """The list in an .xlsx or .csv file, or a RuleError saying why it cannot be read."""
    if not path.is_file():
        raise RuleError("import-file-missing", path=str(path))
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, limits)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path.read_bytes(), limits)
    raise RuleError("import-unknown-format", path=str(path), suffix=suffix or "-")


# -- reading -----------------------------------------------------------------------------------


def _read_xlsx(path: Path, limits: ReadLimits) -> Table:
    # read-only: cells stream from the file instead of a whole sheet of cell objects
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError):
        # SyntaxError: xml.etree's ParseError, for a part that is not XML
        raise RuleError("import-unreadable", path=str(path)) from None
    try:
        active = book.active
        sheets = [active, *(s for s in book.worksheets if s is not active)]
        for sheet in sheets:
            if sheet is None:  # a workbook without an active sheet: the others are read
                continue
            _check_size(sheet.max_row, sheet.max_column, limits)  # as declared
            table = _table(_rows(sheet_values(sheet), limits), "xlsx")
            if table is not None:
                return table
    finally:
        book.close()
    raise RuleError("import-no-header")


def _check_size(rows: int | None, columns: int | None, limits: ReadLimits) -> None:
    if rows is not None and rows > limits.max_rows:
        raise RuleError("import-too-many-rows", limit=limits.max_rows)
    if columns is not None and columns > limits.max_columns:
        raise RuleError("import-too-many-columns", limit=limits.max_columns)


def _rows(source: Iterable[Sequence[object]], limits: ReadLimits) -> list[list[object]]:
    """The rows as read, counted as they come: a file that declares less than it holds is
    stopped at the limit, not after it has filled the memory."""
    rows: list[list[object]] = []
    for values in source:
        row = list(values)
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
        _check_size(len(rows), len(row), limits)
    return rows


def _read_csv(data: bytes, limits: ReadLimits) -> Table:
    text, encoding = _decode(data)
    best: Table | None = None
    for delimiter in DELIMITERS:
        rows = _rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), limits)
        table = _table(rows, "csv", delimiter, encoding)
        if table is not None and (best is None or len(table.fields) > len(best.fields)):
            best = table
    if best is None:
        raise RuleError("import-no-header")
    return best


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding that read it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16"), "utf-16"
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise RuleError("import-encoding")


def _table(
    rows: Sequence[Sequence[object]], fmt: str, delimiter: str = ",", encoding: str = "utf-8"
) -> Table | None:
    """The table below the first header row, or None when no row looks like a header."""
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = header_fields([_clean(c) for c in cells])
        if found is None:
            continue
        headers = _headers(cells)
        below = _subheaders(found, rows[index + 1] if index + 1 < len(rows) else [])
        if below:  # a two-row header: the group titles above, the columns' own below them
            headers = _headers([below.get(i, _at(cells, i))
                                for i in range(max(len(cells), max(below) + 1))])
            found = {**found, **{i: name for i, text in below.items()
                                 if (name := header_field(text)) is not None}}
            index += 1
        fields = {headers[i]: name for i, name in found.items() if i in headers}
        missing = missing_columns(fields.values())
        if missing:
            # named by their headers in the user's language, never by the field names
            raise RuleError("import-missing-columns", columns=[f"key:column-{m}" for m in missing])
        body = [
            SourceRow(line=index + 2 + n, cells={h: _clean(_at(r, i)) for i, h in headers.items()})
            for n, r in enumerate(rows[index + 1 :])
        ]
        titles = tuple(t for t in (" ".join(filter(None, map(cell_text, r)))
                                   for r in rows[:index]) if t)
        return Table(list(headers.values()), body, fields, fmt, delimiter, encoding, titles)
    return None


def _subheaders(found: Mapping[int, str], below: Sequence[object]) -> dict[int, object]:
    """The row under a header when it holds the titles of columns grouped under a merged
    title above ("Dia chi" over "Ma xa", "Thon"; "Quyet dinh cong nhan" over "So", "Ngay"):
    each title it gives a column that the row above does not name for us (the known ones and
    the others, such as the review's scores, so that a preview shows every column). Empty
    when it names no column we read, or is the list's first person (its name is filled)."""
    name_at = next((i for i, name in found.items() if name == "full_name"), None)
    if name_at is not None and cell_text(_at(below, name_at)):
        return {}
    titles = {i: _clean(c) for i, c in enumerate(below) if cell_text(c) and i not in found}
    if not any(header_field(t) is not None for t in titles.values()):
        return {}
    return titles


def _headers(cells: Sequence[object]) -> dict[int, str]:
    """Column index -> header text, for every titled column (a repeated title numbered)."""
    out: dict[int, str] = {}
    for i, cell in enumerate(cells):
        title = cell_text(cell)
        if not title:
            continue
        n, unique = 2, title
        while unique in out.values():
            unique, n = f"{title} ({n})", n + 1
        out[i] = unique
    return out


def _at(row: Sequence[object], i: int) -> object:
    return row[i] if i < len(row) else None


def _clean(value: object) -> object:
    """Text in NFC with outer spaces gone (cp1258 files come decomposed), without the
    apostrophe our exports put before a formula-like text (so '+84... reads back); other
    values kept."""
    if isinstance(value, str):
        if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
            value = value[1:]
        return unicodedata.normalize("NFC", value).strip() or None
    return value


# -- writing -----------------------------------------------------------------------------------


def rejects_path(source: Path, table: Table) -> Path:
    """Where the rejected rows go by default: '<name>-loi.<ext>' beside the input."""
    suffix = ".xlsx" if table.format == "xlsx" else ".csv"
    return source.with_name(f"{source.stem}-loi{suffix}")


def write_rejects(
    table: Table, reasons: Mapping[int, str], target: Path, reason_title: str
) -> None:
    """The refused rows with their original columns and one more: why (by line)."""
    headers = [*table.headers, reason_title]
    rows = [
        [*(row.cells.get(h) for h in table.headers), reasons[row.line]]
        for row in table.rows
        if row.line in reasons
    ]
    if table.format == "xlsx":
        target.write_bytes(_workbook_bytes(headers, rows))
    else:
        dated = [[cell_text(v) if isinstance(v, date | datetime) else v for v in r] for r in rows]
        target.write_bytes(_csv_bytes(headers, dated, table.delimiter))


def rows_to_csv(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> bytes:
    """An export as CSV: the column names as header, dates in ISO form, text made inert."""
    return _csv_bytes(columns, [[row.get(name) for name in columns] for row in rows])


def _csv_bytes(
    headers: Sequence[str], rows: Sequence[Sequence[object]], delimiter: str = ","
) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow([inert_text(h) for h in headers])
    writer.writerows([[inert_text(v) for v in r] for r in rows])
    # UTF-8 with BOM: Excel shows the diacritics, and the import reads it back
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def inert_text(value: object) -> object:
    """A text that a spreadsheet would run as a formula, with a leading apostrophe; any other
    value (numbers, negative amounts typed as numbers, dates) unchanged."""
    return _inert(value) if isinstance(value, str) else value


def _inert(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_text_as_text(sheet: Worksheet) -> None:
    """Every text cell of a sheet made inert and typed as text: openpyxl would otherwise store
    a text that begins with '=' as a live formula."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.value = _inert(cell.value)
                cell.data_type = "s"


def rows_to_xlsx(rows: Sequence[Mapping[str, object]], columns: Sequence[str], text: Text) -> bytes:
    """An export as a workbook: titles from the catalogue ('column-<name>'), codes as labels."""
    return _workbook_bytes(*_worded(rows, columns, text))


def rows_to_worded_csv(rows: Sequence[Mapping[str, object]], columns: Sequence[str],
                       text: Text) -> bytes:
    """The workbook's content as CSV for people: the same titles and words, numbers as
    numbers, dates dd/mm/yyyy (and HH:MM when the value has a time)."""
    titles, body = _worded(rows, columns, text)
    return _csv_bytes(titles, [[_csv_date(v) for v in r] for r in body])


def _worded(rows: Sequence[Mapping[str, object]], columns: Sequence[str], text: Text
            ) -> tuple[list[str], list[list[object]]]:
    titles = [_label(text, f"column-{name}", name) for name in columns]
    body = [[_display(text, name, row.get(name)) for name in columns] for row in rows]
    return titles, body


def _csv_date(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M" if _has_time(value) else "%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


def _label(text: Text, key: str, default: str) -> str:
    found = text(key)
    return default if found == key else found


def _display(text: Text, column: str, value: object) -> object:
    """Yes/no and coded values (poor, merit, approved) as the catalogue words them."""
    if isinstance(value, bool):
        return _label(text, "export-yes" if value else "export-no", str(value))
    if isinstance(value, str) and value.isascii() and value:
        return _label(text, f"export-value-{column}-{value}", value)
    return value


def _workbook_bytes(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """A one-sheet workbook written row by row (openpyxl's write-only mode): a list of tens
    of thousands of rows is not held as cell objects, which take a hundred times the
    file's size."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.freeze_panes = "A2"
    values = [[_excel_value(v) for v in r] for r in rows]
    for column, title in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = _width(
            title, [r[column - 1] for r in values if column <= len(r)])
    sheet.append([_header_cell(sheet, h) for h in headers])
    for row in values:
        sheet.append([_cell(sheet, v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _header_cell(sheet: WriteOnlyWorksheet, title: str) -> object:
    cell = WriteOnlyCell(sheet, value=_inert(title))
    cell.font = Font(bold=True)
    return cell


def _cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    """A text made inert and typed as text (openpyxl would store '=...' as a formula); a
    time with its dd/mm/yyyy format; anything else as it is."""
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_inert(value))
        cell.data_type = "s"
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT if _has_time(value) else DATE_FORMAT
        return cell
    return value


def _excel_value(value: object) -> object:
    """Excel keeps no time zone; a date becomes a midnight datetime, shown as dd/mm/yyyy."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, list | dict | tuple):
        return str(value)
    return value


def _has_time(value: datetime) -> bool:
    return (value.hour, value.minute, value.second) != (0, 0, 0)


def _width(title: str, cells: Sequence[object]) -> float:
    longest = max([len(title), *(len(_shown(c)) for c in cells)])
    return min(MAX_WIDTH, longest + 2)


def _shown(cell: object) -> str:
    value = getattr(cell, "value", cell)
    if isinstance(value, datetime):
        return "00/00/0000 00:00" if _has_time(value) else "00/00/0000"
    return "" if value is None else str(value)
