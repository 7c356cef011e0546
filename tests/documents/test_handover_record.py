"""The printable handover record: the page, its route and its command."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from bot.cli import main
from bot.runtime import Runtime, open_runtime
from bot.settings import load_settings
from core.i18n import load_catalogue
from core.model import Handover
from core.services import handover as service
from core.services.handover import HandoverRecord
from documents.handover_record import render_record
from tests.handover_setup import ALL_DONE, IMEI, THAO, Scene, scene, waiting_resident

NATION = "C\u1ed8NG H\u00d2A X\u00c3 H\u1ed8I CH\u1ee6 NGH\u0128A VI\u1ec6T NAM"


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


def test_the_page_has_the_title_block_the_resident_the_code_its_qr_and_the_ticks(
    printed: Printed,
) -> None:
    page = render_record(load_catalogue(), "vi", printed.record)
    code = service.display_code(printed.handover.code)
    assert page.startswith("<!DOCTYPE html>") and "@page" in page and "A4" in page
    assert NATION in page and "\u0110\u1ed9c l\u1eadp - T\u1ef1 do - H\u1ea1nh ph\u00fac" in page
    assert THAO in page and IMEI in page and "Nokia C32" in page
    # the phone's origin, from its receipt: condition, donor, receipt number
    assert printed.record.receipt is not None
    assert load_catalogue().text(
        "handover-record-origin", "vi", condition_label="key:pledge-state-new",
        donor="C\u1eeda h\u00e0ng Minh Anh", number=printed.record.receipt.number) in page
    assert code in page and "<svg" in page
    assert page.count("\u2611") == 4 and page.count("\u2610") == 1  # zalo was not installed
    zalo = load_catalogue().text("handover-item-zalo", "vi")
    assert zalo in page.split('class="missing"')[1]  # named as missing
    assert printed.place.officer.name in page  # the official's signature block


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
