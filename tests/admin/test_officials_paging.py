"""The officials page in pages of fifty (issue 21): "x-y of N", page 2 from the 51st, the
filter by unit, role and name, and the scope kept: a district's officer sees the officials of
their district only, however the page is asked for.

The hand-made officials: 55 village heads "Truong Thon Aa".."Cc" (head(1)..head(55)) added
in thon Na Dam after the world's own village head (login thon): 56 village heads of xa Con
Minh in id order, so that with role=village_head page 1 ends at head(49) and page 2 holds
head(50)..head(55).
"""

from __future__ import annotations

import re

import pytest

from admin import officials
from admin.passwords import hash_password
from core.model import Role
from core.services.officials import add_official
from tests.admin.conftest import PASSWORD, START, Admin
from tests.conftest import SYSTEM

HEADS = 55
LOGIN_CELL = re.compile(r"<td>([a-z0-9._-]+)</td>")


def head(i: int) -> str:
    """The i-th head added (1-based): Truong Thon Aa, .. Az, Ba, .. Bz, Ca, Cb, Cc."""
    return f"Truong Thon {chr(65 + (i - 1) // 26)}{chr(97 + (i - 1) % 26)}"


async def add_heads(admin: Admin) -> None:
    async with admin.runtime.uow() as u:
        for i in range(1, HEADS + 1):
            await add_official(u, SYSTEM, head(i), Role.VILLAGE_HEAD,
                               admin.world.units["village"].id, START)
        await u.commit()


async def add_district_officers(admin: Admin) -> None:
    """'huyen' for xa Con Minh's district, 'huyen2' for xa Nghia Ta's (another district)."""
    w = admin.world
    assert w.units["commune"].parent_id != w.units["sibling"].parent_id  # two districts
    async with admin.runtime.uow() as u:
        for login, unit_id in (("huyen", w.units["commune"].parent_id),
                               ("huyen2", w.units["sibling"].parent_id)):
            assert unit_id is not None
            await add_official(u, SYSTEM, f"Can Bo {login.title().rstrip('2')}", Role.DISTRICT,
                               unit_id, START, login=login,
                               password_hash=hash_password(PASSWORD))
        await u.commit()


def shown(admin: Admin, key: str, **params: object) -> str:
    return admin.runtime.catalogue.text(key, "vi", **params)


async def get(admin: Admin, status: int = 200, **params: str | int) -> str:
    got = await admin.client.get("/admin/officials", params=params)
    assert got.status == status, (params, got.status)
    return await got.text()


def table(html: str) -> str:
    return html.split("<tbody>")[1].split("</tbody>")[0]


async def test_page_two_starts_at_the_fifty_first(admin: Admin) -> None:
    await add_heads(admin)
    await admin.login("commune")
    first = await get(admin, role="village_head")
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=56) in first
    assert head(49) in table(first) and head(50) not in table(first)
    assert table(first).count("<tr>") == 50
    second = await get(admin, role="village_head", page=2)
    assert shown(admin, "lists-rows-shown", first=51, last=56, total=56) in second
    assert table(second).count("<tr>") == 6
    assert [head(i) in table(second) for i in (49, 50, 55)] == [False, True, True]
    # the link to page 2 keeps the filter
    assert "role=village_head&amp;page=2" in first
    # the whole commune: its officer, the 56 heads; page 2 holds 7
    everyone = await get(admin, page=2)
    assert shown(admin, "lists-rows-shown", first=51, last=57, total=57) in everyone


async def test_the_name_and_role_filters(admin: Admin) -> None:
    await add_heads(admin)
    await admin.login("commune")
    found = await get(admin, q="truong thon c")  # Ca, Cb, Cc: 53..55, whatever the case
    assert shown(admin, "lists-rows-shown", first=1, last=3, total=3) in found
    assert head(52) not in table(found) and head(53) in table(found)
    by_login = await get(admin, q="thon")  # the village head's login, and the 55 names
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=56) in by_login
    communes = await get(admin, role="commune")
    assert LOGIN_CELL.findall(table(communes)) == ["xa"]
    assert shown(admin, "lists-rows-shown", first=1, last=1, total=1) in communes
    nobody = await get(admin, q="100%_")  # LIKE's own characters match themselves only
    assert shown(admin, "lists-rows-shown", first=0, last=0, total=0) in nobody


async def test_a_district_officer_sees_their_district_only(admin: Admin) -> None:
    await add_district_officers(admin)
    await admin.login("huyen")
    mine = await get(admin)
    assert sorted(LOGIN_CELL.findall(table(mine))) == ["huyen", "thon", "xa"]
    assert shown(admin, "lists-rows-shown", first=1, last=3, total=3) in mine
    # another district, its commune or the province: not found, not an empty page
    w = admin.world
    for unit in (w.units["sibling"].parent_id, w.units["sibling"].id, w.units["province"].id):
        assert unit is not None
        await get(admin, 404, unit=unit)
    assert "xa2" not in LOGIN_CELL.findall(table(await get(admin, q="xa2")))
    # nor through the export, nor by typing the other commune's name in the picker
    export = await admin.client.get("/admin/officials.csv")
    assert export.status == 200
    text = await export.text()
    assert "huyen2" not in text and "xa2" not in text and "xa" in text
    assert (await admin.client.get("/admin/officials", params={"unit_q": "nghia ta"})
            ).status == 400


@pytest.mark.parametrize("wide", [1, 1000])
async def test_a_wide_unit_finds_its_officials_in_sql_as_a_list_would(
        admin: Admin, monkeypatch: pytest.MonkeyPatch, wide: int) -> None:
    """Past WIDE units under the chosen one, the units are found in SQL (a province of fifty
    thousand): the same officials, none of another province (Can Bo Ngoai, 2025)."""
    monkeypatch.setattr(officials, "WIDE", wide)
    await add_district_officers(admin)
    await admin.login("province")
    province = await get(admin)
    assert sorted(LOGIN_CELL.findall(table(province))) == [
        "huyen", "huyen2", "thon", "tinh", "xa", "xa2"]
    assert "Can Bo Ngoai" not in province
    other = admin.world.units["sibling"].parent_id
    assert other is not None
    district = await get(admin, unit=other)
    assert sorted(LOGIN_CELL.findall(table(district))) == ["huyen2", "xa2"]


async def test_the_forms_offer_the_unit_chosen_and_those_just_under_it(admin: Admin) -> None:
    w = admin.world
    await admin.login("province")
    top = await get(admin)
    # at the province: no commune or village to invite to, districts for an account
    assert 'action="/admin/officials/invite"' not in top and 'id="pick-unit"' in top
    assert f'value="commune:{w.units["commune"].id}"' not in top
    at_commune = await get(admin, unit=w.units["commune"].id)
    assert f'value="commune:{w.units["commune"].id}"' in at_commune
    assert f'value="village_head:{w.units["village"].id}"' in at_commune
    assert f'value="commune:{w.units["sibling"].id}"' not in at_commune
