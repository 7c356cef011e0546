"""Residents and households for officials (issue 16, item 5): commune and village columns,
"x-y of N" with page numbers, the unit picker and its JSON, a household's page with the
commune's correction of its class, one household code format.

The hand-made commune: xa Con Minh holds the world's two (An, Binh) and 60 more adults, each
of a household of their own in thon Na Dam, the first 12 of them near-poor: 62 residents and
62 households, pages 1-50 and 51-62; xa Nghia Ta holds one (Cuong).
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

from openpyxl import load_workbook

from core.model import ClassSource, Policy, Poverty
from tests.admin.conftest import Admin, add_person

ROW = re.compile(r'<tr data-id="(\d+)"')
ADDED, NEAR_POOR = 60, 12
CON_MINH = "X\u00e3 C\u00f4n Minh"
NA_DAM = "N\u00e0 D\u0103m"


async def fill_commune(admin: Admin) -> None:
    for i in range(ADDED):
        await add_person(admin.runtime.uow, admin.world.units["village"],
                         f"Ma V\u0103n {chr(65 + i // 26)}{chr(97 + i % 26)}",
                         date(1960, 1 + i % 12, 1 + i // 12), f"T-{i:03d}",
                         Poverty.NEAR_POOR if i < NEAR_POOR else Poverty.POOR)


def shown(admin: Admin, key: str, **params: object) -> str:
    return admin.runtime.catalogue.text(key, "vi", **params)


async def get(admin: Admin, path: str, status: int = 200, **params: object) -> str:
    got = await admin.client.get(path, params=params)
    assert got.status == status, (path, params, got.status)
    return await got.text()


def body_rows(html: str) -> list[str]:
    return html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]


async def test_the_residents_list_pages_by_number_with_commune_and_village(
        admin: Admin) -> None:
    await fill_commune(admin)
    await admin.login("commune")
    first = await get(admin, "/admin/residents")
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=62) in first
    rows = body_rows(first)
    assert len(rows) == 50 and all(CON_MINH in r and NA_DAM in r for r in rows)
    assert shown(admin, "column-commune") in first
    second = await get(admin, "/admin/residents", page=2)
    assert shown(admin, "lists-rows-shown", first=51, last=62, total=62) in second
    assert len(ROW.findall(second)) == 12 and '<strong aria-current="page">2</strong>' in second
    near = await get(admin, "/admin/residents", poverty="near_poor")
    assert shown(admin, "lists-rows-shown", first=1, last=12, total=12) in near
    assert 'rel="next"' not in near  # one page


async def test_the_picker_filters_by_a_unit_typed_without_diacritics(admin: Admin) -> None:
    await fill_commune(admin)
    await admin.login("province")
    everyone = await get(admin, "/admin/residents")
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=63) in everyone
    con_minh = await get(admin, "/admin/residents", unit_q="con minh")
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=62) in con_minh
    # the unit typed is now the unit chosen: the next page and the export keep it
    unit = admin.world.units["commune"].id
    assert f"unit={unit}&amp;page=2" in con_minh
    assert f"/admin/residents.xlsx?unit={unit}" in con_minh
    nghia_ta = await get(admin, "/admin/residents", unit_q="NGHIA TA")
    assert shown(admin, "lists-rows-shown", first=1, last=1, total=1) in nghia_ta
    homes = await get(admin, "/admin/households", unit_q="con minh")
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=62) in homes
    assert all(CON_MINH in r and NA_DAM in r for r in body_rows(homes))
    nowhere = await get(admin, "/admin/residents", 400, unit_q="khong co noi nay")
    assert shown(admin, "lists-unit-not-found", text="khong co noi nay") in nowhere


async def test_the_units_json_answers_within_the_officials_units(admin: Admin) -> None:
    w = admin.world
    await admin.login("province")

    async def found(typed: str) -> list[int]:
        got = await admin.client.get("/admin/units.json", params={"q": typed})
        assert got.status == 200
        return [u["id"] for u in (await got.json())["units"]]

    assert (await found("con minh"))[0] == w.units["commune"].id
    assert w.units["village"].id in await found("na dam")
    assert await found("") == []
    assert w.units["foreign"].id not in await found("con minh")  # the 2025 unit: elsewhere
    await admin.logout()
    await admin.login("commune")
    assert await found("con minh") == [w.units["commune"].id]
    assert await found("nghia ta") == []  # another commune is out of reach


async def test_another_commune_officer_gets_no_list_of_this_commune(admin: Admin) -> None:
    await admin.login("sibling")
    for path in ("/admin/residents", "/admin/households"):
        await get(admin, path, 404, unit=admin.world.units["commune"].id)
    nothing = await get(admin, "/admin/residents", 400, unit_q="con minh")
    assert shown(admin, "lists-unit-not-found", text="con minh") in nothing
    await get(admin, f"/admin/households/{admin.world.households['own']}", 404)


async def test_the_household_page_shows_members_and_phones_known(admin: Admin) -> None:
    await admin.login("commune")
    home = admin.world.households["own"]
    html = await get(admin, f"/admin/households/{home}")
    assert "N\u00f4ng V\u0103n An" in html and "HX-001" in html
    assert 'id="correct-class"' in html
    assert 'id="phones-known">' + shown(admin, "export-no") in html
    await admin.logout()
    await admin.login("village_head")  # may read their village's household, not correct it
    read = await get(admin, f"/admin/households/{home}")
    assert 'id="correct-class"' not in read


async def test_the_commune_corrects_a_households_class_audited(admin: Admin) -> None:
    home = admin.world.households["own"]
    path = f"/admin/households/{home}/class"
    await admin.login("sibling")
    assert (await admin.post(path, {"poverty": "near_poor", "policy": "merit"})).status == 404
    await admin.logout()
    await admin.login("commune")
    forged = await admin.post(path, {"poverty": "near_poor", "policy": "merit"}, token="x")
    assert forged.status == 403
    for bad in ({"poverty": "rich", "policy": "merit"}, {"poverty": "poor"},
                {"poverty": "", "policy": ""}):
        refused = await admin.post(path, bad)
        assert refused.status == 400
        assert shown(admin, "lists-household-bad-class") in await refused.text()
    async with admin.runtime.uow() as uow:
        before = await uow.households.get(home)
        assert before is not None and (before.poverty, before.policy) == (Poverty.POOR,
                                                                         Policy.NONE)
        assert not [e for e in await uow.audit.for_entity("household", home)
                    if e.action == "classify"]
    done = await admin.post(path, {"poverty": "near_poor", "policy": "merit"})
    assert (done.status, done.headers["Location"]) == (302, f"/admin/households/{home}")
    again = await admin.post(path, {"poverty": "near_poor", "policy": "merit"})
    assert again.status == 302  # the same class twice: one change
    async with admin.runtime.uow() as uow:
        after = await uow.households.get(home)
        trail = [e for e in await uow.audit.for_entity("household", home)
                 if e.action == "classify"]
    assert after is not None
    assert (after.poverty, after.policy, after.class_source) == (
        Poverty.NEAR_POOR, Policy.MERIT, ClassSource.CONFIRMED)
    assert len(trail) == 1
    assert trail[0].before is not None and trail[0].after is not None
    assert (trail[0].before["poverty"], trail[0].after["poverty"]) == ("poor", "near_poor")
    assert (trail[0].before["policy"], trail[0].after["policy"]) == ("none", "merit")
    assert trail[0].actor.official_id is not None
    page = await get(admin, f"/admin/households/{home}")
    assert shown(admin, "export-value-policy-merit") in page


async def test_one_household_code_format_everywhere(admin: Admin) -> None:
    """A code kept in lower case before codes were checked reads as the register writes
    codes (capitals), on every page and in the export."""
    home = admin.world.households["own"]
    async with admin.runtime.uow() as uow:
        h = await uow.households.get(home)
        assert h is not None
        await uow.households.update(replace(h, code=" hx-001 "))
        await uow.commit()
    await admin.login("commune")
    resident = admin.world.residents["own"]
    for path in ("/admin/residents", "/admin/households", f"/admin/households/{home}",
                 f"/admin/residents/{resident}"):
        html = await get(admin, path)
        assert "HX-001" in html and "hx-001" not in html, path
    got = await admin.client.get("/admin/residents.xlsx")
    sheet = load_workbook(io.BytesIO(await got.read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index(shown(admin, "column-household"))
    assert {r[column] for r in rows[1:]} == {"HX-001", "HX-002"}
