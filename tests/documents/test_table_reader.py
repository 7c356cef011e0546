"""Uploaded lists are read within limits (issue 15, item 2): as declared, as read, and in a
worker process whose CPU time and memory the kernel caps.

Hand-worked: a sheet declaring A1:Z100000 holds 100000 rows > 30000 allowed, refused before a
row is read; the same cells with no size declared are refused when row 30001 comes (a size
declared smaller than the cells is what read-only mode reads, so it cannot unfold); 27
columns against a limit of 26 are refused; a worker given 1 CPU second and 256 MB for a sheet
of three million filled rows is ended, the file is refused as too heavy, and the next file is
read by a new worker.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.errors import RuleError
from documents.spreadsheets import ReadLimits, read_table
from documents.table_reader import ReaderLimits, TableReader


def sheet_with(path: Path, *cells: str) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for ref in cells:
        sheet[ref] = "x"
    book.save(path)
    return path


def without_dimension(source: Path, target: Path) -> Path:
    """The same workbook, its sheet declaring no size (openpyxl then reads what is there)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b"", data)
            out.writestr(name, data)
    return target


def filled_rows(source: Path, target: Path, rows: int) -> Path:
    """The same workbook, its sheet holding a text cell in each of so many rows: a few MB
    of zip that unfolds to 150 MB of XML."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
            b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            if name != "xl/worksheets/sheet1.xml":
                out.writestr(name, src.read(name))
                continue
            with out.open(name, "w") as sheet:
                sheet.write(head)
                for start in range(1, rows + 1, 10_000):
                    sheet.write(b"".join(
                        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>'
                        % (n, n) for n in range(start, min(start + 10_000, rows + 1))))
                sheet.write(b"</sheetData></worksheet>")
    return target


def refusal(path: Path, limits: ReadLimits) -> RuleError:
    with pytest.raises(RuleError) as caught:
        read_table(path, limits)
    return caught.value


def test_declared_rows_beyond_the_limit_are_refused(tmp_path: Path) -> None:
    err = refusal(sheet_with(tmp_path / "a.xlsx", "A1", "Z100000"), ReadLimits(30_000, 60))
    assert (err.key, err.params) == ("import-too-many-rows", {"limit": 30_000})


def test_rows_beyond_the_limit_are_refused_when_the_file_declares_none(tmp_path: Path) -> None:
    bomb = sheet_with(tmp_path / "a.xlsx", "A1", "Z100000")
    lying = without_dimension(bomb, tmp_path / "b.xlsx")
    err = refusal(lying, ReadLimits(30_000, 60))
    assert (err.key, err.params) == ("import-too-many-rows", {"limit": 30_000})


def test_columns_beyond_the_limit_are_refused(tmp_path: Path) -> None:
    wide = sheet_with(tmp_path / "a.xlsx", "A1", "AA2")  # 27 columns
    assert refusal(wide, ReadLimits(100, 26)).key == "import-too-many-columns"
    lying = without_dimension(wide, tmp_path / "b.xlsx")
    assert refusal(lying, ReadLimits(100, 26)).key == "import-too-many-columns"


def test_csv_rows_beyond_the_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("full_name,date_of_birth,village\n" + "A,1/1/1970,B\n" * 101, "utf-8")
    assert refusal(path, ReadLimits(100, 60)).key == "import-too-many-rows"


async def test_a_worker_over_its_limits_is_ended_and_the_next_file_is_read(
        tmp_path: Path) -> None:
    reader = TableReader(ReaderLimits(seconds=1, memory_mb=256,
                                      table=ReadLimits(10_000_000, 100)))
    try:
        # far past the second (and the rounding up) of CPU on any machine: three million
        # filled rows (the rows a sheet only declares cost nothing since issue 21)
        heavy = filled_rows(sheet_with(tmp_path / "small.xlsx", "A1"),
                            tmp_path / "heavy.xlsx", 3_000_000)
        with pytest.raises(RuleError) as caught:
            await reader.read(heavy)
        assert caught.value.key == "import-too-heavy"
        good = tmp_path / "good.csv"
        good.write_text("full_name,date_of_birth,village\nA,1/1/1970,B\n", "utf-8")
        table = await reader.read(good)
        assert [table.values(r)["full_name"] for r in table.rows] == ["A"]
    finally:
        reader.close()
