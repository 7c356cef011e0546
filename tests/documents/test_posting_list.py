"""The list a commune posts (danh sach niem yet), on the demo with phones and money received
at xa Con Minh: the plan's supported people in its order, no citizen ID, in the decree's form,
as print (the signatures kept with the last line), .docx and .xlsx."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from core.i18n import load_catalogue
from tests.bot.test_cli import demo_copy, phocap
from tests.bot.test_webchat_browser import chromium
from tests.documents.printing import pages_keeping_the_signature, screenshot
from tests.documents.test_handover_record import _in_order
from tests.documents.test_report_docx import _all_text

WHOLE = "\u0110i\u1ec7n tho\u1ea1i nguy\u00ean chi\u1ebfc"
PARTIAL = "Kinh ph\u00ed h\u1ed7 tr\u1ee3 m\u1ed9t ph\u1ea7n (500.000 \u0111\u1ed3ng)"
TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")


def vi(key: str, /, **params: object) -> str:
    return load_catalogue().text(key, "vi", **params)


@pytest.fixture(scope="module")
def demo(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with 3 phones and 1.000.000 dong more at xa Con Minh: with the demo's own
    receipts there (bot/data/demo-programme.json: 1 phone; 3.000.000 + 1.000.000 + 500.000
    dong), 4 phones and 5.500.000 dong, eleven shares of 500.000."""
    folder = demo_copy(demo_template, tmp_path_factory.mktemp("posting"))
    done = phocap(folder, "receive", "--unit", "Con Minh", "--phones", "3", "--model",
                  "Nokia C32", "--money", "1000000", "--donor", "C\u00f4ng ty ABC")
    assert done.returncode == 0, done.stderr
    return folder


def _planned(folder: Path) -> list[tuple[str, str, int]]:
    """(name, queue, tier) of the people the commune's plan supports, in the plan's order,
    and the citizen IDs of the commune's people."""
    done = phocap(folder, "allocate", "--unit", "Con Minh", "--json")
    assert done.returncode == 0, done.stderr
    [commune] = json.loads(done.stdout)["communes"]
    given = [e for e in commune["entries"] if not e["waiting"]]
    with sqlite3.connect(folder / "p.db") as db:
        names = dict(db.execute("select id, full_name from residents"))
    return [(names[e["resident_id"]], e["support"], e["tier"]) for e in given]


def _citizen_ids(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "p.db") as db:
        return [r[0] for r in db.execute(
            "select citizen_id from residents where citizen_id is not null")]


async def test_the_list_posts_the_plans_people_in_order_without_an_id(
    demo: Path, tmp_path: Path,
) -> None:
    planned = _planned(demo)
    # 4 phones: four whole phones; 5.500.000 dong: eleven shares of 500.000
    assert [queue for _, queue, _ in planned] == ["whole"] * 4 + ["partial"] * 11
    page = tmp_path / "ds.html"
    done = phocap(demo, "posting", "--unit", "Con Minh", "--out", str(page))
    assert done.returncode == 0, done.stderr
    printed = page.read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td class=\"num\">(\d{4})</td>"
                      r"<td>([^<]*)</td><td>([^<]*)</td><td class=\"num\">(\d)</td>"
                      r"<td>([^<]*)</td></tr>", printed)
    assert [(r[1], r[5]) for r in rows] == [(name, str(tier)) for name, _, tier in planned]
    assert [r[6] for r in rows] == [WHOLE] * 4 + [PARTIAL] * 11
    assert [r[0] for r in rows] == [str(n) for n in range(1, 16)]
    ids = _citizen_ids(demo)
    assert ids and not any(i in printed for i in ids)
    assert not TWELVE_DIGITS.search(printed)
    _in_order(printed, [
        "\u1ee6Y BAN NH\u00c2N D\u00c2N\nX\u00c3 C\u00d4N MINH", "S\u1ed1: \u2026/DS-UBND",
        vi("documents-nation"), vi("documents-motto"), "C\u00f4n Minh, ng\u00e0y",
        "DANH S\u00c1CH", "x\u00e3 C\u00f4n Minh", vi("documents-posting-col-name"),
        planned[0][0], planned[-1][0], vi("documents-posting-total", count=15),
        "N\u01a1i nh\u1eadn:", "TM. \u1ee6Y BAN NH\u00c2N D\u00c2N", "CH\u1ee6 T\u1ecaCH"])
    async with chromium() as browser:
        counts = await pages_keeping_the_signature(browser, printed, range(0, 40, 4))
        await screenshot(browser, printed, "danh-sach-niem-yet")
    assert len(counts) >= 2


def test_the_list_as_docx_and_xlsx(demo: Path, tmp_path: Path) -> None:
    planned = _planned(demo)
    ids = _citizen_ids(demo)
    word = tmp_path / "ds.docx"
    assert phocap(demo, "posting", "--unit", "Con Minh", "--format", "docx",
                  "--out", str(word)).returncode == 0
    doc = Document(str(word))
    everything = _all_text(doc)
    assert not any(i in everything for i in ids) and not TWELVE_DIGITS.search(everything)
    table = doc.tables[1]
    assert [c.text for c in table.rows[0].cells] == [
        vi(f"documents-posting-col-{c}") for c in
        ("number", "name", "born", "village", "class", "group", "form")]
    assert [r.cells[1].text for r in table.rows[1:]] == [name for name, _, _ in planned]
    book = tmp_path / "ds.xlsx"
    assert phocap(demo, "posting", "--unit", "Con Minh", "--format", "xlsx",
                  "--out", str(book)).returncode == 0
    ws = load_workbook(book).active
    assert ws is not None
    values = [[c.value for c in row] for row in ws.iter_rows()]
    firsts = [row[0] for row in values]
    assert "DANH S\u00c1CH" in firsts
    assert firsts[0] == "\u1ee6Y BAN NH\u00c2N D\u00c2N\nX\u00c3 C\u00d4N MINH"
    header = values.index([vi(f"documents-posting-col-{c}") for c in
                           ("number", "name", "born", "village", "class", "group", "form")])
    lines = values[header + 1:header + 1 + len(planned)]
    assert values[header + 1 + len(planned)][0] == vi("documents-posting-total", count=15)
    assert [r[1] for r in lines] == [name for name, _, _ in planned]
    assert [r[6] for r in lines] == [WHOLE] * 4 + [PARTIAL] * 11
    flat = " ".join(str(v) for row in values for v in row if v is not None)
    assert not any(i in flat for i in ids)
