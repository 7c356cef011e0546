"""The printable handover record: the page, its route and its command."""

from __future__ import annotations

import asyncio
import html
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from bot.cli import main
from bot.runtime import Runtime, open_runtime
from bot.settings import load_settings
from core.i18n import load_catalogue
from core.model import Handover, SupportKind
from core.services import handover as service
from core.services.handover import HandoverRecord
from documents.handover_record import PlanRef, record_docx, render_record
from tests.bot.test_webchat_browser import chromium
from tests.documents.printing import pages_keeping_the_signature, screenshot
from tests.handover_setup import ALL_DONE, IMEI, THAO, Scene, scene, waiting_resident

NATION = "C\u1ed8NG H\u00d2A X\u00c3 H\u1ed8I CH\u1ee6 NGH\u0128A VI\u1ec6T NAM"
MOTTO = "\u0110\u1ed9c l\u1eadp - T\u1ef1 do - H\u1ea1nh ph\u00fac"
BODY = "\u1ee6Y BAN NH\u00c2N D\u00c2N\nX\u00c3 C\u00d4N MINH"
SIGN_HINT = "(K\u00fd, ghi r\u00f5 h\u1ecd t\u00ean ho\u1eb7c \u0111i\u1ec3m ch\u1ec9)"


@dataclass
class Printed:
    rt: Runtime
    place: Scene
    handover: Handover
    record: HandoverRecord


@pytest.fixture
async def printed(database_url: str, tmp_path: Path, now: datetime) -> AsyncIterator[Printed]:
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url},
                             toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as rt:
        place = await scene(rt.uow, now)
        _, support = await waiting_resident(rt.uow, place, now)
        async with rt.uow() as u:
            done = await service.record_handover(u, place.actor, support.id, IMEI,
                                                 {**ALL_DONE, "zalo": False}, now)
            record = await service.handover_record(u, place.actor, done.id)
            await u.commit()
        yield Printed(rt, place, done, record)


