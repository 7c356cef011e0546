"""Registering residents and the village list, through the fake channel on a real database."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.seed import read_unit_file
from core.i18n import load_catalogue
from core.messages import Channel, Inbound
from core.model import Household, Level, Policy, Poverty, Resident, Role, Status, Unit
from core.services import privacy, registry
from core.services.linking import create_invite
from core.services.units import import_units
from handlers.engine import Dispatcher
from handlers.setup import build_dispatcher
from storage.models import ProcessedUpdateRow
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handlers.harness import ChatUser, Clock

ASK_HOUSEHOLD, ASK_CODE = "registration-ask-household", "registration-ask-household-code"
ASK_NAME, ASK_DOB = "registration-ask-full-name", "registration-ask-date-of-birth"
ASK_ID, ASK_PHONE = "registration-ask-citizen-id", "registration-ask-phone"
ASK_HAS, ASK_CONSENT = "registration-ask-has-smartphone", "registration-ask-consent"
SUMMARY, MORE = "registration-summary", "registration-more-ask"
# "Ho\u00e0ng V\u0103n Th\u00e0o", as a village head types it, and its stored form
THAO = "ho\u00e0ng v\u0103n th\u00e0o"
THAO_STORED = "Ho\u00e0ng V\u0103n Th\u00e0o"
THAO_ID = "006075000123"  # born in Bac Kan, a man, 1975
MAI_ID = "006180000456"  # a woman, 1980


@pytest.fixture
def clock() -> Clock:
    return Clock()  # 12/09/2023, 09:30 in Viet Nam


@pytest.fixture
def dispatcher(uow: SqlUnitOfWorkFactory, clock: Clock) -> Dispatcher:
    return build_dispatcher(uow, load_catalogue(), "2023", ZoneInfo("Asia/Ho_Chi_Minh"), clock)


@pytest.fixture
async def village(uow: SqlUnitOfWorkFactory, clock: Clock) -> Unit:
    """Na Dam, a sample village of xa Con Minh, from the shipped 2023 units."""
    dataset, records = read_unit_file()
    async with uow() as u:
        await import_units(u, SYSTEM, dataset, records, clock.now)
        found = await u.units.by_code("2023", "02173-01")
        await u.commit()
    assert found is not None and found.level is Level.VILLAGE
    return found


@pytest.fixture
async def head(dispatcher: Dispatcher, uow: SqlUnitOfWorkFactory, village: Unit,
               clock: Clock) -> ChatUser:
    """The village head of Na Dam, linked through an invite code."""
    async with uow() as u:
        _, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, village.id, "Ma Van Long",
                                      clock.now)
        await u.commit()
    user = ChatUser(dispatcher, chat_id="head")
    assert await user.say(f"/start {code}") == ["link-done", "menu-village_head"]
    return user


async def add_household(uow: SqlUnitOfWorkFactory, village: Unit, code: str, head_name: str,
                        poverty: Poverty = Poverty.POOR, policy: Policy = Policy.NONE,
                        has_smartphone: bool = False) -> Household:
    async with uow() as u:
        form = registry.HouseholdForm(village_id=village.id, head_name=head_name,
                                      poverty=poverty, policy=policy,
                                      has_smartphone=has_smartphone, code=code)
        household = await registry.register_household(u, SYSTEM, form, Clock().now)
        await u.commit()
    return household


async def add_resident(uow: SqlUnitOfWorkFactory, household: Household, name: str, born: date,
                       citizen_id: str | None = None, has_smartphone: bool = False) -> Resident:
    async with uow() as u:
        form = registry.ResidentForm(full_name=name, date_of_birth=born,
                                     has_smartphone=has_smartphone, citizen_id=citizen_id)
        resident = await registry.register_resident(u, SYSTEM, household.id, form, Clock().now,
                                                    date(2023, 9, 12))
        await u.commit()
    return resident


async def residents(uow: SqlUnitOfWorkFactory, village: Unit) -> list[Resident]:
    async with uow() as u:
        return await u.residents.in_units([village.id])


async def households(uow: SqlUnitOfWorkFactory, village: Unit) -> list[Household]:
    async with uow() as u:
        return await u.households.in_village(village.id)


async def new_household(head: ChatUser, name: str = THAO) -> None:
    """From /register to the resident's name, through a new poor merit household."""
    assert await head.say("/register") == [ASK_HOUSEHOLD]
    assert await head.press("new") == [ASK_CODE]
    assert await head.say("-") == ["registration-ask-head-name"]
    assert await head.say(name) == ["registration-ask-poverty"]
    assert await head.press("poor") == ["registration-ask-policy"]
    assert await head.press("merit") == ["registration-ask-household-smartphone"]
    assert await head.press("no") == [ASK_NAME]


