"""A read-only sheet's values row by row, as openpyxl's iter_rows(values_only=True) gives them.

openpyxl builds a dictionary for every cell and a rich-text object for every inline string
(the form openpyxl itself and many exporters write text in): 25 us a cell, three quarters of
the time a 100,000-row list took to read. This reads the same XML with the same workbook
(its shared strings, date styles and epoch, loaded by openpyxl) and keeps only the value,
with openpyxl's rules: a missing row is an empty one, the declared size bounds the sheet,
a number styled as a date is a date (or "#VALUE!" when out of range), a formula's cached
value is the value, and an inline string is its text without its phonetic runs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.functions import iterparse  # openpyxl's own: defusedxml's where installed

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE, _TEXT, _RUN = (
    _MAIN + tag for tag in ("row", "c", "v", "is", "t", "r"))
_DIGITS = "0123456789"


class _Book:
    """What the workbook tells of a cell's value: the shared strings, and whether a number
    cell's style makes it a date, a duration or a plain number. Read from the parts of
    openpyxl's read-only reader that its own row parser is given (private, so not in its
    type stubs; tests/documents/test_sheet_values.py compares the two readers)."""

    def __init__(self, sheet: ReadOnlyWorksheet) -> None:
        workbook = sheet.parent
        self.strings: list[str] = getattr(sheet, "_shared_strings")  # noqa: B009
        self.dates: Any = getattr(workbook, "_date_formats")  # noqa: B009
        self.durations: Any = getattr(workbook, "_timedelta_formats")  # noqa: B009
        self.epoch: Any = workbook.epoch


def sheet_values(sheet: ReadOnlyWorksheet) -> Iterator[list[object]]:
    """Each row's values from column A, None where a cell is missing; trailing cells may be
    absent (a reader strips them anyway)."""
    book = _Book(sheet)
    # the size as declared: openpyxl reads no row below it and no column right of it
    last, width = sheet.max_row, sheet.max_column
    expected = 1
    with getattr(sheet, "_get_source")() as source:  # noqa: B009
        for _, element in iterparse(source):
            if element.tag != _ROW:
                continue
            index = int(element.get("r") or expected)
            if last is not None and index > last:
                yield from ([] for _ in range(expected, last + 1))
                return
            while expected < index:  # rows the file leaves out
                expected += 1
                yield []
            if index >= expected:  # a row number met twice: the first one counts
                values = _row(element, book)
                yield values[:width] if width is not None else values
                expected = index + 1
            element.clear()


def _row(element: Element, book: _Book) -> list[object]:
    values: list[object] = []
    column = 0
    for cell in element:
        if cell.tag != _CELL:
            continue
        ref = cell.get("r")
        column = _column(ref.rstrip(_DIGITS)) if ref else column + 1
        value = _value(cell, book)
        if column > len(values):
            values.extend([None] * (column - 1 - len(values)))
            values.append(value)
        else:
            values[column - 1] = value
    return values


@functools.lru_cache(maxsize=1024)
def _column(letters: str) -> int:
    return int(column_index_from_string(letters))


def _value(cell: Element, book: _Book) -> object:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_INLINE)
        return None if inline is None else _inline_text(inline)
    text = cell.findtext(_VALUE) or None
    if text is None:
        return None
    if kind == "n":
        return _number(text, int(cell.get("s") or 0), book)
    if kind == "s":
        return book.strings[int(text)]
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return from_ISO8601(text)  # type: ignore[no-untyped-call]
    return text  # "str" (a formula's text) and "e" (an error, such as #N/A)


def _number(text: str, style: int, book: _Book) -> object:
    number: float | int = float(text) if ("." in text or "e" in text or "E" in text) \
        else int(text)
    if style not in book.dates:
        return number
    try:
        return from_excel(number, book.epoch, timedelta=style in book.durations)
    except (OverflowError, ValueError):
        return "#VALUE!"  # a date out of range, as openpyxl marks it


def _inline_text(inline: Element) -> str:
    """The plain text and the rich runs' texts; the phonetic runs (rPh) left out."""
    parts = []
    for child in inline:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.append(child.findtext(_TEXT) or "")
    return "".join(parts)
