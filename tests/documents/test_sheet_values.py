"""The fast sheet reader gives what openpyxl's iter_rows(values_only=True) gives (issue 21).

Checked on the lists the tests ship, on a workbook of every kind of cell openpyxl writes
(text, numbers, dates and times in date styles, a duration, booleans, a formula, gaps), and
on a sheet written by hand the way other programs write one: shared strings, inline rich
text with a phonetic run, rows and cells without their references, a row number met twice,
a row left out, a date past Excel's range, an error cell.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from documents.sheet_values import sheet_values

DATA = Path(__file__).parents[1] / "data"
SAMPLES = Path(__file__).parent / "samples"


def both(path: Path) -> tuple[list[list[object]], list[list[object]]]:
    """The sheet as openpyxl reads it and as sheet_values does, trailing empties left out."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.active
        theirs = [_trimmed(list(r)) for r in sheet.iter_rows(values_only=True)]  # type: ignore[union-attr]
        ours = [_trimmed(r) for r in sheet_values(sheet)]  # type: ignore[arg-type]
    finally:
        book.close()
    return theirs, ours


def _trimmed(row: list[object]) -> list[object]:
    while row and row[-1] is None:
        row.pop()
    return row


@pytest.mark.parametrize("path", [DATA / "danh-sach-xa-mau.xlsx",
                                  SAMPLES / "danh-sach-ho-ngheo-sau-ra-soat.xlsx"],
                         ids=lambda p: p.name)
def test_the_shipped_lists_read_alike(path: Path) -> None:
    theirs, ours = both(path)
    assert len(theirs) > 5
    assert ours == theirs


def test_every_kind_of_cell_openpyxl_writes_reads_alike(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["H\u1ecd v\u00e0 t\u00ean", "Ng\u00e0y sinh", "S\u1ed1", "T\u1ec9 l\u1ec7",
                  "C\u00f3", "Gi\u1edd", "L\u00fac", "C\u00f4ng th\u1ee9c"])
    sheet.append(["Ho\u00e0ng Th\u1ecb Mai", date(1961, 2, 3), 12, 0.5, True, time(7, 30),
                  datetime(2023, 9, 1, 8, 15), "=C2*2"])
    sheet.append([None, None, "006061000123", -3.25e-5, False])
    sheet["J5"] = "xa"  # a gap of columns and a row left out above it
    sheet["B6"] = timedelta(hours=36)
    sheet["B6"].number_format = "[h]:mm:ss"
    path = tmp_path / "kinds.xlsx"
    book.save(path)
    theirs, ours = both(path)
    assert ours == theirs
    assert ours[1][:3] == ["Ho\u00e0ng Th\u1ecb Mai", datetime(1961, 2, 3), 12]
    assert ours[3] == [] and ours[4][9] == "xa" and ours[5][1] == timedelta(hours=36)


SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<dimension ref="A1:D7"/>
<sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>
<row><c t="inlineStr"><is><r><t>N\u00f4ng </t></r>\
<r><rPr><b/></rPr><t>V\u0103n D\u00ecn</t></r><rPh sb="0" eb="1"><t>x</t></rPh></is></c>\
<c><v>21915</v></c><c t="b"><v>1</v></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>met twice</t></is></c></row>
<row r="4"><c r="C4" t="e"><v>#N/A</v></c>\
<c r="A4" t="str"><v>text of a formula</v></c><c r="B4" s="1"><v>99999999</v></c>\
<c r="D4" t="inlineStr"><is/></c></row>
<row r="5"><c r="A5" t="inlineStr">\
<is><t xml:space="preserve">  L\u00f2 Th\u1ecb \u00d3n </t></is></c>\
<c r="B5" s="1"><v>36892</v></c><c r="C5"><v>1.5E3</v></c></row>
<row r="9"><c r="A9" t="inlineStr"><is><t>past the declared end</t></is></c></row>
</sheetData>
</worksheet>"""


SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')


@pytest.mark.filterwarnings("ignore:Cell B4 is marked as a date")  # openpyxl's, on row 4
def test_a_sheet_other_programs_write_reads_alike(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"], sheet["B1"] = "H\u1ecd v\u00e0 t\u00ean", "Ng\u00e0y sinh"
    sheet["B2"] = date(1960, 1, 1)
    sheet["B2"].number_format = "DD/MM/YYYY"  # style 1: a date style for the hand-written cells
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    path = tmp_path / "by-hand.xlsx"
    strings = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
               '.org/spreadsheetml/2006/main"><si><t>H\u1ecd v\u00e0 t\u00ean</t></si>'
               '<si><t>Ng\u00e0y sinh</t></si></sst>')
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = SHEET.encode()
            elif name == "[Content_Types].xml":  # openpyxl finds the shared strings here
                data = data.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            out.writestr(name, data)
        out.writestr("xl/sharedStrings.xml", strings)
    theirs, ours = both(path)
    assert ours == theirs
    assert ours[0] == ["H\u1ecd v\u00e0 t\u00ean", "Ng\u00e0y sinh"]
    # the phonetic run is not part of the name
    assert ours[1] == ["N\u00f4ng V\u0103n D\u00ecn", 21915, True]
    assert ours[3][:3] == ["text of a formula", "#VALUE!", "#N/A"]  # a date out of range
    assert ours[4][:2] == ["  L\u00f2 Th\u1ecb \u00d3n ", datetime(2001, 1, 1)]
    assert len(ours) == 7  # the declared end: row 9 is not read
