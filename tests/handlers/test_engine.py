"""The dialog engine, driven through a fake channel with a small dialog of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.errors import RuleError
from core.i18n import load_catalogue
from core.messages import Channel, Inbound, Kind, Option, Reply
from core.model import Level, Role, Unit
from core.services.linking import create_invite
from handlers.dialog import Answer, Finish, SimpleDialog, Step, Turn
from handlers.engine import Dispatcher
from storage.models import LinkFailureRow
from storage.sql import utc
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handlers.harness import ChatUser, Clock

SAVED: list[dict[str, object]] = []


async def ask_name(turn: Turn) -> Reply:
    return Reply("t-ask-name")


async def parse_name(turn: Turn, answer: Answer) -> str:
    if not answer.text or answer.text.isdigit():
        raise RuleError("rules-name-empty")
    return answer.text


async def ask_colour(turn: Turn) -> Reply:
    return Reply("t-ask-colour", options=(Option(value="red", label="Red"),
                                          Option(value="blue", label="Blue")))


async def parse_colour(turn: Turn, answer: Answer) -> str:
    if answer.choice is None:
        raise RuleError("dialog-choose-option")
    return answer.choice


async def ask_shade(turn: Turn) -> Reply:
    return Reply("t-ask-shade")


async def parse_shade(turn: Turn, answer: Answer) -> str:
    return answer.text


async def summary(turn: Turn) -> Reply:
    return Reply("t-summary", dict(turn.data))


async def finish(turn: Turn) -> Finish:
    if turn.data["name"] == "Refused":
        raise RuleError("registry-reject-needs-reason")
    SAVED.append(dict(turn.data))
    return Finish([Reply("t-saved")])


DEMO = SimpleDialog(
    name="demo",
    steps=(
        Step("name", ask_name, parse_name, label_key="menu-help"),
        Step("colour", ask_colour, parse_colour, label_key="menu-lang"),
        Step("shade", ask_shade, parse_shade, label_key="menu-list",
             when=lambda t: t.data.get("colour") == "blue"),
    ),
    summarise=summary,
    complete=finish,
)
HEADS_ONLY = SimpleDialog(name="heads", steps=DEMO.steps, summarise=summary, complete=finish,
                          roles=frozenset({Role.VILLAGE_HEAD}))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dispatcher(uow: SqlUnitOfWorkFactory, clock: Clock) -> Dispatcher:
    SAVED.clear()
    return Dispatcher(uow, load_catalogue(), [DEMO, HEADS_ONLY], clock=clock)


@pytest.fixture
def user(dispatcher: Dispatcher) -> ChatUser:
    return ChatUser(dispatcher)


async def test_start_shows_welcome_and_menu(user: ChatUser) -> None:
    assert await user.say("/start") == ["chat-start-public", "menu-public"]
    assert user.options() == ["cmd:pledge", "cmd:help", "cmd:lang"]


async def test_walks_steps_and_saves_after_confirm(user: ChatUser) -> None:
    assert await user.say("/demo") == ["t-ask-name"]
    assert await user.say("Lan") == ["t-ask-colour"]
    assert await user.say("2") == ["t-ask-shade"]  # typed number picks "blue"
    assert await user.say("dark") == ["t-summary"]
    assert user.options() == ["confirm", "edit", "cancel"]
    assert await user.press("confirm") == ["t-saved"]
    assert SAVED == [{"name": "Lan", "colour": "blue", "shade": "dark"}]


async def test_label_typed_in_any_case_selects_option(user: ChatUser) -> None:
    await user.say("/demo")
    await user.say("Lan")
    assert await user.say("rEd") == ["t-summary"]  # 'shade' is skipped for red


async def test_a_superscript_digit_is_a_wrong_answer_not_a_crash(user: ChatUser) -> None:
    await user.say("/demo")
    await user.say("Lan")
    # str.isdigit() says yes to a superscript two; int() does not (found by tests/faults fuzz)
    assert await user.say("\u00b2") == ["dialog-choose-option", "t-ask-colour"]


async def test_bad_answer_keeps_the_question(user: ChatUser) -> None:
    await user.say("/demo")
    assert await user.say("123") == ["rules-name-empty", "t-ask-name"]
    assert await user.say("Lan") == ["t-ask-colour"]
    assert await user.say("green") == ["dialog-choose-option", "t-ask-colour"]


async def test_typed_confirm_word_in_vietnamese_works(user: ChatUser) -> None:
    await user.say("/demo")
    await user.say("Lan")
    await user.say("red")
    assert await user.say("x\u00e1c nh\u1eadn") == ["t-saved"]


async def test_back_returns_to_previous_question(user: ChatUser) -> None:
    await user.say("/demo")
    await user.say("Lan")
    assert await user.say("/back") == ["t-ask-name"]
    assert await user.say("Mai") == ["t-ask-colour"]
    await user.press("red")
    await user.press("confirm")
    assert SAVED[-1]["name"] == "Mai"


async def test_edit_one_field_from_summary_then_back_to_summary(user: ChatUser) -> None:
    await user.say("/demo")
    await user.say("Lan")
    await user.press("red")
    assert await user.press("edit") == ["dialog-edit-which"]
    assert user.options() == ["edit:name", "edit:colour", "summary"]
    assert await user.press("edit:colour") == ["t-ask-colour"]
    # choosing blue makes 'shade' apply: it is asked before the summary comes back
    assert await user.press("blue") == ["t-ask-shade"]
    assert await user.say("light") == ["t-summary"]
    await user.press("confirm")
    assert SAVED == [{"name": "Lan", "colour": "blue", "shade": "light"}]


async def test_cancel_drops_the_draft(user: ChatUser) -> None:
    await user.say("/demo")
    await user.say("Lan")
    assert await user.say("/cancel") == ["dialog-cancelled", "menu-public"]
    assert await user.say("Lan") == ["chat-not-understood", "menu-public"]
    assert SAVED == []


async def test_finish_refusal_shows_reason_and_summary_again(user: ChatUser) -> None:
    await user.say("/demo")
    await user.say("Refused")
    await user.press("red")
    assert await user.press("confirm") == ["registry-reject-needs-reason", "t-summary"]


async def test_replayed_update_changes_nothing_and_sends_nothing(user: ChatUser) -> None:
    await user.say("/demo", update_id="same")
    assert user.keys() == ["t-ask-name"]
    assert await user.say("/demo", update_id="same") == []
    assert await user.say("Lan") == ["t-ask-colour"]


async def test_replay_carries_the_first_answer_for_clients_that_lost_it(
    user: ChatUser,
) -> None:
    await user.say("/demo", update_id="lost")
    await user.say("/demo", update_id="lost")
    assert user.last is not None
    assert user.last.replies == []
    assert [r.key for r in user.last.earlier] == ["t-ask-name"]


async def test_update_recorded_by_another_process_meanwhile_is_a_replay(
    uow: SqlUnitOfWorkFactory, clock: Clock
) -> None:
    """open() found the update new, but it was recorded before this turn could record it
    (PostgreSQL: another process, while this one waited for the chat's lock): nothing is
    answered and nothing the turn did is kept."""

    async def raced(turn: Turn, _arg: str) -> list[Reply]:
        # what the other process did, in this transaction for the test's sake
        await turn.uow.chats.record_update("web", "raced", turn.now, [])
        turn.chat.locale = "en"
        return [Reply("t-saved")]

    dispatcher = Dispatcher(uow, load_catalogue(), [DEMO], commands={"race": raced},
                            clock=clock)
    user = ChatUser(dispatcher)
    assert await user.say("/race", update_id="raced") == []
    assert user.last is not None and user.last.earlier == []
    async with uow() as u:
        chat = await u.chats.get_or_create("web", user.chat_id, clock())
    assert chat.locale is None


async def test_stale_button_is_refused_and_question_repeated(user: ChatUser) -> None:
    await user.say("/demo")
    await user.say("Lan")
    await user.press("red")
    assert await user.press("blue") == ["dialog-choose-option", "t-summary"]


async def test_sticker_in_a_dialog_gets_hint_and_same_question(user: ChatUser) -> None:
    await user.say("/demo")
    assert await user.sticker() == ["chat-unsupported", "t-ask-name"]


async def test_group_messages_get_a_private_chat_hint(dispatcher: Dispatcher) -> None:
    outcome = await dispatcher.handle(Inbound(channel=Channel.TELEGRAM, chat_id="-100",
                                              text="/start", kind=Kind.GROUP))
    assert [r.key for r in outcome.replies] == ["chat-group-only"]


async def test_idle_draft_is_offered_for_resumption(user: ChatUser, clock: Clock) -> None:
    await user.say("/demo")
    await user.say("Lan")
    clock.advance(hours=2)
    assert await user.say("blue") == ["dialog-resume-offer"]
    assert await user.press("resume") == ["t-ask-colour"]
    assert await user.press("blue") == ["t-ask-shade"]


async def test_draft_older_than_a_week_is_dropped(user: ChatUser, clock: Clock) -> None:
    await user.say("/demo")
    clock.advance(days=8)
    assert await user.say("Lan") == ["dialog-draft-dropped", "menu-public"]


async def test_state_survives_a_new_dispatcher(uow: SqlUnitOfWorkFactory, clock: Clock) -> None:
    first = ChatUser(Dispatcher(uow, load_catalogue(), [DEMO], clock=clock))
    await first.say("/demo")
    await first.say("Lan")
    restarted = ChatUser(Dispatcher(uow, load_catalogue(), [DEMO], clock=clock))
    assert await restarted.press("red") == ["t-summary"]


async def test_a_number_typed_for_the_main_menu_is_understood_by_another_process(
        uow: SqlUnitOfWorkFactory, clock: Clock) -> None:
    first = ChatUser(Dispatcher(uow, load_catalogue(), [DEMO], clock=clock))
    await first.say("/start")
    other = ChatUser(Dispatcher(uow, load_catalogue(), [DEMO], clock=clock), chat_id=first.chat_id)
    assert await other.say("2") == ["chat-help-public", "menu-public"]  # cmd:help is 2nd
    assert await first.say("9") == ["chat-not-understood", "menu-public"]  # not an item


async def test_lang_switches_and_is_kept(user: ChatUser) -> None:
    await user.say("/lang en")
    assert user.last is not None and user.last.locale == "en"
    await user.say("/help")
    assert user.last.locale == "en"
    assert "I can help you" in user.texts()[0]


async def test_role_dialog_refused_to_the_public(user: ChatUser) -> None:
    assert await user.say("/heads") == ["chat-not-allowed", "menu-public"]


async def _commune_village(uow: SqlUnitOfWorkFactory) -> Unit:
    async with uow() as u:
        p = await u.units.save(Unit(0, "2023", "06", "P", Level.PROVINCE))
        c = await u.units.save(Unit(0, "2023", "02173", "C", Level.COMMUNE, p.id))
        v = await u.units.save(Unit(0, "2023", "02173-01", "V", Level.VILLAGE, c.id))
        await u.commit()
    return v


async def test_invite_code_links_once_and_unlocks_role(
    uow: SqlUnitOfWorkFactory, user: ChatUser, dispatcher: Dispatcher
) -> None:
    village = await _commune_village(uow)
    now = datetime(2023, 9, 12, tzinfo=UTC)
    async with uow() as u:
        _, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, village.id, "hoang van a", now)
        await u.commit()
    assert await user.say(f"/start {code}") == ["link-done", "menu-village_head"]
    assert await user.say("/heads") == ["t-ask-name"]
    other = ChatUser(dispatcher, chat_id="chat-2")
    assert await other.say(code.lower().replace("-", " ")) == ["link-code-used"]


async def test_printed_invite_code_typed_inside_a_dialog_links(
    uow: SqlUnitOfWorkFactory, user: ChatUser
) -> None:
    village = await _commune_village(uow)
    async with uow() as u:
        _, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, village.id, "hoang van a",
                                      datetime(2023, 9, 12, tzinfo=UTC))
        await u.commit()
    await user.say("/demo")
    assert await user.say(code) == ["dialog-draft-replaced", "link-done", "menu-village_head"]
    assert await user.say("Lan") == ["chat-not-understood", "menu-village_head"]


async def test_wrong_codes_block_the_chat_for_a_while(user: ChatUser) -> None:
    for _ in range(5):
        assert await user.say("AAAA-CCCC") == ["link-code-wrong"]
    assert await user.say("AAAA-CCCC") == ["link-blocked"]


async def test_web_chat_misses_count_per_address_whatever_chat_id_the_client_picks(
    uow: SqlUnitOfWorkFactory, dispatcher: Dispatcher, clock: Clock
) -> None:
    # hand-worked: five misses from 203.0.113.7, each under a fresh chat id (the page picks
    # its own): the sixth chat id from that address is blocked for the hour that began with
    # the first miss; another address still has its five tries
    for i in range(5):
        visitor = ChatUser(dispatcher, chat_id=f"fresh-{i}", address="203.0.113.7")
        assert await visitor.say("AAAA-CCCC") == ["link-code-wrong"]
        assert visitor.replies[0].params["tries_left"] == 4 - i
        clock.advance(minutes=1)
    sixth = ChatUser(dispatcher, chat_id="fresh-5", address="203.0.113.7")
    assert await sixth.say("AAAA-CCCC") == ["link-blocked"]
    assert sixth.replies[0].params["minutes"] == 56  # 60 - 5 minutes gone, rounded up
    elsewhere = ChatUser(dispatcher, chat_id="fresh-5", address="198.51.100.2")
    assert await elsewhere.say("AAAA-CCCC") == ["link-code-wrong"]
    assert elsewhere.replies[0].params["tries_left"] == 4
    clock.advance(minutes=56)  # the first miss is an hour old: one try again
    assert await sixth.say("AAAA-CCCC") == ["link-code-wrong"]
    async with uow() as u:  # and the misses (client addresses) older than an hour are gone
        kept = [utc(at) for at in await u.session.scalars(select(LinkFailureRow.at))]
    assert len(kept) == 6 and min(a for a in kept if a) >= clock() - timedelta(hours=1)


async def test_misses_from_everywhere_together_stop_every_link_for_a_while(
    uow: SqlUnitOfWorkFactory, dispatcher: Dispatcher, clock: Clock
) -> None:
    # hand-worked: GLOBAL_MAX (100) misses in the last hour from 100 different sources: the
    # 101st source, with no miss of its own, is told to wait until the oldest is an hour old
    start = clock()
    async with uow() as u:
        for i in range(100):
            await u.invites.add_failure(f"web:10.0.{i // 250}.{i % 250}", start)
        await u.commit()
    clock.advance(minutes=20)
    newcomer = ChatUser(dispatcher, chat_id="new", address="192.0.2.1")
    assert await newcomer.say("AAAA-CCCC") == ["link-busy"]
    assert newcomer.replies[0].params["minutes"] == 41
    clock.advance(minutes=41)
    assert await newcomer.say("AAAA-CCCC") == ["link-code-wrong"]
