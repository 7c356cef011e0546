"""The import page for a commune officer (issue 16, item 8): their own commune chosen, the
commune named in the file's title rows checked against the one chosen, and a preview that
shows every column as read, the citizen ID partly masked."""

from __future__ import annotations

import html
import re
from pathlib import Path

from aiohttp import FormData
from openpyxl import Workbook

from core.importing import commune_named
from tests.admin.conftest import Admin
from tests.admin.test_imports import SAMPLE, commune_residents

CON_MINH_UPPER = "X\u00c3 C\u00d4N MINH"
HEADERS = ["STT", "M\u00e3 h\u1ed9", "Ch\u1ee7 h\u1ed9", "Th\u00f4n", "Ph\u00e2n lo\u1ea1i h\u1ed9",
           "Di\u1ec7n ch\u00ednh s\u00e1ch", "H\u1ecd v\u00e0 t\u00ean", "Ng\u00e0y sinh",
           "S\u1ed1 CCCD", "C\u00f3 \u0110TTM", "S\u1ed1 \u0111i\u1ec7n tho\u1ea1i"]


async def upload(admin: Admin, path: Path, commune: str) -> tuple[int, str]:
    form = FormData()
    form.add_field("_csrf", await admin.csrf())
    form.add_field("commune", str(admin.world.units[commune].id))
    form.add_field("file", path.read_bytes(), filename=path.name)  # noqa: ASYNC240 - small file
    r = await admin.client.post("/admin/import", data=form)
    return r.status, html.unescape(await r.text())


def test_the_commune_is_found_in_titles_with_or_without_diacritics(admin: Admin) -> None:
    units = admin.world.units
    communes = [units["commune"], units["sibling"], units["foreign"]]
    assert commune_named(["UBND " + CON_MINH_UPPER], communes) == units["commune"]
    assert commune_named(["UBND XA CON MINH"], communes) == units["commune"]
    assert commune_named([CON_MINH_UPPER, "DANH S\u00c1CH"], communes) == units["commune"]
    assert commune_named(["C\u1ed8NG H\u00d2A X\u00c3 H\u1ed8I CH\u1ee6 NGH\u0128A"],
                         communes) is None
    assert commune_named(["UBND XA CON MINHX"], communes) is None  # whole words only
    assert commune_named([], communes) is None


async def test_the_officers_own_commune_is_chosen(admin: Admin) -> None:
    await admin.login("commune")
    page = await (await admin.client.get("/admin/import")).text()
    own = admin.world.units["commune"].id
    assert re.search(f'<option value="{own}" selected>', page)


async def test_a_file_titled_for_another_commune_is_flagged_and_nothing_saved(
        admin: Admin) -> None:
    await admin.login("commune")  # the sample is titled UBND XA CON MINH: no warning
    status, page = await upload(admin, SAMPLE, "commune")
    assert status == 200 and 'id="other-commune"' not in page
    await admin.logout()
    await admin.login("sibling")  # xa Nghia Ta's officer chose his own commune
    before = await commune_residents(admin)
    status, page = await upload(admin, SAMPLE, "sibling")
    assert status == 200
    warning = admin.runtime.catalogue.text(
        "admin-import-other-commune", "vi", named=admin.world.units["commune"].name,
        chosen=admin.world.units["sibling"].name)
    assert f'id="other-commune">{warning}</p>' in page
    assert await commune_residents(admin) == before


async def test_the_preview_shows_every_column_as_read_with_the_id_masked(
        admin: Admin, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["UBND " + CON_MINH_UPPER])
    sheet.append(HEADERS)
    sheet.append([1, "CM-01", "Ho\u00e0ng V\u0103n Th\u00e0o", "N\u00e0 D\u0103m",
                  "H\u1ed9 ngh\u00e8o", "", "Ho\u00e0ng V\u0103n Th\u00e0o", "14/02/1958",
                  "006058011223", "x", "0912345678"])
    path = tmp_path / "mot-dong.xlsx"
    book.save(path)
    await admin.login("commune")
    status, page = await upload(admin, path, "commune")
    assert status == 200, page
    table = page.split('id="valid-rows"')[1].split("</table>")[0]
    heads = re.findall(r"<th>(.*?)</th>", table.split("</thead>")[0])
    assert heads[1:] == HEADERS  # after the file's line number
    cells = re.findall(r"<td>(.*?)</td>", table.split("<tbody>")[1])
    assert cells == ["3", "1", "CM-01", "Ho\u00e0ng V\u0103n Th\u00e0o", "N\u00e0 D\u0103m",
                     "H\u1ed9 ngh\u00e8o", "", "Ho\u00e0ng V\u0103n Th\u00e0o", "14/02/1958",
                     "********1223", "x", "0912345678"]
    assert "006058011223" not in page
