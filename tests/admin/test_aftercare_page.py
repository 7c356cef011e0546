"""After the handover at a desk (issue 18, item 4): the follow-ups' figures, the set-up items
left, and a guidance session recorded for those who asked for help; nothing of another
commune."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.model import Confirmation, FollowUp, PhoneState, PhoneUse
from core.services import handover as service
from storage.models import FollowUpRow
from tests.admin.conftest import START, Admin
from tests.admin.test_handovers_page import AN, IMEI, ITEMS, assigned
from tests.conftest import SYSTEM


async def handed_and_answered(admin: Admin) -> int:
    """A handover with Zalo left undone, confirmed, and its 30-day question answered 'works,
    uses VNeID, wants help'."""
    support_id = await assigned(admin)
    handed = START - timedelta(days=40)
    async with admin.runtime.uow() as u:
        handover = await service.record_handover(
            u, SYSTEM, support_id, IMEI, {**dict.fromkeys(ITEMS, True), "zalo": False}, handed)
        chat = await u.chats.get_or_create("web", "new-phone", START)
        await service.confirm(u, handover.code, chat, Confirmation.CONFIRMED, None, handed)
        asked = await u.aftercare.add(FollowUp(0, handover.id, 30, handed + timedelta(days=30),
                                               "web", "new-phone"))
        assert asked is not None
        await u.aftercare.update(FollowUp(
            asked.id, handover.id, 30, asked.asked_at, "web", "new-phone",
            answered_at=handed + timedelta(days=30), phone_state=PhoneState.WORKS,
            uses=(PhoneUse.VNEID,), wants_help=True))
        await u.commit()
    return handover.id


async def test_the_officer_sees_the_figures_finishes_a_task_and_records_a_session(
    admin: Admin
) -> None:
    handover_id = await handed_and_answered(admin)
    await admin.login("commune")
    page = await (await admin.client.get("/admin/aftercare")).text()
    assert AN in page and 'id="tasks"' in page and "100% (1/1)" in page
    done = await admin.post("/admin/aftercare/tasks", {"handover": handover_id, "item": "zalo"})
    assert done.status == 302
    again = await admin.post("/admin/aftercare/tasks", {"handover": handover_id,
                                                        "item": "zalo"})
    assert again.status == 302  # a double click: marked once
    page = await (await admin.client.get("/admin/aftercare")).text()
    assert 'id="tasks"' not in page
    village = admin.world.units["village"].id
    resident = admin.world.residents["own"]
    future = await admin.post("/admin/aftercare/sessions", {
        "village": village, "held_on": "01/01/2099", "led_by": "Doan thanh nien",
        "attendee": resident})
    assert future.status == 400
    added = await admin.post("/admin/aftercare/sessions", {
        "village": village, "held_on": "10/09/2023", "led_by": "Doan thanh nien",
        "attendee": resident})
    assert added.status == 302
    async with admin.runtime.uow() as u:
        [session] = await u.aftercare.sessions([village])
        assert await u.aftercare.wanting_help([village]) == []
        rows = list(await u.session.scalars(select(FollowUpRow)))
    assert session.attendees == (resident,) and len(rows) == 1


async def test_another_communes_officer_sees_none_of_it_and_cannot_mark_it(
    admin: Admin
) -> None:
    handover_id = await handed_and_answered(admin)
    await admin.login("sibling")
    page = await (await admin.client.get("/admin/aftercare")).text()
    assert AN not in page
    refused = await admin.post("/admin/aftercare/tasks", {"handover": handover_id,
                                                          "item": "zalo"})
    assert refused.status in (403, 404)
    async with admin.runtime.uow() as u:
        [task] = await u.aftercare.tasks([admin.world.units["village"].id])
    assert task.done_at is None


async def test_the_village_head_finishes_a_task_of_their_village(admin: Admin) -> None:
    handover_id = await handed_and_answered(admin)
    await admin.login("village_head")
    page = await (await admin.client.get("/admin/aftercare")).text()
    assert AN in page and 'id="tasks"' in page
    done = await admin.post("/admin/aftercare/tasks", {"handover": handover_id, "item": "zalo"})
    assert done.status == 302
    async with admin.runtime.uow() as u:
        [task] = await u.aftercare.tasks([admin.world.units["village"].id])
    assert task.done_at is not None
