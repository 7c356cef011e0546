"""Files an officer should not have sent: 50 MB, a cut xlsx, CSVs in the wrong encoding. Each
gets a clear page in the officer's language, and nothing is stored or kept."""

from __future__ import annotations

import asyncio
import time
import zipfile
from pathlib import Path

from aiohttp import FormData
from openpyxl import Workbook

from tests.admin.conftest import Admin
from tests.admin.test_imports import SAMPLE, commune_residents, upload

HEADER = "full_name,date_of_birth,village\n"
ROW = "N\u00f4ng V\u0103n An,01/01/1970,N\u00e0 D\u0103m\n"


async def test_a_50_mb_file_a_cut_one_and_wrong_encodings_say_why_and_store_nothing(
        admin: Admin, tmp_path: Path) -> None:
    await admin.login("commune")
    before = await commune_residents(admin)
    form = FormData()
    form.add_field("_csrf", await admin.csrf())
    form.add_field("commune", str(admin.world.units["commune"].id))
    line = b"Nong Van An,01/01/1970,Na Dam\n"
    form.add_field("file", HEADER.encode() + line * (50 * 1024 * 1024 // len(line)),
                   filename="ca-tinh.csv")
    answer = await admin.client.post("/admin/import", data=form)
    assert answer.status == 413
    assert admin.runtime.text("admin-error-too-large") in await answer.text()
    assert not admin.import_dir.exists() or not any(admin.import_dir.iterdir())

    sample = SAMPLE.read_bytes()
    files = {  # name: (content, the reason the page gives)
        "cut.xlsx": (sample[: len(sample) // 2], "import-unreadable"),
        "binary.csv": (bytes(range(256)) * 8, "import-encoding"),
        "utf16-no-bom.csv": ((HEADER + ROW).encode("utf-16-le"), "import-no-header"),
    }
    for name, (content, key) in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        status, page = await upload(admin, path)
        assert status == 400, name
        expected = admin.runtime.text(key, path=name)
        assert expected in page, (name, expected)
    marked = tmp_path / "utf16.csv"  # with its byte-order mark, the encoding is known
    marked.write_bytes((HEADER + ROW).encode("utf-16"))
    status, page = await upload(admin, marked)
    assert status == 200 and "N\u00f4ng V\u0103n An" in page  # a preview, nothing saved yet
    assert await commune_residents(admin) == before


def spreadsheet_bomb(path: Path) -> Path:
    """The review's 4.9 KB file: cells A1 and Z100000, so 2.6 million cells as declared."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"], sheet["Z100000"] = "x", "y"
    book.save(path)
    assert path.stat().st_size < 6000
    return path


async def test_a_spreadsheet_bomb_is_refused_while_healthz_answers_at_once(
        admin: Admin, tmp_path: Path) -> None:
    """Hand-worked: 100000 declared rows > the 30000 allowed; the page says so (400), the
    upload is gone, and /healthz answers within 200 ms all the while (the issue's bound)."""
    await admin.login("commune")
    bomb = spreadsheet_bomb(tmp_path / "bom.xlsx")
    # a running server has its reading worker started: a first file starts it here, so that
    # starting an interpreter (CPU taken from this test too) is not what gets measured
    status, _ = await upload(admin, broken_xlsx(tmp_path))
    assert status == 400
    probes: list[tuple[float, float]] = []  # (asked, answered), one request after another
    probing, finished = asyncio.Event(), asyncio.Event()

    async def probe() -> None:
        while not finished.is_set():
            asked = time.perf_counter()
            answer = await admin.client.get("/healthz")
            probes.append((asked, time.perf_counter()))
            probing.set()
            assert answer.status == 200

    prober = asyncio.create_task(probe())
    await probing.wait()  # the probe runs before the upload starts
    started = time.perf_counter()
    try:
        status, page = await upload(admin, bomb)
    finally:
        ended = time.perf_counter()
        finished.set()
        await prober
    assert status == 400
    assert admin.runtime.text("import-too-many-rows", limit=30_000) in page
    during = [(a, b) for a, b in probes if a < ended and b > started]
    assert during  # /healthz was asked while the file was being refused
    waits = [b - a for a, b in probes]
    assert max(waits) < 0.2, waits
    assert not any(admin.import_dir.iterdir())


def broken_xlsx(folder: Path) -> Path:
    """A workbook whose XML is cut: the parser's ParseError was a 500."""
    good = spreadsheet_bomb(folder / "good.xlsx")
    broken = folder / "hong.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, b"<workbook" if name == "xl/workbook.xml" else data)
    return broken


async def test_a_malformed_xlsx_gets_a_clear_message_and_is_deleted(
        admin: Admin, tmp_path: Path) -> None:
    """Hand-worked: 400 with 'cannot open hong.xlsx', and the upload is deleted."""
    await admin.login("commune")
    status, page = await upload(admin, broken_xlsx(tmp_path))
    assert status == 400
    assert admin.runtime.text("import-unreadable", path="hong.xlsx") in page
    assert not any(admin.import_dir.iterdir())
