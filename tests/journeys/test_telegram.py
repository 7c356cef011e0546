"""Journeys through the whole stack on Telegram: real python-telegram-bot, our aiohttp app, the
real dispatcher and dialogs and a real database, against the fake Bot API; polling and webhook.

A village head links with an invite, registers a new household's two adults (a wrong citizen
ID on the way, a restart of the whole app in the middle of the second), starts a third and
cancels; a donor pledges five new phones for "con minh". What the fake Bot API recorded is
checked against the catalogue, and the database through `phocap export`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from aiohttp import web

from bot.channels.telegram import TELEGRAM, WEBHOOK_PATH
from bot.runtime import open_runtime
from bot.server import make_app
from bot.settings import load_settings
from tests.fakes.telegram_api import FakeTelegramAPI, Params, post_update
from tests.journeys.common import (
    CON_MINH,
    CON_MINH_IN_TEXT,
    HEAD_NAME,
    MAI,
    MAI_ID,
    MAI_STORED,
    TELEGRAM_LIMIT,
    THAO,
    THAO_ID,
    THAO_STORED,
    export,
    label,
    match,
    pattern,
    seed,
)

SECRET = "journey-Secret_123"
PUBLIC_URL = "https://phocap.example"
HEAD_CHAT, DONOR_CHAT = 1001, 2002
WAIT = 10.0  # seconds for the replies of one update

Expected = str | tuple[str, dict[str, object]]


class Phocap:
    """`phocap run` as the tests need it: our aiohttp app on 127.0.0.1, started and stopped
    whole (runtime, server, Telegram channel), as many times as a test likes."""

    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
        self.webhook = bool(self.settings.public_url)
        self._stack: AsyncExitStack | None = None
        self.url = ""
        self.starts = 0

    async def start(self) -> None:
        stack = AsyncExitStack()
        runtime = await stack.enter_async_context(open_runtime(self.settings))
        app = make_app(runtime)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._stack = stack
        self.starts += 1
        await asyncio.wait_for(app[TELEGRAM].ready.wait(), 5)

    async def stop(self) -> None:
        """The whole app goes: Telegram channel, server, database connections."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    async def deliver(self, update: Params) -> None:
        """Webhook mode: Telegram posts the update to us."""
        status = await post_update(self.url + WEBHOOK_PATH, update, SECRET)
        assert status == 200, f"the webhook answered {status}"


class TelegramUser:
    """A person in a private chat with the bot: types, presses buttons, reads the replies."""

    def __init__(self, api: FakeTelegramAPI, phocap: Phocap, chat_id: int) -> None:
        self.api, self.phocap, self.chat_id = api, phocap, chat_id
        self.expected = 0  # messages the bot should have sent this chat so far
        self.pressed: list[str] = []  # callback query ids

    async def say(self, text: str, *expected: Expected) -> list[Params]:
        return await self._send(self.api.text_update(self.chat_id, text), expected)

    async def deliver(self, update: Params, *expected: Expected) -> list[Params]:
        """An update built by the test (to deliver it again later)."""
        return await self._send(update, expected)

    async def press(self, data: str, *expected: Expected) -> list[Params]:
        """Press an inline button of the last message that has a keyboard."""
        assert data in self.buttons(), f"no button {data!r} on offer: {self.buttons()}"
        update = self.api.callback_update(self.chat_id, data)
        self.pressed.append(update["callback_query"]["id"])
        return await self._send(update, expected)

    async def _send(self, update: Params, expected: tuple[Expected, ...]) -> list[Params]:
        before = self.expected
        self.expected += len(expected)
        if self.phocap.webhook:
            await self.phocap.deliver(update)  # processed before the answer
        else:
            self.api.push(update)
        try:
            await self.api.wait_for_messages(self.chat_id, self.expected, WAIT)
        except AssertionError as err:
            got = [str(m["text"])[:80] for m in self.api.sent_messages(self.chat_id)[before:]]
            raise AssertionError(f"{err}\nexpected {expected}, got {got}") from None
        sent = self.api.sent_messages(self.chat_id)[before : self.expected]
        for message, want in zip(sent, expected, strict=True):
            key, params = (want, {}) if isinstance(want, str) else want
            message["fields"] = match(key, str(message["text"]), **params)
        return sent

    def buttons(self, message: Params | None = None) -> list[str]:
        """The callback data of a message's inline keyboard (default: the last one shown)."""
        if message is None:
            shown = [m for m in self.api.sent_messages(self.chat_id) if m.get("reply_markup")]
            if not shown:
                return []
            message = shown[-1]
        markup = message.get("reply_markup") or {}
        return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]

    async def settled(self) -> list[Params]:
        """Everything sent to this chat, once nothing more is on its way: exactly what was
        expected, nothing over Telegram's length limit."""
        await asyncio.sleep(0.3)
        sent = self.api.sent_messages(self.chat_id)
        assert len(sent) == self.expected, [m["text"][:60] for m in sent[self.expected :]]
        assert all(0 < len(str(m["text"])) <= TELEGRAM_LIMIT for m in sent)
        return sent


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as fake:
        yield fake
    assert fake.unknown == [], f"Bot API methods the fake does not know: {fake.unknown}"


