"""A commune's list through the admin: preview (nothing saved), save, rejected rows."""

from __future__ import annotations

import html
import io
from datetime import date
from pathlib import Path

from aiohttp import FormData
from openpyxl import load_workbook

from core.model import Status
from tests.admin.conftest import Admin
from tests.core.services.test_imports import EXPECTED_ERRORS, GOOD_LINES, write_bad_file

SAMPLE = Path("/work/shared/samples/danh-sach-xa-mau.xlsx")
if not SAMPLE.is_file():  # a clean clone carries its own copy
    SAMPLE = Path(__file__).resolve().parents[1] / "data" / "danh-sach-xa-mau.xlsx"
# the poverty review's list as its software exports it (issue 18 item 5)
REVIEW = (Path(__file__).resolve().parents[1] / "documents" / "samples"
          / "danh-sach-ho-ngheo-sau-ra-soat.xlsx")


async def upload(admin: Admin, path: Path) -> tuple[int, str]:
    form = FormData()
    form.add_field("_csrf", await admin.csrf())
    form.add_field("commune", str(admin.world.units["commune"].id))
    form.add_field("file", path.read_bytes(), filename=path.name)  # noqa: ASYNC240 - small file
    r = await admin.client.post("/admin/import", data=form)
    return r.status, html.unescape(await r.text())


async def commune_residents(admin: Admin) -> list[tuple[str, Status]]:
    async with admin.runtime.uow() as uow:
        found = await uow.residents.in_units([admin.world.units["commune"].id])
    return [(r.full_name, r.status) for r in found]


async def test_preview_saves_nothing_then_save_imports_and_approves(admin: Admin) -> None:
    await admin.login("commune")
    before = await commune_residents(admin)
    status, page = await upload(admin, SAMPLE)
    assert status == 200, page
    assert 'id="valid-rows"' in page and "L\u00fd Th\u1ecb Lan" in page
    assert await commune_residents(admin) == before  # a dry run
    r = await admin.post("/admin/import/save", {"approve": "1"})
    report = await r.text()
    assert r.status == 200
    after = await commune_residents(admin)
    added = [a for a in after if a not in before and a[0] not in dict(before)]
    assert len(added) >= 3 and {s for _, s in added} == {Status.APPROVED}
    assert 'id="rejects"' not in report  # the sample has no bad row
    again = await admin.post("/admin/import/save", {"approve": "1"})
    assert again.status == 404  # saved once; the file is gone


async def test_bad_rows_are_listed_and_downloadable_with_their_reasons(
    admin: Admin, tmp_path: Path
) -> None:
    await admin.login("commune")
    await upload(admin, SAMPLE)
    await admin.post("/admin/import/save", {})
    bad = write_bad_file("xlsx", tmp_path, date(2010, 1, 1))
    status, page = await upload(admin, bad)
    assert status == 200
    assert page.count("<tr><td>") >= len(EXPECTED_ERRORS) + len(GOOD_LINES)
    r = await admin.post("/admin/import/save", {})
    assert r.status == 200 and 'id="rejects"' in await r.text()
    download = await admin.client.get("/admin/import/rejects")
    assert download.status == 200
    assert 'filename="danh-sach-loi-loi.xlsx"' in download.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await download.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "L\u00fd do"
    assert len(rows) - 1 == len(EXPECTED_ERRORS)
    minor = next(row for row in rows if row[6] == "Tri\u1ec7u V\u0103n Ph\u00fac")
    assert "Ng\u00e0y sinh" in minor[-1]
    names = {name for name, _ in await commune_residents(admin)}
    assert {"N\u00f4ng V\u0103n An", "N\u00f4ng Th\u1ecb Hoa"} <= names


async def test_a_file_that_is_not_a_list_is_refused_on_the_form(admin: Admin,
                                                                tmp_path: Path) -> None:
    await admin.login("commune")
    junk = tmp_path / "ghi-chu.pdf"
    junk.write_bytes(b"%PDF-1.4")
    status, page = await upload(admin, junk)
    assert status == 400 and admin.runtime.text(
        "import-unknown-format", path="ghi-chu.pdf", suffix=".pdf") in page
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"not a zip")
    status, page = await upload(admin, broken)
    assert status == 400 and admin.runtime.text("import-unreadable", path="hong.xlsx") in page
    assert (await admin.client.get("/admin/import/rejects")).status == 404


async def test_a_new_upload_ends_the_earlier_preview_and_deletes_its_files(
    admin: Admin, tmp_path: Path
) -> None:
    """Hand-worked (issue 15, item 7): preview A, then preview B in the same session: only
    B's file is kept; after B is saved with bad rows and C is uploaded, B's rejected-rows
    file is gone too, and only C waits."""
    await admin.login("commune")
    assert (await upload(admin, SAMPLE))[0] == 200
    [first] = list(admin.import_dir.iterdir())
    assert (await upload(admin, SAMPLE))[0] == 200
    [second] = list(admin.import_dir.iterdir())
    assert second != first
    bad = write_bad_file("xlsx", tmp_path, date(2006, 1, 1))
    assert (await upload(admin, bad))[0] == 200
    assert (await admin.post("/admin/import/save", {})).status == 200
    [rejects] = list(admin.import_dir.iterdir())  # the upload went with its save
    assert "-loi" in rejects.name
    assert (await upload(admin, SAMPLE))[0] == 200
    [third] = list(admin.import_dir.iterdir())
    assert third not in (first, second, rejects)


async def test_the_poverty_review_list_imports_from_the_web_as_it_comes(admin: Admin) -> None:
    """Issue 18 item 5: the review software's workbook through the admin's import."""
    await admin.login("commune")
    before = await commune_residents(admin)
    status, page = await upload(admin, REVIEW)
    assert status == 200, page
    assert "Ho\u00e0ng V\u0103n P\u1ea3n" in page and await commune_residents(admin) == before
    r = await admin.post("/admin/import/save", {})
    assert r.status == 200 and 'id="rejects"' in await r.text()
    added = [a for a in await commune_residents(admin) if a not in before]
    assert len(added) == 11  # 13 people: a child and a person listed twice are refused
    sheet = load_workbook(io.BytesIO(await (await admin.client.get(
        "/admin/import/rejects")).read())).active
    rows = list(sheet.iter_rows(values_only=True))
    reasons = {row[1]: row[-1] for row in rows[1:]}
    assert set(reasons) == {"Ho\u00e0ng Th\u1ecb Mai", "Tri\u1ec7u V\u0103n S\u01a1n"}
    assert "Ng\u00e0y sinh" in reasons["Ho\u00e0ng Th\u1ecb Mai"]
    assert "14" in reasons["Tri\u1ec7u V\u0103n S\u01a1n"]  # the line it repeats
