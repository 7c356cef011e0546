"""The admin's saving of a list as a job of the app (issue 21, item 1): the page shows its
progress and reloads itself, the official may leave and come back, and the report (with
the rejected rows to download) is the one the save in the request gave."""

from __future__ import annotations

import asyncio
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from admin import import_jobs
from tests.admin.conftest import Admin
from tests.admin.test_imports import SAMPLE, commune_residents, upload
from tests.admin.test_vietnamese_pages import english_on
from tests.core.services.test_imports import EXPECTED_ERRORS, write_bad_file


async def finished(admin: Admin) -> str:
    """Reload the progress page, as its meta refresh does, until the report comes."""
    for _ in range(600):
        r = await admin.client.get("/admin/import/job")
        assert r.status == 200
        page = await r.text()
        if 'id="summary"' in page:
            return page
        assert 'http-equiv="refresh"' in page and 'id="job-progress"' in page
        await asyncio.sleep(0.1)
    raise AssertionError("the import did not finish")


async def test_a_list_saved_in_the_background_reports_as_before(
    admin: Admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await admin.login("commune")
    await upload(admin, SAMPLE)  # as the save in the request was tested: the sample first
    await admin.post("/admin/import/save", {})
    monkeypatch.setattr(import_jobs, "INLINE_ROWS", 0)  # now every list in the background
    bad = write_bad_file("xlsx", tmp_path, date(2010, 1, 1))
    assert (await upload(admin, bad))[0] == 200
    r = await admin.post("/admin/import/save", {})
    page = await r.text()
    # not waited for: the progress page, which reloads itself and has a link to do so
    assert r.status == 200 and 'id="job-progress"' in page and 'id="reload"' in page
    assert "<progress" in page and 'http-equiv="refresh"' in page
    assert english_on(page) == []  # the page every other is checked by needs a saving under way
    # saving again while it runs is refused; leaving for the form brings one back to it
    assert (await admin.post("/admin/import/save", {})).status == 404
    back = await admin.client.get("/admin/import", allow_redirects=False)
    assert back.status == 303 and back.headers["Location"] == "/admin/import/job"
    report = await finished(admin)
    assert 'id="rejects"' in report
    names = {name for name, _ in await commune_residents(admin)}
    assert {"N\u00f4ng V\u0103n An", "L\u01b0u Th\u1ecb H\u1eb1ng",
            "N\u00f4ng Th\u1ecb Hoa"} <= names
    assert "Tri\u1ec7u V\u0103n Ph\u00fac" not in names  # the minor, refused
    sheet = load_workbook(io.BytesIO(await (await admin.client.get(
        "/admin/import/rejects")).read())).active
    assert sheet is not None
    assert len(list(sheet.iter_rows(values_only=True))) - 1 == len(EXPECTED_ERRORS)
    # the job is over: its page is gone, the form is the form again
    assert (await admin.client.get("/admin/import/job")).status == 404
    assert (await admin.client.get("/admin/import", allow_redirects=False)).status == 200
    assert not any(p.suffix == ".xlsx" and "-loi" not in p.name
                   for p in admin.import_dir.iterdir())  # the upload went with its save


async def test_a_short_list_is_still_reported_at_once(admin: Admin) -> None:
    await admin.login("commune")
    assert (await upload(admin, SAMPLE))[0] == 200
    r = await admin.post("/admin/import/save", {})
    assert r.status == 200 and 'id="summary"' in await r.text()
    assert (await admin.client.get("/admin/import/job")).status == 404