async def resident(head: ChatUser, name: str = THAO, born: str = "14/02/1975",
                   citizen_id: str = THAO_ID) -> None:
    """From the resident's name to the summary."""
    assert await head.say(name) == [ASK_DOB]
    assert await head.say(born) == [ASK_ID]
    assert await head.say(citizen_id) == [ASK_HAS]
    assert await head.press("no") == [ASK_PHONE]
    assert await head.say("0912 345 678") == [ASK_CONSENT]
    assert await head.press("yes") == [SUMMARY]


# ---- the whole walk ------------------------------------------------------------------------


async def test_public_chat_is_refused_register(dispatcher: Dispatcher) -> None:
    stranger = ChatUser(dispatcher, chat_id="stranger")
    assert await stranger.say("/register") == ["chat-not-allowed", "menu-public"]


async def test_new_household_and_resident_are_saved_awaiting_approval(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    await new_household(head)
    await resident(head)
    assert head.options() == ["confirm", "edit", "cancel"]
    assert head.param(SUMMARY, "name") == THAO_STORED
    assert head.param(SUMMARY, "poverty_label") == "key:registration-poverty-poor"
    assert head.param(SUMMARY, "citizen_id") == THAO_ID
    assert await head.press("confirm") == ["registration-saved", MORE]
    [household] = await households(uow, village)
    assert (household.head_name, household.poverty, household.policy) == (
        THAO_STORED, Poverty.POOR, Policy.MERIT)
    assert household.code.startswith("02173-01-")  # none known: the registry gave one
    [saved] = await residents(uow, village)
    assert saved.status is Status.REGISTERED
    assert (saved.full_name, saved.date_of_birth, saved.citizen_id, saved.phone) == (
        THAO_STORED, date(1975, 2, 14), THAO_ID, "+84912345678")
    assert saved.household_id == household.id and saved.consent


async def test_two_adults_of_one_household_then_no_more(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    await new_household(head)
    assert await head.say(THAO) == [ASK_DOB]
    assert await head.say("14/02/1975") == [ASK_ID]
    assert await head.say("006075 00012") == ["rules-cccd-length", ASK_ID]
    assert await head.say("006 075 000 123") == [ASK_HAS]
    await head.press("no")
    await head.press("skip")
    await head.press("yes")
    assert await head.press("confirm") == ["registration-saved", MORE]
    assert head.options() == ["yes", "no"]
    # yes: straight to the next person, the household question skipped
    assert await head.press("yes") == [ASK_NAME]
    await resident(head, name="n\u00f4ng th\u1ecb mai", born="05/03/1980", citizen_id=MAI_ID)
    assert head.param(SUMMARY, "head") == THAO_STORED
    assert await head.press("confirm") == ["registration-saved", MORE]
    assert await head.say("kh\u00f4ng, \u0111\u00e3 xong") == ["registration-more-done",
                                                               "menu-village_head"]
    saved = await residents(uow, village)
    assert len(await households(uow, village)) == 1
    assert [r.citizen_id for r in saved] == [THAO_ID, MAI_ID]
    assert len({r.household_id for r in saved}) == 1


async def test_cancel_at_the_summary_saves_nothing(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    await new_household(head)
    await resident(head)
    assert await head.press("cancel") == ["dialog-cancelled", "menu-village_head"]
    assert await residents(uow, village) == []
    assert await households(uow, village) == []


async def test_consent_refused_explains_cancels_and_saves_nothing(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    await new_household(head)
    await head.say(THAO)
    await head.say("14/02/1975")
    await head.press("none")
    await head.press("no")
    await head.press("skip")
    assert await head.say("kh\u00f4ng") == ["registration-consent-refused", "menu-village_head"]
    assert head.options() == [
        "cmd:register", "cmd:list", "cmd:survey-done", "cmd:bought", "cmd:pledge", "cmd:help",
        "cmd:lang"]
    assert await head.say("Lan") == ["chat-not-understood", "menu-village_head"]
    assert await residents(uow, village) == []


# ---- each question's bad answers -----------------------------------------------------------


@pytest.mark.parametrize(("typed", "key"), [
    ("31/02/1990", "rules-date-impossible"),
    ("14/02/75", "rules-date-two-digit-year"),
    ("01/01/2030", "rules-date-future"),
    ("13/09/2005", "registry-minor"),  # 18 tomorrow
    ("hai muoi", "rules-date-format"),
])
async def test_bad_birth_date_keeps_the_question(head: ChatUser, typed: str, key: str) -> None:
    await new_household(head)
    await head.say(THAO)
    assert await head.say(typed) == [key, ASK_DOB]
    assert await head.say("12/09/2005") == [ASK_ID]  # 18 today: an adult


@pytest.mark.parametrize(("typed", "key"), [
    ("00607500012", "rules-cccd-length"),
    ("999075000123", "rules-cccd-province"),
    ("006080000123", "rules-cccd-year"),
    ("006275000123", "rules-cccd-century"),
    ("00607500012x", "rules-cccd-not-digits"),
])
async def test_bad_citizen_id_keeps_the_question(head: ChatUser, typed: str, key: str) -> None:
    await new_household(head)
    await head.say(THAO)
    await head.say("14/02/1975")
    assert await head.say(typed) == [key, ASK_ID]
    assert await head.say("kh\u00f4ng c\u00f3") == [ASK_HAS]  # "none" typed


async def test_bad_names_and_phone_keep_their_questions(head: ChatUser) -> None:
    await head.say("/register")
    await head.press("new")
    await head.press("skip")
    assert await head.say("Thao") == ["rules-name-one-word", "registration-ask-head-name"]
    await head.say(THAO)
    assert await head.say("rich") == ["dialog-choose-option", "registration-ask-poverty"]
    await head.press("poor")
    await head.press("none")
    await head.press("no")
    assert await head.say("Th\u00e0o 2") == ["rules-name-characters", ASK_NAME]
    await head.say(THAO)
    await head.say("14/02/1975")
    await head.press("none")
    assert await head.say("maybe") == ["dialog-choose-option", ASK_HAS]
    await head.press("no")
    assert await head.say("12345") == ["rules-phone-format", ASK_PHONE]
    assert await head.say("024 3825 1234") == ["rules-phone-not-mobile", ASK_PHONE]
    assert await head.say("+84 912 345 678") == [ASK_CONSENT]


async def test_duplicate_citizen_id_is_named_at_its_question(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    other = await add_household(uow, village, "ND-001", "L\u1ed9c V\u0103n Ba")
    await add_resident(uow, other, "L\u1ed9c V\u0103n Ba", date(1975, 6, 1), THAO_ID)
    await new_household(head)
    await head.say(THAO)
    await head.say("14/02/1975")
    assert await head.say(THAO_ID) == ["registry-duplicate-citizen-id", ASK_ID]
    assert head.param("registry-duplicate-citizen-id", "household") == "ND-001"
    assert head.param("registry-duplicate-citizen-id", "full_name") == "L\u1ed9c V\u0103n Ba"
    # recorded as a man: the village head reads "ong Loc Van Ba"
    assert "\u00f4ng L\u1ed9c V\u0103n Ba" in "\n".join(head.texts())


async def test_an_id_held_in_another_district_is_only_said_to_exist(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    """Issue 15, item 1, as the review found it: Na Dam's village head types the number of a
    man registered in xa Nghia Ta (Cho Don). The dialog stays at the question and says only
    "registered in another place; ask the commune officer": no name, birth date, household or
    village. The hit is kept in the trail under xa Nghia Ta, whose officer has the case."""
    async with uow() as u:
        nghia_ta = await u.units.by_code("2023", "02071")
        assert nghia_ta is not None
        elsewhere = next(v for v in await u.units.children(nghia_ta.id)
                         if v.level is Level.VILLAGE)
    other = await add_household(uow, elsewhere, "NT-001", "H\u00e0 V\u0103n Minh")
    minh = await add_resident(uow, other, "H\u00e0 V\u0103n Minh", date(1975, 5, 29), THAO_ID)
    await new_household(head)
    await head.say(THAO)
    await head.say("14/02/1975")
    assert await head.say(THAO_ID) == ["registry-citizen-id-elsewhere", ASK_ID]
    assert [dict(r.params) for r in head.replies if r.key.startswith("registry-")] == [{}]
    async with uow() as u:
        [case] = [e for e in await u.audit.for_entity("resident", minh.id)
                  if e.action == "id-conflict"]
    assert case.unit_id == nghia_ta.id
    assert case.after is not None and case.after["outside"] is True


async def test_same_name_and_birth_date_is_named_even_without_id(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    other = await add_household(uow, village, "ND-002", "N\u00f4ng V\u0103n T\u00e0i")
    await add_resident(uow, other, "N\u00f4ng Th\u1ecb Mai", date(1980, 3, 5))
    await new_household(head)
    assert await head.say("nong thi mai") == [ASK_DOB]
    assert await head.say("05/03/1980") == ["registry-duplicate-person", ASK_DOB]
    assert head.param("registry-duplicate-person", "household") == "ND-002"
    assert head.param("registry-duplicate-person", "head") == "N\u00f4ng V\u0103n T\u00e0i"


async def test_duplicate_appearing_before_confirm_is_refused_and_nothing_saved(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    await new_household(head)
    await resident(head)
    # meanwhile someone else registers the same person in another household
    other = await add_household(uow, village, "ND-003", "Ma V\u0103n Hoa")
    await add_resident(uow, other, THAO, date(1975, 2, 14))
    assert await head.press("confirm") == ["registry-duplicate-person", SUMMARY]
    assert len(await residents(uow, village)) == 1
    assert [h.code for h in await households(uow, village)] == ["ND-003"]


async def test_household_code_already_used_names_its_head(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    await add_household(uow, village, "ND-004", "Ma V\u0103n Hoa")
    await head.say("/register")
    await head.press("new")
    assert await head.say("nd-004") == ["registry-household-code-taken", ASK_CODE]
    assert head.param("registry-household-code-taken", "head") == "Ma V\u0103n Hoa"
    assert await head.say("ND 5") == ["registration-household-code-format", ASK_CODE]
    assert await head.say("nd-005") == ["registration-ask-head-name"]


# ---- choosing a household, typed numbers and labels ----------------------------------------


async def test_household_chosen_by_number_code_or_head_name(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    first = await add_household(uow, village, "ND-010", "Ho\u00e0ng V\u0103n Th\u00e0o")
    second = await add_household(uow, village, "ND-011", "L\u01b0\u01a1ng Th\u1ecb H\u1ea1nh")
    assert await head.say("/register") == [ASK_HOUSEHOLD]
    assert head.options() == [f"hh:{first.id}", f"hh:{second.id}", "new"]
    assert await head.say("2") == [ASK_NAME]  # a typed number picks the second
    assert await head.say("/back") == [ASK_HOUSEHOLD]
    assert await head.say("luong thi hanh") == [ASK_NAME]  # the head's name, no diacritics
    await resident(head, name="l\u01b0\u01a1ng th\u1ecb h\u1ea1nh", born="01/01/1960",
                   citizen_id="kh\u00f4ng")
    assert head.param(SUMMARY, "household_code") == "ND-011"
    assert await head.say("/back") == [ASK_CONSENT]
    assert await head.say("quay l\u1ea1i") == [ASK_PHONE]
    assert await head.say("/back") == [ASK_HAS]
    assert await head.say("c\u00f3") == [ASK_PHONE]  # the label "Co" typed
    assert await head.say("nd-010") == ["rules-phone-format", ASK_PHONE]


async def test_many_households_say_so_and_accept_a_typed_code(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    for n in range(1, 11):
        await add_household(uow, village, f"ND-{n:03d}", f"Ma V\u0103n {chr(64 + n)}a")
    assert await head.say("/register") == ["registration-ask-household-many"]
    assert len(head.options()) == 9 and head.options()[-1] == "new"
    assert head.param("registration-ask-household-many", "count") == 10
    assert await head.say("xyz") == ["registration-household-not-found",
                                     "registration-ask-household-many"]
    assert await head.say("Ma Van") == ["registration-household-ambiguous",
                                        "registration-ask-household-many"]
    assert await head.say("nd-010") == [ASK_NAME]  # not among the buttons


async def test_poverty_typed_as_its_label_in_either_language(head: ChatUser) -> None:
    await head.say("/register")
    await head.press("new")
    await head.press("skip")
    await head.say(THAO)
    assert await head.say("h\u1ed9 c\u1eadn ngh\u00e8o") == ["registration-ask-policy"]
    assert await head.say("social-policy family") == ["registration-ask-household-smartphone"]
    await head.say("/back")
    await head.say("/back")
    assert await head.say("/back") == ["registration-ask-head-name"]
    await head.say(THAO)
    await head.say("1")
    await head.say("3")
    await head.say("1")
    await resident(head)
    assert head.param(SUMMARY, "poverty_label") == "key:registration-poverty-poor"
    assert head.param(SUMMARY, "policy_label") == "key:registration-policy-none"
    assert head.param(SUMMARY, "has_smartphone_household") == "key:registration-yes"


async def test_edit_a_field_from_the_summary(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    await new_household(head)
    await resident(head)
    assert await head.press("edit") == ["dialog-edit-which"]
    assert "edit:full_name" in head.options() and "edit:household" in head.options()
    assert await head.press("edit:full_name") == [ASK_NAME]
    assert await head.say("ho\u00e0ng v\u0103n th\u00e0nh") == [SUMMARY]
    await head.press("edit")
    # a new birth date that contradicts the ID given: the ID is asked again
    await head.press("edit:date_of_birth")
    assert await head.say("14/02/1976") == [ASK_ID]
    assert await head.press("none") == [SUMMARY]
    assert await head.press("confirm") == ["registration-saved", MORE]
    [saved] = await residents(uow, village)
    assert saved.full_name == "Ho\u00e0ng V\u0103n Th\u00e0nh"
    assert (saved.date_of_birth, saved.citizen_id) == (date(1976, 2, 14), None)


# ---- the village list ----------------------------------------------------------------------


async def test_list_is_refused_to_the_public(dispatcher: Dispatcher) -> None:
    stranger = ChatUser(dispatcher, chat_id="stranger")
    assert await stranger.say("/list") == ["chat-not-allowed", "menu-public"]


async def test_list_shows_statuses_and_the_approved_place_in_the_queue(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit, clock: Clock
) -> None:
    poor = await add_household(uow, village, "ND-020", "Ho\u00e0ng V\u0103n Th\u00e0o",
                               policy=Policy.MERIT)
    waiting = await add_resident(uow, poor, "N\u00f4ng Th\u1ecb Mai", date(1980, 3, 5))
    approved = await add_resident(uow, poor, "Ho\u00e0ng V\u0103n Th\u00e0o", date(1975, 2, 14))
    rejected = await add_resident(uow, poor, "Ho\u00e0ng V\u0103n B\u00ecnh", date(1990, 1, 1))
    owns_one = await add_resident(uow, poor, "Ho\u00e0ng Th\u1ecb Hoa", date(1995, 1, 1),
                                  has_smartphone=True)
    async with uow() as u:
        await registry.approve(u, SYSTEM, approved.id, clock.now)
        await registry.approve(u, SYSTEM, owns_one.id, clock.now)
        await registry.reject(u, SYSTEM, rejected.id, "moved to Ha Noi", clock.now)
        await u.commit()
    await head.say("/lang en")
    assert await head.say("/list") == ["village-list", "menu-village_head"]
    assert head.param("village-list", "count") == 4
    lines = str(head.param("village-list", "lines")).splitlines()
    assert lines[0].startswith("\u25aa Household ND-020")
    assert waiting.full_name in lines[1] and "awaiting the commune's approval" in lines[1]
    assert "(1975): approved. Tier 1 (of 4 tiers" in lines[2]
    assert "position 1 of 1 people waiting for a whole phone in x\u00e3 C\u00f4n Minh" in lines[2]
    assert "approved on 12/09/2023" in lines[2]
    assert "not approved by the commune" in lines[3] and "moved to Ha Noi" in lines[3]
    assert "not eligible for support: This person already has a smartphone" in lines[4]


async def test_list_of_an_empty_village(head: ChatUser) -> None:
    assert await head.say("/list") == ["village-list-empty", "menu-village_head"]


async def test_candidates_carry_the_household_facts(
    uow: SqlUnitOfWorkFactory, village: Unit
) -> None:
    home = await add_household(uow, village, "ND-030", "Ma V\u0103n Hoa",
                               poverty=Poverty.NEAR_POOR, policy=Policy.SOCIAL)
    first = await add_resident(uow, home, "Ma V\u0103n Hoa", date(1970, 1, 1))
    await add_resident(uow, home, "Ma Th\u1ecb Lan", date(1972, 1, 1), has_smartphone=True)
    bare = await add_household(uow, village, "ND-031", "Ma V\u0103n Ti\u1ebfn")
    third = await add_resident(uow, bare, "Ma V\u0103n Ti\u1ebfn", date(1960, 1, 1))
    assert village.parent_id is not None
    async with uow() as u:
        found = {c.resident_id: c for c in await u.residents.candidates(village.parent_id)}
        elsewhere = await u.residents.candidates(village.id)
    assert elsewhere == []
    assert (found[first.id].poverty, found[first.id].policy) == (Poverty.NEAR_POOR,
                                                                 Policy.SOCIAL)
    assert found[first.id].household_has_smartphone  # a member has one
    assert not found[first.id].has_smartphone
    assert not found[third.id].household_has_smartphone
    assert found[third.id].status is Status.REGISTERED


# ---- what replay records keep (issue 15, item 7) -------------------------------------------


async def stored_replies(engine: AsyncEngine) -> str:
    """Every answer the replay records hold, as stored, in one text."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(ProcessedUpdateRow.replies))).scalars().all()
    return json.dumps(rows, ensure_ascii=False, default=str)


async def test_erasure_leaves_nothing_of_the_person_in_stored_replies(
    head: ChatUser, uow: SqlUnitOfWorkFactory, village: Unit, clock: Clock,
    engine: AsyncEngine,
) -> None:
    """Hand-worked: the web chat's summary showed name, birth date, ID and phone, and its
    replay record kept it (so a lost answer can be shown again); after the erasure none of
    the four is in any stored reply, and a replay of that update still does nothing."""
    await new_household(head)
    await resident(head)
    summary_update = "summary-1"
    assert await head.say("x", update_id=summary_update) != []  # an answer kept for replay
    assert await head.press("confirm") == ["registration-saved", MORE]
    [saved] = await residents(uow, village)
    kept = await stored_replies(engine)
    assert THAO_STORED in kept and THAO_ID in kept  # what the page may need to show again
    async with uow() as u:
        await privacy.erase(u, SYSTEM, saved.id, clock.now)
        await u.commit()
    kept = await stored_replies(engine)
    for value in (THAO_STORED, THAO_ID, "14/02/1975", "1975-02-14", "912", "345 678"):
        assert value not in kept, value
    replay = await head.send(Inbound(channel=head.channel, chat_id=head.chat_id, text="x",
                                     update_id=summary_update))
    assert (replay.replies, replay.earlier) == ([], [])


async def test_only_the_web_chat_keeps_an_answer_to_show_again(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    """Telegram and Zalo never ask again for a lost answer: their records are the id alone;
    the web chat's page does (same message id), and gets the first answer, not a new one."""
    telegram = ChatUser(dispatcher, chat_id="t1", channel=Channel.TELEGRAM)
    assert await telegram.say("/help", update_id="t-1") != []
    assert await stored_replies(engine) == "[[]]"
    web = ChatUser(dispatcher, chat_id="w1")
    first = await web.say("/help", update_id="w-1")
    again = await web.send(Inbound(channel=Channel.WEB, chat_id="w1", text="/help",
                                   update_id="w-1"))
    assert again.replies == [] and [r.key for r in again.earlier] == first
