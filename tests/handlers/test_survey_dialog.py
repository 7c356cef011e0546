"""/survey-done: a village head marks their own village's survey done; /bought: a resident of
theirs bought their own phone. Through the fake channel on a real database; good and bad
answers, a second time, someone not allowed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from core.model import Policy, Poverty, SupportKind, Unit
from core.services import registry
from handlers.engine import Dispatcher
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handlers.harness import ChatUser, Clock
from tests.handlers.test_registration import clock, dispatcher, head, village

__all__ = ["clock", "dispatcher", "head", "village"]  # the fixtures, shared
AN = "N\u00f4ng V\u0103n An"


async def stored(uow: SqlUnitOfWorkFactory, unit_id: int) -> Unit:
    async with uow() as u:
        found = await u.units.get(unit_id)
    assert found is not None
    return found


async def test_the_village_head_confirms_their_village_once(
        head: ChatUser, village: Unit, uow: SqlUnitOfWorkFactory, clock: Clock) -> None:
    assert village.adult_population  # the shipped sample data keeps one
    assert await head.say("/survey-done") == ["survey-ask-village"]
    assert head.options() == [str(village.id)]
    # another village's name: refused, the question stays, nothing recorded
    assert await head.say("Th\u00f4n N\u00e0 Lang") == ["survey-own-village-only",
                                                         "survey-ask-village"]
    assert head.param("survey-own-village-only", "village") == village.name
    assert (await stored(uow, village.id)).survey_done_at is None
    # typed as its number in the list: the village, then the summary with its adults
    assert await head.say("1") == ["survey-summary"]
    assert head.param("survey-summary", "adults") == village.adult_population
    assert "confirm" in head.options()
    assert (await stored(uow, village.id)).survey_done_at is None  # not before confirming
    assert await head.press("confirm") == ["survey-recorded"]
    first = clock.now
    assert (await stored(uow, village.id)).survey_done_at == first
    async with uow() as u:
        trail = await u.audit.for_entity("unit", village.id)
    assert [e.action for e in trail][-1] == "survey-done"
    clock.advance(days=1)
    assert await head.say("/survey-done") == ["survey-ask-village"]
    assert await head.press(str(village.id)) == ["survey-already-done", "menu-village_head"]
    assert (await stored(uow, village.id)).survey_done_at == first  # the first time stands
    async with uow() as u:
        assert [e.action for e in await u.audit.for_entity("unit", village.id)].count(
            "survey-done") == 1


async def test_a_village_without_its_adult_population_cannot_be_marked(
        head: ChatUser, village: Unit, uow: SqlUnitOfWorkFactory) -> None:
    async with uow() as u:
        await u.units.save(replace(village, adult_population=None))
        await u.commit()
    assert await head.say("/survey-done") == ["survey-ask-village"]
    assert await head.press(str(village.id)) == ["survey-population-missing",
                                                 "menu-village_head"]
    assert (await stored(uow, village.id)).survey_done_at is None


async def test_someone_not_linked_is_not_allowed(dispatcher: Dispatcher, village: Unit,
                                                 uow: SqlUnitOfWorkFactory) -> None:
    stranger = ChatUser(dispatcher, chat_id="stranger")
    keys = await stranger.say("/survey-done")
    assert keys[0] == "chat-not-allowed"
    assert (await stored(uow, village.id)).survey_done_at is None


async def test_the_village_head_says_a_resident_bought_their_own_phone(
        head: ChatUser, village: Unit, uow: SqlUnitOfWorkFactory, clock: Clock) -> None:
    ids = []
    async with uow() as u:
        for born in (1970, 1985):  # two people of the same name
            h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(
                village.id, AN, Poverty.POOR, Policy.NONE, False), clock.now)
            r = await registry.register_resident(u, SYSTEM, h.id, registry.ResidentForm(
                AN, date(born, 3, 1), False), clock.now, clock.now.date())
            ids.append(r.id)
        await u.commit()
    assert await head.say("/bought") == ["bought-ask-person"]
    assert await head.say("Tran Van Khong") == ["bought-no-match", "bought-ask-person"]
    assert await head.say("nong van an") == ["bought-many", "bought-ask-person"]
    assert await head.say("nong van an 1985") == ["bought-summary"]
    assert head.param("bought-summary", "year") == 1985
    assert await head.press("confirm") == ["bought-recorded"]
    async with uow() as u:
        first, second = [await u.supports.active_for(i) for i in ids]
    assert first is None and second is not None
    assert second.kind is SupportKind.OWN_PURCHASE
    # the same person again: refused, nothing recorded twice
    assert await head.say("/bought") == ["bought-ask-person"]
    assert await head.say("nong van an 1985") == ["support-already-served", "bought-ask-person"]
