"""Writes danh-sach-ho-ngheo-sau-ra-soat.xlsx from the .json beside it: a commune's list as
the poverty review's software exports it (issue 18 item 5), for the import's tests.

Run: .venv/bin/python tests/documents/samples/make_poverty_review_sample.py
The layout: two title blocks, the title, a two-row header (the address, the recognition
decision and the review's scores grouped under merged titles), a row of column numbers, one
row per person (the head marked "x", the others by their relation to the head), a totals line
and the signatures. IDs given as numbers are written as number cells, as a spreadsheet keeps
them once their leading zeros are lost; so are commune codes given as numbers.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
NAME = "danh-sach-ho-ngheo-sau-ra-soat"
HEADER = 7  # the first header row; the second is under it, the column numbers under both
PROVINCE = ("06", "T\u1ec9nh B\u1eafc K\u1ea1n")
DISTRICT = ("066", "Huy\u1ec7n Na R\u00ec")
COMMUNE = "X\u00e3 C\u00f4n Minh"


def build(data: dict[str, Any]) -> Workbook:
    book = Workbook()
    ws = book.active
    assert ws is not None
    width = len(data["columns"])
    for row, line in enumerate(data["title"], start=1):
        for col, value in zip((1, 12), line, strict=False):
            ws.cell(row, col, value).font = Font(bold=True)
    for row in (4, 5):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        ws.cell(row, 1).alignment = Alignment(horizontal="center")
    _header(ws, data)
    row = HEADER + 3
    number = 0
    for household in data["households"]:
        for i, person in enumerate(household["people"]):
            number += 1
            _person(ws, row, number, household, person, data["decision"],
                    whole=i == 0 or household["repeat"])
            row += 1
    for line in data["footer"]:
        for col, value in zip((1 if line and line[0].startswith("T") else 2, 14), line,
                              strict=False):
            if value:
                ws.cell(row, col, value)
        row += 1
    return book


def _header(ws: Any, data: dict[str, Any]) -> None:
    """Titles in the first header row, merged down over two rows unless grouped; a group's
    title merged across its columns, their own titles in the second row."""
    grouped = {c for g in data["groups"] for c in range(g["first"], g["last"] + 1)}
    bold = Font(bold=True)
    for col, title in enumerate(data["columns"], start=1):
        if col in grouped:
            ws.cell(HEADER + 1, col, title).font = bold
        else:
            ws.cell(HEADER, col, title).font = bold
            ws.merge_cells(start_row=HEADER, start_column=col, end_row=HEADER + 1,
                           end_column=col)
        ws.cell(HEADER + 2, col, f"({col})")
    for group in data["groups"]:
        ws.cell(HEADER, group["first"], group["title"]).font = bold
        ws.merge_cells(start_row=HEADER, start_column=group["first"], end_row=HEADER,
                       end_column=group["last"])


def _person(ws: Any, row: int, number: int, household: dict[str, Any], person: list[Any],
            decision: list[str], whole: bool) -> None:
    name, head, relation, born, sex, number_id, ethnicity = person
    values: list[Any] = [number, name, head or None, relation, born, sex, number_id, ethnicity,
                         *PROVINCE, *DISTRICT, household["commune_code"], COMMUNE,
                         household["village"]]
    if whole:  # the household's columns: on every row, or on the head's only
        values += [household["class"], decision[0],
                   datetime.strptime(decision[1], "%d/%m/%Y"), household["b1"], household["b2"]]
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row, col, value)
        if isinstance(value, datetime):
            cell.number_format = "DD/MM/YYYY"


def main() -> None:
    data = json.loads((HERE / f"{NAME}.json").read_text(encoding="utf-8"))
    build(data).save(HERE / f"{NAME}.xlsx")


if __name__ == "__main__":
    main()
