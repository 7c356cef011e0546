"""The reports page: the official's unit and below only, each report downloadable as it was
stored; another unit's report is not found; the coverage chart is drawn on the server."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from bot.report_delivery import report_builder
from core.figures import Month
from core.services.reports import build_and_send
from tests.admin.conftest import START, Admin


async def build(admin: Admin, *keys: str) -> dict[str, int]:
    """September 2023's report of each of these world units; their run ids."""
    rt, ids = admin.runtime, {}
    for key in keys:
        unit = admin.world.units[key]
        async with rt.uow() as u:
            run = await build_and_send(u, unit, Month(2023, 9),
                                       build=report_builder(rt.catalogue, unit.dataset),
                                       now=START, trigger="test")
            await u.commit()
        ids[key] = run.id
    return ids


async def test_a_commune_officer_sees_and_downloads_only_their_units_reports(
    admin: Admin,
) -> None:
    ids = await build(admin, "province", "commune", "sibling", "foreign")
    assert (await admin.login("commune")).status == 302
    page = await admin.client.get("/admin/reports")
    assert page.status == 200
    html = await page.text()
    assert f'/admin/reports/{ids["commune"]}.xlsx' in html
    assert admin.world.units["commune"].name in html
    for other in ("province", "sibling", "foreign"):
        assert f"/admin/reports/{ids[other]}." not in html
        for ext in ("xlsx", "json"):
            r = await admin.client.get(f"/admin/reports/{ids[other]}.{ext}")
            assert r.status == 404, (other, ext)

    r = await admin.client.get(f"/admin/reports/{ids['commune']}.json")
    assert r.status == 200
    data = json.loads(await r.read())
    assert (data["unit"], data["month"]) == (admin.world.units["commune"].code, "2023-09")
    r = await admin.client.get(f"/admin/reports/{ids['commune']}.xlsx")
    assert r.status == 200
    sheet = load_workbook(io.BytesIO(await r.read())).worksheets[0]
    codes = {sheet.cell(row, 3).value for row in range(5, sheet.max_row + 1)}
    assert admin.world.units["village"].code in codes


async def test_the_province_sees_its_communes_reports_and_the_coverage_chart(
    admin: Admin,
) -> None:
    ids = await build(admin, "province", "commune", "sibling", "foreign")
    assert (await admin.login("province")).status == 302
    html = await (await admin.client.get("/admin/reports")).text()
    for key in ("province", "commune", "sibling"):
        assert f'/admin/reports/{ids[key]}.xlsx' in html
    assert f"/admin/reports/{ids['foreign']}." not in html
    assert (await admin.client.get(f"/admin/reports/{ids['foreign']}.xlsx")).status == 404
    assert "<svg" in html and "09/2023" in html
    assert "<script" not in html