def _in_order(text: str, parts: list[str]) -> None:
    """Each part is in the text, after the one before it."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} missing after position {at}"
        at = found + len(part)


def _vi(key: str, **params: object) -> str:
    return html.escape(load_catalogue().text(key, "vi", **params), quote=False)


def test_the_page_has_every_part_of_a_bien_ban_in_the_decrees_order(printed: Printed) -> None:
    page = render_record(load_catalogue(), "vi", printed.record)
    code = service.display_code(printed.handover.code)
    assert page.startswith("<!DOCTYPE html>") and "@page" in page and "A4" in page
    # margins of Decree 30: top 20, right 15, bottom 20, left 30 mm
    assert "margin: 20mm 15mm 20mm 30mm" in page and "Times New Roman" in page
    record = printed.record
    assert record.tier == 3 and record.class_key == "rules-class-poor"  # poor, no policy
    _in_order(page, [
        BODY, "S\u1ed1: \u2026/BB-UBND", NATION, MOTTO, "BI\u00caN B\u1ea2N",
        # 02:30 UTC is 09:30 in Vietnam; the 12th of September: no leading zero for month 9
        "H\u00f4m nay, v\u00e0o h\u1ed3i 09 gi\u1edd 30 ph\u00fat, "
        "ng\u00e0y 12 th\u00e1ng 9 n\u0103m 2023",
        "C\u0103n c\u1ee9 K\u1ebf ho\u1ea1ch s\u1ed1 \u2026/KH-UBND ng\u00e0y \u2026",
        _vi("documents-handover-giver", unit="x\u00e3 C\u00f4n Minh"),
        printed.place.officer.name,
        _vi("documents-handover-receiver", name=THAO), "14/03/1975",
        _vi("documents-handover-id", number="\u2026"),  # the scene's resident has none
        "h\u1ed9 ngh\u00e8o", _vi("documents-handover-group", tier=3),
        _vi("documents-handover-witness-unnamed", village="N\u00e0 D\u0103m"),
        _vi("documents-handover-device"), "Nokia C32", IMEI,
        _vi("documents-handover-source", donor="C\u1eeda h\u00e0ng Minh Anh",
            number=record.receipt.number if record.receipt else ""),
        _vi("documents-handover-checklist"), "<svg", code,
        "Bi\u00ean b\u1ea3n k\u1ebft th\u00fac v\u00e0o h\u1ed3i",
        _vi("documents-handover-sign-receiver"), SIGN_HINT, THAO,
        _vi("documents-handover-sign-witness"), _vi("documents-handover-sign-giver"),
        printed.place.officer.name,
    ])
    # a bien ban has no place-and-date line in its header
    assert "C\u00f4n Minh, ng\u00e0y" not in page
    assert page.count(_vi("documents-handover-done")) == 4  # zalo was not installed
    assert page.count(_vi("documents-handover-not-done")) == 1


def test_the_plan_cited_is_the_settings_one(printed: Printed) -> None:
    page = render_record(load_catalogue(), "vi", printed.record,
                         plan=PlanRef("369", date(2023, 6, 14)))
    assert "K\u1ebf ho\u1ea1ch s\u1ed1 369/KH-UBND ng\u00e0y 14/06/2023" in page


def test_the_docx_has_the_same_parts_in_the_same_order(printed: Printed) -> None:
    doc = Document(io.BytesIO(record_docx(load_catalogue(), "vi", printed.record)))
    section = doc.sections[0]
    sizes = [section.page_width, section.page_height, section.top_margin,
             section.right_margin, section.bottom_margin, section.left_margin]
    assert [round(s.mm) for s in sizes if s is not None] == [210, 297, 20, 15, 20, 30]
    assert doc.styles["Normal"].font.name == "Times New Roman"
    header = doc.tables[0].rows[0].cells
    _in_order(header[0].text, [BODY, "/BB-UBND"])
    _in_order(header[1].text, [NATION, MOTTO])
    body = "\n".join(p.text for p in doc.paragraphs)
    _in_order(body, ["BI\u00caN B\u1ea2N", "09 gi\u1edd 30 ph\u00fat",
                     "/KH-UBND", THAO, IMEI, "Bi\u00ean b\u1ea3n k\u1ebft th\u00fac"])
    checklist = doc.tables[1]
    assert len(checklist.rows) == 1 + 5
    closing = doc.tables[-1].rows[0].cells
    assert [c.paragraphs[0].text for c in closing] == [
        load_catalogue().text(k, "vi") for k in ("documents-handover-sign-receiver",
                                                  "documents-handover-sign-witness",
                                                  "documents-handover-sign-giver")]
    assert closing[0].paragraphs[-1].text == THAO
    # the last paragraph keeps with the signatures, whose row never splits
    last = [p for p in doc.paragraphs if p.text][-1]
    assert last.text.startswith("Bi\u00ean b\u1ea3n k\u1ebft th\u00fac")
    assert last.paragraph_format.keep_with_next
    assert 'w:cantSplit w:val="true"' in doc.tables[-1].rows[0]._tr.xml


def test_the_page_escapes_what_it_shows_and_speaks_english_too(printed: Printed) -> None:
    record = printed.record
    odd = HandoverRecord(**{**{f: getattr(record, f) for f in record.__dataclass_fields__},
                            "model": "<script>x</script>"})
    page = render_record(load_catalogue(), "en", odd, qr="https://t.me/phocap_bot?start=X")
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert "SOCIALIST REPUBLIC OF VIET NAM" in page


async def test_the_command_writes_the_record_to_a_file(
    printed: Printed, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "bien-ban.html"
    code = await _run_cli(["handover", "record", str(printed.handover.id), "--out", str(out)],
                          database_url)
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert THAO in page and "<svg" in page and NATION in page


async def _run_cli(argv: list[str], database_url: str) -> int:
    # main() runs its own event loop: run it in a thread so this test's loop is not nested
    environ = {"PHOCAP_DATABASE_URL": database_url, "PHOCAP_LOG_LEVEL": "WARNING"}
    return await asyncio.to_thread(main, argv, environ)


async def test_the_handovers_export_lists_who_got_what_and_what_was_not_set_up(
    printed: Printed, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "handovers.json"
    assert await _run_cli(["export", "handovers", "--format", "json", "--out", str(out)],
                          database_url) == 0
    [row] = json.loads(out.read_text(encoding="utf-8"))
    assert row["handover_code"] == printed.handover.code
    assert (row["full_name"], row["serial"], row["support"]) == (THAO, IMEI, "whole")
    assert row["commune_code"] == printed.place.commune.code
    assert row["village"] == printed.place.village.name
    assert row["checklist_missing"] == "zalo"  # the only item not done
    assert (row["confirmation"], row["open_cases"]) == (None, 0)
    book = tmp_path / "handovers.xlsx"
    assert await _run_cli(["export", "handovers", "--format", "xlsx", "--out", str(book)],
                          database_url) == 0
    sheet = openpyxl.load_workbook(book).active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    vi = load_catalogue()
    assert vi.text("column-handover_code", "vi") in headers
    assert vi.text("column-checklist_missing", "vi") in headers
    assert vi.text("export-value-support-whole", "vi") in [c.value for c in sheet[2]]


async def test_the_signatures_never_stand_alone_on_a_printed_page(printed: Printed) -> None:
    """Printed in Chromium with more and more lines before the closing: the body's last line
    and the last signature land on the same page, also when the record runs onto a second."""
    page = render_record(load_catalogue(), "vi", printed.record)
    async with chromium() as browser:
        seen_pages = await pages_keeping_the_signature(browser, page, range(0, 31, 3))
        shot = await screenshot(browser, page, "bien-ban-ban-giao")
    assert seen_pages == {1, 2} or seen_pages == {2, 3}  # the page boundary was crossed
    assert shot.stat().st_size > 10_000


async def test_a_money_support_has_its_own_record_with_the_amount_in_words(
    database_url: str, tmp_path: Path, now: datetime,
) -> None:
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url},
                             toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as rt:
        place = await scene(rt.uow, now)
        _, support = await waiting_resident(rt.uow, place, now, kind=SupportKind.PARTIAL,
                                            amount=500_000)
        async with rt.uow() as u:
            done = await service.record_handover(u, place.actor, support.id, None,
                                                 dict.fromkeys(service.CHECKLIST, False), now)
            record = await service.handover_record(u, place.actor, done.id)
            await u.commit()
    page = render_record(load_catalogue(), "vi", record)
    _in_order(page, [
        BODY, "/BB-UBND", "BI\u00caN B\u1ea2N", _vi("documents-handover-subject-partial"),
        THAO, _vi("documents-handover-money"),
        "500.000 \u0111\u1ed3ng (N\u0103m tr\u0103m ngh\u00ecn \u0111\u1ed3ng)",
        "Bi\u00ean b\u1ea3n k\u1ebft th\u00fac v\u00e0o h\u1ed3i",
    ])
    # no device section: no model, no serial line, no checklist
    for absent in ("documents-handover-device", "documents-handover-checklist"):
        assert _vi(absent) not in page
    assert "IMEI" not in page
    out = tmp_path / "bien-ban.docx"
    code = await _run_cli(["handover", "record", str(done.id), "--out", str(out)], database_url)
    assert code == 0
    word = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "(N\u0103m tr\u0103m ngh\u00ecn \u0111\u1ed3ng)" in word and THAO in word
