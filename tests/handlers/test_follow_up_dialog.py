"""The follow-ups after a handover (issue 18, item 4): asked by the bot on the day, once, on the
chat that confirmed (else the village head's), answered with buttons or typed numbers."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.errors import RuleError
from core.figures import parse_month
from core.i18n import load_catalogue
from core.messages import reply_from_dict
from core.model import (
    Actor,
    CaseKind,
    FollowUp,
    Handover,
    PhoneState,
    PhoneUse,
    Role,
)
from core.services import aftercare
from core.services import handover as service
from core.services.linking import create_invite, redeem
from core.services.reports import monthly_report
from handlers import follow_up
from handlers.engine import Dispatcher
from handlers.setup import build_dispatcher
from storage.models import FollowUpRow, OutboxRow
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handlers.harness import ChatUser, Clock
from tests.handover_setup import ALL_DONE, IMEI, THAO, Scene, scene, waiting_resident

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ASK = "follow-up-ask-phone"


@pytest.fixture
def clock() -> Clock:
    return Clock()  # 12/09/2023 09:30 in Viet Nam


@pytest.fixture
def dispatcher(uow: SqlUnitOfWorkFactory, clock: Clock) -> Dispatcher:
    return build_dispatcher(uow, load_catalogue(), "2023", TZ, clock)


@pytest.fixture
def phone(dispatcher: Dispatcher) -> ChatUser:
    return ChatUser(dispatcher, chat_id="new-phone")


async def hand_over(uow: SqlUnitOfWorkFactory, clock: Clock,
                    checklist: dict[str, bool] | None = None) -> tuple[Scene, Handover]:
    place = await scene(uow, clock.now)
    _, support = await waiting_resident(uow, place, clock.now)
    async with uow() as u:
        done = await service.record_handover(u, place.actor, support.id, IMEI,
                                             checklist or ALL_DONE, clock.now)
        await u.commit()
    return place, done


async def confirmed_on(phone: ChatUser, done: Handover) -> None:
    await phone.say(f"/start {done.code}")
    assert await phone.press("confirmed") == ["handover-confirm-done-confirmed"]


async def asked(uow: SqlUnitOfWorkFactory) -> list[FollowUp]:
    async with uow() as u:
        rows = list(await u.session.scalars(select(FollowUpRow).order_by(FollowUpRow.id)))
        return [f for f in [await u.aftercare.get(r.id) for r in rows] if f is not None]


async def queued(uow: SqlUnitOfWorkFactory, prefix: str) -> list[tuple[str, str]]:
    async with uow() as u:
        rows = await u.session.scalars(select(OutboxRow).where(
            OutboxRow.dedupe_key.startswith(prefix)).order_by(OutboxRow.id))
        return [(r.chat_id, reply_from_dict(r.reply).key) for r in rows]


async def test_asked_on_the_seventh_day_once_across_ticks_and_a_broken_phone_opens_a_case(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, clock: Clock
) -> None:
    place, done = await hand_over(uow, clock)
    await confirmed_on(phone, done)
    clock.advance(days=6, hours=23)
    assert await follow_up.ask_due(uow, clock.now, TZ) == 0  # not yet the seventh day
    clock.advance(hours=1)  # day 7, 09:30 local
    assert await follow_up.ask_due(uow, clock.now, TZ) == 1
    assert await follow_up.ask_due(uow, clock.now, TZ) == 0  # a second tick, or process
    clock.advance(hours=1)
    assert await follow_up.ask_due(uow, clock.now, TZ) == 0
    [first] = await asked(uow)
    assert (first.day, first.chat_id, first.for_village_head) == (7, "new-phone", False)
    assert await queued(uow, "follow-up:") == [("new-phone", ASK)]
    # the question is waiting on the chat: "2" is the second option, broken
    assert await phone.say("2") == ["follow-up-case-opened", "follow-up-ask-help"]
    assert await phone.say("4") == ["dialog-choose-option", "follow-up-ask-help"]
    assert await phone.press("yes") == ["follow-up-help-noted", "follow-up-thanks"]
    [answered] = await asked(uow)
    assert (answered.phone_state, answered.wants_help, answered.uses) == (
        PhoneState.BROKEN, True, ())
    async with uow() as u:
        [case] = await u.handovers.cases_for(done.id)
        keys = [k for k, in (await u.session.execute(select(OutboxRow.dedupe_key))).all()]
        wanting = await u.aftercare.wanting_help([place.village.id])
    assert case.kind is CaseKind.BROKEN and case.closed_at is None
    assert f"case:{case.id}:{place.officer.id}" in keys  # the commune officer is told
    assert [r for _, r in wanting] == [(await resident_of(uow, done))]


async def resident_of(uow: SqlUnitOfWorkFactory, done: Handover) -> int:
    async with uow() as u:
        support = await u.supports.get(done.support_id)
    assert support is not None
    return support.resident_id


async def test_a_late_start_asks_only_the_latest_day_due_and_uses_take_several_numbers(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, clock: Clock
) -> None:
    _place, done = await hand_over(uow, clock)
    await confirmed_on(phone, done)
    clock.advance(days=31)  # the service was away on day 7
    assert await follow_up.ask_due(uow, clock.now, TZ) == 1
    assert [f.day for f in await asked(uow)] == [30]
    assert phone.replies == [] or True  # the question reaches the chat through the outbox
    assert await phone.say("1") == ["follow-up-ask-uses"]
    assert await phone.say("1 9") == ["follow-up-uses-invalid", "follow-up-ask-uses"]
    assert await phone.say("5 1") == ["follow-up-uses-invalid", "follow-up-ask-uses"]
    assert await phone.say("1, 2 2") == ["follow-up-ask-help"]
    assert await phone.say("2") == ["follow-up-thanks"]
    [answered] = await asked(uow)
    assert (answered.phone_state, answered.uses, answered.wants_help) == (
        PhoneState.WORKS, (PhoneUse.VNEID, PhoneUse.ZALO), False)
    # the 7-day question is never asked afterwards; day 90 is
    assert await follow_up.ask_due(uow, clock.now + timedelta(days=20), TZ) == 0
    clock.advance(days=60)
    assert await follow_up.ask_due(uow, clock.now, TZ) == 1
    assert [f.day for f in await asked(uow)] == [30, 90]


async def test_at_night_nobody_is_asked(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, clock: Clock
) -> None:
    _place, done = await hand_over(uow, clock)
    await confirmed_on(phone, done)
    clock.advance(days=7, hours=14)  # 23:30 local
    assert await follow_up.ask_due(uow, clock.now, TZ) == 0
    clock.advance(hours=10)  # 09:30 the next morning
    assert await follow_up.ask_due(uow, clock.now, TZ) == 1


async def test_confirmed_on_paper_asks_the_village_head_about_the_recipient(
    uow: SqlUnitOfWorkFactory, dispatcher: Dispatcher, clock: Clock
) -> None:
    place, done = await hand_over(uow, clock)
    async with uow() as u:
        await service.confirm_on_paper(u, place.actor, done.id, clock.now)
        _head, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, place.village.id,
                                         "N\u00f4ng V\u0103n Tr\u01b0\u1edfng", clock.now)
        chat = await u.chats.get_or_create("web", "head-1", clock.now)
        await redeem(u, chat, code, clock.now, f"test:{chat.id}")
        await u.chats.save(chat)
        await u.commit()
    clock.advance(days=7)
    assert await follow_up.ask_due(uow, clock.now, TZ) == 1
    [first] = await asked(uow)
    assert (first.chat_id, first.for_village_head) == ("head-1", True)
    assert await queued(uow, "follow-up:") == [("head-1", "follow-up-ask-phone-head")]
    head_chat = ChatUser(dispatcher, chat_id="head-1")
    assert await head_chat.say("/followup") == ["follow-up-ask-phone-head"]
    assert f"\u00f4ng/b\u00e0 {THAO}" in "\n".join(head_chat.texts())  # no sex on record
    assert await head_chat.say("3") == ["follow-up-case-opened-head", "follow-up-thanks-head"]
    async with uow() as u:
        [case] = await u.handovers.cases_for(done.id)
    assert case.kind is CaseKind.LOST
    # answered already: typing the command again finds nothing waiting
    assert (await head_chat.say("/followup"))[0] == "follow-up-nothing-waiting"


async def test_nobody_answers_for_another_chat_and_an_answer_counts_once(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, clock: Clock
) -> None:
    _place, done = await hand_over(uow, clock)
    await confirmed_on(phone, done)
    clock.advance(days=7)
    await follow_up.ask_due(uow, clock.now, TZ)
    [first] = await asked(uow)
    async with uow() as u:
        stranger = await u.chats.get_or_create("web", "stranger", clock.now)
        with pytest.raises(Exception, match="follow-up-unknown"):
            await aftercare.answer_phone(u, stranger, first.id, PhoneState.SOLD, clock.now)
        mine = await u.chats.get_or_create("web", "new-phone", clock.now)
        await aftercare.answer_phone(u, mine, first.id, PhoneState.SOLD, clock.now)
        with pytest.raises(Exception, match="follow-up-already-answered"):
            await aftercare.answer_phone(u, mine, first.id, PhoneState.WORKS, clock.now)
        await u.commit()
    async with uow() as u:
        cases = await u.handovers.cases_for(done.id)
        count = await u.session.scalar(select(func.count()).select_from(FollowUpRow))
    assert [c.kind for c in cases] == [CaseKind.SOLD] and count == 1


async def test_unticked_items_are_tasks_until_done_and_a_session_clears_who_wanted_help(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, clock: Clock
) -> None:
    place, done = await hand_over(uow, clock, {**ALL_DONE, "vneid": False, "zalo": False})
    async with uow() as u:
        open_tasks = await aftercare.tasks(u, [place.village.id])
    assert sorted(t.item for t in open_tasks) == ["vneid", "zalo"]
    async with uow() as u:
        assert await aftercare.task_done(u, place.actor, done.id, "vneid", clock.now)
        assert not await aftercare.task_done(u, place.actor, done.id, "vneid", clock.now)
        with pytest.raises(Exception, match="task-unknown"):
            await aftercare.task_done(u, place.actor, done.id, "banking", clock.now)  # ticked
        await u.commit()
    async with uow() as u:
        assert [t.item for t in await aftercare.tasks(u, [place.village.id])] == ["zalo"]
    await confirmed_on(phone, done)
    clock.advance(days=7)
    await follow_up.ask_due(uow, clock.now, TZ)
    await phone.say("1")
    await phone.say("5")
    await phone.press("yes")
    resident_id = await resident_of(uow, done)
    async with uow() as u:
        assert [r for _, r in await u.aftercare.wanting_help([place.village.id])] == [
            resident_id]
        other = Actor(label="x", official_id=None, role=Role.COMMUNE, unit_id=-1)
        with pytest.raises(RuleError, match="scope-"):
            await aftercare.record_session(u, other, place.village.id, clock.now.date(),
                                           "C\u00e1n b\u1ed9 x\u00e3", [resident_id],
                                           clock.now, clock.now.date())
        with pytest.raises(Exception, match="guidance-date-future"):
            await aftercare.record_session(u, place.actor, place.village.id,
                                           clock.now.date() + timedelta(days=1), "Doan TN",
                                           [resident_id], clock.now, clock.now.date())
        session = await aftercare.record_session(
            u, place.actor, place.village.id, clock.now.date(), "\u0110o\u00e0n thanh ni\u00ean",
            [resident_id], clock.now, clock.now.date())
        await u.commit()
    async with uow() as u:
        assert await u.aftercare.wanting_help([place.village.id]) == []
        [kept] = await u.aftercare.sessions([place.village.id])
    assert kept.attendees == (resident_id,) and kept.id == session.id


async def test_the_village_heads_list_carries_the_set_up_items_left_until_done(
    uow: SqlUnitOfWorkFactory, dispatcher: Dispatcher, clock: Clock
) -> None:
    place, done = await hand_over(uow, clock, {**ALL_DONE, "zalo": False})
    async with uow() as u:
        _head, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, place.village.id,
                                          "N\u00f4ng V\u0103n Tr\u01b0\u1edfng", clock.now)
        await u.commit()
    head = ChatUser(dispatcher, chat_id="head-2")
    await head.say(code)
    await head.say("/lang en")
    assert await head.say("/list") == ["village-list", "menu-village_head"]
    lines = str(head.param("village-list", "lines")).splitlines()
    assert lines[-2].startswith("Set-up items left after the handover")
    assert lines[-1] == f"\u2022 {THAO} (received on 12/09/2023): install Zalo"
    async with uow() as u:
        await aftercare.task_done(u, place.actor, done.id, "zalo", clock.now)
        await u.commit()
    await head.say("/list")
    assert "Set-up items" not in str(head.param("village-list", "lines"))


async def test_the_monthly_report_counts_answers_cases_and_sessions(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, clock: Clock
) -> None:
    """Handed over 12/09/2023; the 30-day question answered on 12/10 'works, Zalo'; a guidance
    session held 20/10 with the recipient; the 90-day one on 11/12 'broken' (a case). October:
    30-day 1 of 1 using, no case, one session with one person. December, to date: 90-day 0 of
    1 using, one case in the month."""
    place, done = await hand_over(uow, clock)
    await confirmed_on(phone, done)
    clock.advance(days=30)  # 12/10/2023 09:30 local
    await follow_up.ask_due(uow, clock.now, TZ)
    await phone.press("works")
    await phone.press("zalo")
    await phone.press("no")
    resident_id = await resident_of(uow, done)
    async with uow() as u:
        await aftercare.record_session(u, place.actor, place.village.id,
                                       date(2023, 10, 20), "Doan thanh nien", [resident_id],
                                       clock.now + timedelta(days=8), date(2023, 10, 20))
        await u.commit()
    clock.advance(days=60)  # 11/12/2023
    await follow_up.ask_due(uow, clock.now, TZ)
    await phone.press("broken")
    await phone.press("no")
    async with uow() as u:
        october = await monthly_report(u, "2023", parse_month("2023-10"), place.commune.id)
        december = await monthly_report(u, "2023", parse_month("2023-12"), place.commune.id)
    oct_month = october.figures[place.commune.id].month
    assert (oct_month.answered_30, oct_month.using_30, oct_month.answered_90) == (1, 1, 0)
    assert (oct_month.cases_opened, oct_month.guidance_sessions, oct_month.guided) == (0, 1, 1)
    dec = december.figures[place.commune.id]
    assert (dec.month.answered_90, dec.month.using_90, dec.month.cases_opened) == (1, 0, 1)
    assert (dec.month.guidance_sessions, dec.to_date.guidance_sessions) == (0, 1)
    assert dec.to_date.adoption(30) == 1.0 and dec.to_date.adoption(90) == 0.0


async def test_two_processes_ticking_at_once_ask_once(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, clock: Clock
) -> None:
    """Two schedulers (two processes) tick at the same moment: the lock and the unique
    (handover, day) let one ask; the other finds nothing due."""
    _place, done = await hand_over(uow, clock)
    await confirmed_on(phone, done)
    clock.advance(days=7)
    counts = await asyncio.gather(follow_up.ask_due(uow, clock.now, TZ),
                                  follow_up.ask_due(uow, clock.now, TZ))
    assert sorted(counts) == [0, 1]
    assert await queued(uow, "follow-up:") == [("new-phone", ASK)]
