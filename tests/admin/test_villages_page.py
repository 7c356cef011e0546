"""The villages page (issue 18, items 2 and 6): a commune keeps each village's adults,
households and mobile signal, and marks its survey done; scoped, CSRF, audited, refused with
a message on bad input; the handover checklist warns of a village without signal."""

from __future__ import annotations

from datetime import date

from core.model import Unit
from core.services import allocation, registry
from core.services.receiving import ReceiptForm, record_receipt
from tests.admin.conftest import START, Admin
from tests.conftest import SYSTEM


async def village_of(admin: Admin, key: str = "village") -> Unit:
    async with admin.runtime.uow() as u:
        found = await u.units.get(admin.world.units[key].id)
    assert found is not None
    return found


def say(admin: Admin, key: str, **params: object) -> str:
    return admin.runtime.catalogue.text(key, "vi", **params)


async def test_the_commune_keeps_a_villages_facts_and_marks_its_survey(admin: Admin) -> None:
    village = admin.world.units["village"]
    await admin.login("commune")
    page = await (await admin.client.get("/admin/villages")).text()
    assert f'id="v{village.id}"' in page and say(admin, "coverage-unsurveyed") in page
    assert f'id="v{admin.world.units["sibling_village"].id}"' not in page  # another commune
    saved = await admin.post(f"/admin/villages/{village.id}",
                             {"adults": "412", "households": "150", "no_signal": "yes"})
    assert saved.status == 302
    after = await village_of(admin)
    assert (after.adult_population, after.household_population, after.no_signal) == (
        412, 150, True)
    for bad in ({"adults": "4l2", "households": "150"}, {"adults": "-3"},
                {"adults": "2000000"}):
        refused = await admin.post(f"/admin/villages/{village.id}", bad)
        assert refused.status == 400, bad
        assert say(admin, "survey-population-invalid", limit=1_000_000) in await refused.text()
    assert (await village_of(admin)).adult_population == 412  # nothing changed
    admin.clock.advance(hours=1)
    done = await admin.post(f"/admin/villages/{village.id}/survey-done")
    assert done.status == 302
    admin.clock.advance(hours=1)
    again = await admin.post(f"/admin/villages/{village.id}/survey-done")
    assert again.status == 302
    after = await village_of(admin)
    assert after.survey_done_at is not None
    assert after.survey_done_at == START.replace(hour=START.hour + 1)  # the first time stands
    async with admin.runtime.uow() as u:
        actions = [e.action for e in await u.audit.for_entity("unit", village.id)]
    assert actions.count("survey-done") == 1 and "update" in actions


async def test_another_communes_village_a_reader_and_a_forged_form_change_nothing(
        admin: Admin) -> None:
    sibling = admin.world.units["sibling_village"]
    await admin.login("commune")
    assert (await admin.post(f"/admin/villages/{sibling.id}", {"adults": "5"})).status == 404
    assert (await admin.post(f"/admin/villages/{sibling.id}/survey-done")).status == 404
    own = admin.world.units["village"]
    forged = await admin.post(f"/admin/villages/{own.id}/survey-done", token="wrong")
    assert forged.status == 403
    await admin.logout()
    await admin.login("village_head")  # reads the page, changes nothing here (chat does)
    assert (await admin.client.get("/admin/villages")).status == 200
    assert (await admin.post(f"/admin/villages/{own.id}/survey-done")).status == 403
    assert (await village_of(admin, "sibling_village")).adult_population == (
        sibling.adult_population)
    assert (await village_of(admin)).survey_done_at is None


async def test_a_village_without_signal_is_named_in_the_handover_checklist(
        admin: Admin) -> None:
    w = admin.world
    async with admin.runtime.uow() as u:
        await registry.approve(u, SYSTEM, w.residents["own"], START)
        await record_receipt(u, SYSTEM, ReceiptForm(unit_id=w.units["commune"].id, phones=1,
                                                    model="Nokia C32"), START)
        await u.commit()
    async with admin.runtime.uow() as u:
        await allocation.commit(u, SYSTEM, "2023", date(2023, 9, 12), START)
        await u.commit()
    await admin.login("commune")
    warning = say(admin, "gifts-handover-no-signal", village=w.units["village"].name)
    assert warning not in await (await admin.client.get("/admin/handovers")).text()
    village = w.units["village"]
    await admin.post(f"/admin/villages/{village.id}",
                     {"adults": str(village.adult_population or 100), "no_signal": "yes"})
    assert warning in await (await admin.client.get("/admin/handovers")).text()