@pytest.fixture(params=["polling", "webhook"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def phocap(
    api: FakeTelegramAPI, database_url: str, tmp_path: Path, mode: str
) -> AsyncIterator[Phocap]:
    env = {
        "PHOCAP_DATABASE_URL": database_url,
        "PHOCAP_TELEGRAM_TOKEN": api.token,
        "PHOCAP_TELEGRAM_API_URL": api.base_url,
    }
    if mode == "webhook":
        env |= {"PHOCAP_PUBLIC_URL": PUBLIC_URL, "PHOCAP_TELEGRAM_WEBHOOK_SECRET": SECRET}
    app = Phocap(env, tmp_path)
    try:
        yield app
    finally:
        await app.stop()


ASK_HOUSEHOLD, ASK_CODE = "registration-ask-household", "registration-ask-household-code"
ASK_NAME, ASK_DOB = "registration-ask-full-name", "registration-ask-date-of-birth"
ASK_ID, ASK_HAS = "registration-ask-citizen-id", "registration-ask-has-smartphone"
ASK_PHONE, ASK_CONSENT = "registration-ask-phone", "registration-ask-consent"
SUMMARY, SAVED, MORE = "registration-summary", "registration-saved", "registration-more-ask"
HEAD_MENU = "menu-village_head"


async def test_village_head_and_donor_journey(
    api: FakeTelegramAPI, phocap: Phocap, database_url: str, tmp_path: Path, mode: str
) -> None:
    seeded = await seed(database_url)
    await phocap.start()
    head = TelegramUser(api, phocap, HEAD_CHAT)

    # (a) the deep link t.me/<bot>?start=CODE makes the client send "/start CODE"
    linked, menu = await head.say(
        f"/start {seeded.invite}", ("link-done", {"name": HEAD_NAME}), HEAD_MENU
    )
    assert linked["fields"]["role"] == label("role-village_head")
    assert "N\u00e0 D\u0103m" in linked["fields"]["unit"]
    assert head.buttons(menu) == [
        "cmd:register", "cmd:list", "cmd:survey-done", "cmd:bought", "cmd:pledge", "cmd:help",
        "cmd:lang"]

    # (b) a new household, answered by buttons, typed numbers, labels and words
    [asked] = await head.press("cmd:register", (ASK_HOUSEHOLD, {"count": 0}))
    assert head.buttons(asked) == ["new"]
    [asked] = await head.press("new", ASK_CODE)
    assert head.buttons(asked) == ["skip"]
    await head.say("-", "registration-ask-head-name")  # typed: no code known
    [asked] = await head.say(THAO, "registration-ask-poverty")
    assert head.buttons(asked) == ["poor", "near_poor", "none"]
    [asked] = await head.press("poor", "registration-ask-policy")
    assert head.buttons(asked) == ["merit", "social", "none"]
    [asked] = await head.say("1", "registration-ask-household-smartphone")  # 1: merit
    assert head.buttons(asked) == ["yes", "no"]
    await head.say(label("registration-no"), ASK_NAME)  # the label "Khong" typed

    # the first adult: a citizen ID too short, then one of another birth year, then right
    await head.say(THAO, ASK_DOB)
    await head.say("14/02/1975", ASK_ID)
    await head.say("00607500012", ("rules-cccd-length", {"digits": 11}), ASK_ID)
    await head.say(
        "006080000123", ("rules-cccd-year", {"id_year": "80", "birth_year": 1975}), ASK_ID
    )
    await head.say("006 075 000 123", ASK_HAS)
    await head.press("no", ASK_PHONE)
    await head.say("0912 345 678", ASK_CONSENT)
    [summary] = await head.press("yes", SUMMARY)
    assert head.buttons(summary) == ["confirm", "edit", "cancel"]
    assert summary["fields"]["name"] == THAO_STORED
    assert summary["fields"]["citizen_id"] == THAO_ID
    assert summary["fields"]["poverty_label"] == label("registration-poverty-poor")
    assert summary["fields"]["policy_label"] == label("registration-policy-merit")
    saved, more = await head.press("confirm", (SAVED, {"name": THAO_STORED}), MORE)
    household_code = saved["fields"]["household_code"]
    assert household_code.startswith("02173-01-")
    assert head.buttons(more) == ["yes", "no"]

    # another member: yes, the second adult; the whole app restarts in the middle of her
    await head.press("yes", ASK_NAME)  # the household question is skipped
    await head.say(MAI, ASK_DOB)
    await phocap.stop()
    await phocap.start()
    await head.say("05/03/1980", ASK_ID)  # the same dialog, at the same question
    await head.say(MAI_ID, ASK_HAS)
    await head.say("2", ASK_PHONE)  # 2: no
    await head.press("skip", ASK_CONSENT)
    [summary] = await head.say(label("registration-yes"), SUMMARY)  # "Co" typed
    assert (summary["fields"]["name"], summary["fields"]["citizen_id"]) == (MAI_STORED, MAI_ID)
    assert summary["fields"]["household_code"] == household_code
    assert summary["fields"]["head"] == THAO_STORED
    await head.press(
        "confirm", (SAVED, {"name": MAI_STORED, "household_code": household_code}), MORE
    )

    # (c) a third is started and cancelled
    await head.press("yes", ASK_NAME)
    await head.say("Ho\u00e0ng V\u0103n B\u00ecnh", ASK_DOB)
    [_, menu] = await head.say("/cancel", "dialog-cancelled", HEAD_MENU)
    assert "cmd:register" in head.buttons(menu)

    # (d) a donor who is nobody's official pledges five new phones for "con minh"
    donor = TelegramUser(api, phocap, DONOR_CHAT)
    [_, menu] = await donor.say("/start", "chat-start-public", "menu-public")
    assert donor.buttons(menu) == ["cmd:pledge", "cmd:help", "cmd:lang"]
    [asked] = await donor.press("cmd:pledge", "pledge-ask-kind")
    assert donor.buttons(asked) == ["phones", "money", "offer"]
    await donor.press("phones", "pledge-ask-quantity")
    await donor.say("5", "pledge-ask-condition")
    await donor.press("new", "pledge-ask-model")
    [asked] = await donor.press("skip", "pledge-ask-where")
    assert donor.buttons(asked)[0] == "anywhere" and len(donor.buttons(asked)) == 9
    await donor.say("con minh", "pledge-ask-donor")  # typed without diacritics
    await donor.press("anonymous", "pledge-ask-contact")
    [summary] = await donor.press("skip", ("pledge-summary-phones", {"quantity": 5}))
    assert summary["fields"]["where"] == CON_MINH_IN_TEXT
    [done, _] = await donor.press("confirm", ("pledge-done-phones", {"quantity": 5}), "menu-public")
    pledge_code = done["fields"]["code"]
    assert pledge_code and " " not in pledge_code
    assert done["fields"]["page"] == f"/public/pledge/{pledge_code}"
    assert "C\u00f4n Minh" in done["fields"]["address"]

    await head.settled()
    await donor.settled()
    await phocap.stop()

    # every press was answered (the spinner stops), in both modes
    answered = [c["callback_query_id"] for c in api.calls_to("answerCallbackQuery")]
    assert sorted(answered) == sorted(head.pressed + donor.pressed)
    if mode == "webhook":
        assert len(api.calls_to("setWebhook")) == 2 and api.calls_to("getUpdates") == []
    else:
        assert api.calls_to("setWebhook") == [] and api.calls_to("getUpdates")

    # the database, through the command officials use
    residents = export(database_url, tmp_path, "residents")
    assert [(r["full_name"], r["citizen_id"], r["status"]) for r in residents] == [
        (THAO_STORED, THAO_ID, "registered"),
        (MAI_STORED, MAI_ID, "registered"),
    ]
    assert {r["household"] for r in residents} == {household_code}
    assert {(r["household_head"], r["poverty"], r["policy"]) for r in residents} == {
        (THAO_STORED, "poor", "merit")
    }
    assert [r["village_code"] for r in residents] == ["02173-01"] * 2
    [pledge] = export(database_url, tmp_path, "pledges")
    assert (pledge["code"], pledge["kind"], pledge["quantity"], pledge["condition"]) == (
        pledge_code,
        "phones",
        5,
        "new",
    )
    assert (pledge["commune"], pledge["commune_code"]) == (CON_MINH, "02173")
    assert pledge["donor_name"] is None


async def test_a_restart_between_question_and_answer_loses_nothing_twice(
    api: FakeTelegramAPI, phocap: Phocap, database_url: str, mode: str
) -> None:
    """Restarted twice in a row mid-dialog; the same update delivered again after a restart
    (Telegram resends what was not confirmed) is answered once."""
    seeded = await seed(database_url)
    await phocap.start()
    head = TelegramUser(api, phocap, HEAD_CHAT)
    await head.say(f"/start {seeded.invite}", "link-done", HEAD_MENU)
    await head.say("/register", ASK_HOUSEHOLD)
    await head.press("new", ASK_CODE)
    await phocap.stop()
    await phocap.start()
    await phocap.stop()
    await phocap.start()
    update = api.text_update(HEAD_CHAT, "ND-777")
    await head.deliver(update, "registration-ask-head-name")
    await phocap.stop()
    await phocap.start()
    restarted = len(api.calls)
    if phocap.webhook:
        await phocap.deliver(update)  # Telegram did not get our 200: it delivers again
    else:
        api.push(update)
        await api.wait_until(
            lambda: any(
                int(c.params.get("offset") or 0) > update["update_id"]
                for c in api.calls[restarted:]
                if c.method == "getUpdates"
            ),
            WAIT,
            "the replayed update to be confirmed",
        )
    await head.say(THAO, "registration-ask-poverty")  # the dialog moved on from the code
    sent = await head.settled()
    asked_head = pattern("registration-ask-head-name")
    assert sum(bool(asked_head.fullmatch(m["text"])) for m in sent) == 1
