"""Personal data as Decree 13/2023 asks (issue 15): a citizen ID typed in another commune's
form tells nothing of its holder, and every read of personal data is on record."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import FormData

from core.model import AuditEntry
from core.page_views import AuditQuery
from tests.admin.conftest import Admin

AN = "N\u00f4ng V\u0103n An"
AN_ID = "006070000555"  # born 1970, as An is in the test world


async def give_an_his_id(admin: Admin) -> None:
    async with admin.runtime.uow() as u:
        an = await u.residents.get(admin.world.residents["own"])
        assert an is not None
        await u.residents.update(replace(an, citizen_id=AN_ID))
        await u.commit()


def entries(page: str) -> str:
    """The audit page below its filters (whose options name every action)."""
    return page.split("class=\"filters", 1)[1].split("</form>", 1)[1]


async def trail(admin: Admin, unit: str, *actions: str) -> list[AuditEntry]:
    async with admin.runtime.uow() as u:
        lines = await u.views.audit_page(AuditQuery(
            unit_ids=(admin.world.units[unit].id,), actions=actions), 100)
    return [line.entry for line in lines]


# Worked by hand: An (xa Con Minh, household HX-001) holds 006070000555. The officer of xa
# Nghia Ta corrects Cuong's record with An's number and birth date: the form is refused with
# "registered in another place; ask the commune officer", and the page names neither An nor
# his household. Xa Con Minh's officer sees the case on the dashboard and in the audit page
# (kind "id-checks"), with both communes named; xa Nghia Ta's officer does not.


async def test_an_id_typed_in_another_commune_is_not_revealed_and_becomes_a_case(
    admin: Admin,
) -> None:
    await give_an_his_id(admin)
    cuong = admin.world.residents["sibling"]
    await admin.login("sibling")
    r = await admin.post(f"/admin/residents/{cuong}/edit", {
        "full_name": "Ho\u00e0ng V\u0103n C\u01b0\u1eddng", "date_of_birth": "01/03/1970",
        "citizen_id": AN_ID, "phone": ""}, token=await admin.csrf(
            f"/admin/residents/{cuong}/edit"))
    page = await r.text()
    assert r.status == 400
    assert admin.runtime.text("registry-citizen-id-elsewhere") in page
    assert AN not in page and "HX-001" not in page and "01/03/1970" in page  # only what was typed
    assert "/admin/audit?kind=id-checks" not in await (await admin.client.get("/admin")).text()
    mine = entries(await (await admin.client.get("/admin/audit?kind=id-checks")).text())
    assert admin.runtime.text("admin-action-id-conflict") not in mine
    await admin.logout()

    await admin.login("commune")
    home = await (await admin.client.get("/admin")).text()
    assert "/admin/audit?kind=id-checks" in home
    cases = entries(await (await admin.client.get("/admin/audit?kind=id-checks")).text())
    assert admin.runtime.text("admin-action-id-conflict") in cases
    assert admin.world.units["sibling"].name in cases  # the other record's place
    [case] = await trail(admin, "commune", "id-conflict")
    assert case.entity_id == admin.world.residents["own"]
    assert case.after is not None and case.after["outside"] is True
    assert admin.world.units["village"].name in str(case.after["held_in"])
    async with admin.runtime.uow() as u:
        still = await u.residents.get(cuong)
    assert still is not None and still.citizen_id is None  # nothing changed


# Worked by hand (item 6): the commune officer exports the registered residents (2 rows: An
# and Binh), lists them through the API (limit 1: 1 row), and opens An's page. The trail then
# has two list reads under xa Con Minh (filter and rows each) and one opening of An's record;
# the audit page's "reads" filter shows them and its "changes" filter does not; An's own
# history still shows only changes.


async def test_every_read_of_personal_data_is_on_record(admin: Admin) -> None:
    await admin.login("commune")
    an = admin.world.residents["own"]
    assert (await admin.client.get("/admin/residents.xlsx?status=registered")).status == 200
    assert (await admin.client.get("/api/v1/residents?limit=1")).status == 200
    page = await (await admin.client.get(f"/admin/residents/{an}")).text()
    assert admin.runtime.text("admin-action-read") not in page  # the history: changes only

    reads = await trail(admin, "commune", "read-list")
    by_source = {e.after["source"]: e.after for e in reads if e.after is not None}
    assert by_source["admin-export"]["rows"] == 2
    assert by_source["admin-export"]["filter"] == "status=registered"
    assert by_source["api-list"]["rows"] == 1
    assert by_source["api-list"]["filter"] == "limit=1"
    assert {e.actor.official_id for e in reads} == {reads[0].actor.official_id} != {None}
    [opened] = await trail(admin, "commune", "read")
    assert opened.entity_id == an

    listed = entries(await (await admin.client.get("/admin/audit?kind=reads")).text())
    assert admin.runtime.text("admin-action-read-list") in listed
    assert admin.runtime.text("admin-action-register") not in listed
    changes = entries(await (await admin.client.get("/admin/audit?kind=changes")).text())
    assert admin.runtime.text("admin-action-read-list") not in changes
    assert admin.runtime.text("admin-action-register") in changes


async def test_an_import_preview_is_on_record(admin: Admin) -> None:
    await admin.login("commune")
    commune = admin.world.units["commune"]
    csv = ("H\u1ecd v\u00e0 t\u00ean,Ng\u00e0y sinh,Th\u00f4n\n"
           f"L\u00f2 V\u0103n Xu\u00e2n,01/01/1980,{admin.world.units['village'].name}\n")
    form = FormData()
    form.add_field("_csrf", await admin.csrf())
    form.add_field("commune", str(commune.id))
    form.add_field("file", csv.encode("utf-8"), filename="danh-sach.csv")
    r = await admin.client.post("/admin/import", data=form)
    assert r.status == 200, await r.text()
    [read] = await trail(admin, "commune", "read-list")
    assert read.after is not None
    assert (read.after["source"], read.after["rows"]) == ("import-preview", 1)
