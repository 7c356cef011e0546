"""What keeps the residents list fast at national size: the name index kept with each
resident, a wide place asked in SQL, the kept units tree and the one-level unit filter."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from admin.scoping import UnitTrees
from core.model import Level, Official, Role, Unit
from core.page_views import Place, ResidentQuery
from core.services import privacy
from core.services.units import UnitRecord, import_units
from storage import name_search
from storage.models import ResidentNameTailRow, ResidentRow
from storage.name_search import matches, name_match, rebuild_tails, tails
from tests.admin.conftest import START, Admin
from tests.conftest import SYSTEM

OPTION = re.compile(r'<option value="(\d+)"')


def official_of(unit: Unit, role: Role = Role.PROVINCE) -> Official:
    return Official(id=0, name="x", role=role, unit_id=unit.id)


async def found(admin: Admin, name: str, *, common: bool | None = None) -> list[int]:
    """Ids the name search finds anywhere; common picks the form of the query."""
    async with admin.runtime.uow() as uow:
        if common is None:
            province = official_of(admin.world.units["province"])
            place = (await UnitTrees().scope(uow, province)).place()
            return [x.resident.id for x in await uow.views.resident_page(
                ResidentQuery(place=place, name=name), 100)]
        ids = None if common else await matches(uow.session, name)
        rows = await uow.session.scalars(select(ResidentRow.id).where(
            name_match(name, ids)).order_by(ResidentRow.id))
        return list(rows)


def test_tails_start_at_each_word() -> None:
    assert tails("nong van an") == ["nong van an", "van an", "an"]


async def test_both_forms_of_the_name_query_find_the_same_residents(admin: Admin) -> None:
    w = admin.world.residents
    for key in ("nong", "van", "v", "van an", "an", "thi b", "ong", "zz", "%", "n_ng"):
        assert await found(admin, key, common=True) == await found(admin, key, common=False), key
    assert await found(admin, "van") == [w["own"], w["sibling"]]  # the province's only


async def test_a_rename_and_an_erasure_move_the_name_index(admin: Admin) -> None:
    own = admin.world.residents["own"]
    async with admin.runtime.uow() as uow:
        resident = await uow.residents.get(own)
        assert resident is not None
        await uow.residents.update(replace(resident, full_name="Ma V\u0103n Kh\u00e1nh"))
        await uow.commit()
    assert own in await found(admin, "khanh") and own not in await found(admin, "nong")
    async with admin.runtime.uow() as uow:
        await privacy.erase(uow, SYSTEM, own, START)
        await uow.commit()
    assert own not in await found(admin, "ma van")  # nothing of an erased name is left


async def test_rebuilding_the_index_gives_what_the_repository_wrote(admin: Admin) -> None:
    async def rows() -> set[tuple[int, str]]:
        async with admin.runtime.uow() as uow:
            got = await uow.session.execute(select(ResidentNameTailRow.resident_id,
                                                   ResidentNameTailRow.tail))
            return {(r, t) for r, t in got}

    written = await rows()
    async with admin.runtime.engine.begin() as conn:
        await conn.run_sync(rebuild_tails)
    assert await rows() == written and len(written) == 12  # four names of three words


async def test_a_wide_place_holds_the_same_residents_as_the_list_of_its_communes(
        admin: Admin) -> None:
    w = admin.world
    async with admin.runtime.uow() as uow:
        for unit, expected in ((w.units["province"], {"own", "own2", "sibling"}),
                               (w.units["foreign"], {"foreign"})):
            top = unit if unit.level is Level.PROVINCE else await uow.units.get(
                unit.parent_id or 0)
            assert top is not None  # the 2025 commune hangs straight under its province
            scope = await UnitTrees().scope(uow, official_of(top))
            listed = Place(commune_ids=tuple(
                u.id for u in scope.units.values() if u.level is Level.COMMUNE))
            for name in ("van", "thi", None):
                pages = [[x.resident.id for x in await uow.views.resident_page(
                    ResidentQuery(place=p, name=name), 100)]
                    for p in (listed, Place(under=top.id))]
                assert pages[0] == pages[1], name
            assert pages[0] == sorted(w.residents[k] for k in expected)


async def test_kept_scopes_follow_a_unit_changed_by_another_process(admin: Admin) -> None:
    w = admin.world
    trees = UnitTrees()
    commune_officer = official_of(w.units["commune"], Role.COMMUNE)
    async with admin.runtime.uow() as uow:
        before = await trees.scope(uow, commune_officer)
        assert await trees.scope(uow, commune_officer) is before  # kept, not read again
    async with admin.runtime.uow() as uow:  # as `phocap import units` would, elsewhere
        await import_units(uow, SYSTEM, "2023", [
            UnitRecord(code="02173-99", name="Th\u00f4n M\u1edbi", level=Level.VILLAGE,
                       parent="02173"),
            UnitRecord(code=w.units["sibling_village"].code, name=w.units["sibling_village"].name,
                       level=Level.VILLAGE, parent="02173")], START)
        await uow.commit()
    async with admin.runtime.uow() as uow:
        after = await trees.scope(uow, commune_officer)
        sibling = await trees.scope(uow, official_of(w.units["sibling"], Role.COMMUNE))
        fresh = await UnitTrees().scope(uow, commune_officer)
    assert after.has(w.units["sibling_village"].id)  # moved here
    assert not sibling.has(w.units["sibling_village"].id)  # and no longer there
    assert "Th\u00f4n M\u1edbi" in {u.name for u in after.units.values()}
    assert after.units == fresh.units


async def test_the_kept_tree_holds_what_the_repository_reads(admin: Admin) -> None:
    async with admin.runtime.uow() as uow:
        scope = await UnitTrees().scope(uow, official_of(admin.world.units["province"]))
        stored = {u.id: u for u in await uow.units.all("2023")}
    assert scope.units and all(stored[i] == u for i, u in scope.units.items())


async def test_the_unit_filter_goes_down_one_level_at_a_time(admin: Admin) -> None:
    w = admin.world
    async with admin.runtime.uow() as uow:
        commune = await uow.units.get(w.units["commune"].id)
        assert commune is not None and commune.parent_id is not None
        district = await uow.units.get(commune.parent_id)
        districts = await uow.units.children(w.units["province"].id)
        villages = await uow.units.children(commune.id)
    assert district is not None
    await admin.login("province")

    async def options(**params: object) -> list[int]:
        page = await admin.client.get("/admin/residents", params=params)
        assert page.status == 200
        return [int(x) for x in OPTION.findall(await page.text())]

    top = await options()
    assert top[0] == w.units["province"].id and set(top[1:]) == {d.id for d in districts}
    assert commune.id not in top  # no commune until its district is chosen
    down = await options(unit=district.id)
    assert down[:2] == [w.units["province"].id, district.id] and commune.id in down
    leaf = await options(unit=w.units["village"].id)  # a village: its commune's villages
    assert leaf[:3] == [w.units["province"].id, district.id, commune.id]
    assert set(leaf[3:]) == {v.id for v in villages}
    assert (await admin.client.get("/admin/residents",
                                   params={"unit": w.units["foreign"].id})).status == 404


async def test_a_commune_officer_chooses_among_their_villages(admin: Admin) -> None:
    w = admin.world
    await admin.login("commune")
    page = await (await admin.client.get("/admin/residents")).text()
    ids = [int(x) for x in OPTION.findall(page)]
    assert ids[0] == w.units["commune"].id and w.units["village"].id in ids
    assert w.units["sibling_village"].id not in ids


async def test_a_rare_name_brings_its_residents_ids_and_a_common_one_none(
        admin: Admin, monkeypatch: pytest.MonkeyPatch) -> None:
    w = admin.world.residents  # Nong Van An, Lo Thi Binh, Hoang Van Cuong, Trieu Thi Dung
    async with admin.runtime.uow() as uow:
        assert await matches(uow.session, "Van") == sorted([w["own"], w["sibling"]])
        assert await matches(uow.session, "van c") == [w["sibling"]]
        assert await matches(uow.session, "zz") == []
        monkeypatch.setattr(name_search, "COMMON", 1)  # two rows of the index: common now
        assert await matches(uow.session, "van") is None
        assert await matches(uow.session, "nong") == [w["own"]]
    # both ways, the province's list holds the same two
    assert await found(admin, "van") == [w["own"], w["sibling"]]
