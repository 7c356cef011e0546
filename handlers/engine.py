"""The dispatcher: one update = one lock per chat + one unit of work; replies after commit.

Routing order: replays are dropped; group chats and media get a friendly word; commands
(typed, or pressed as "cmd:..." buttons) come first; then the open dialog, if any; then an
invite code; anything else gets the menu.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.clock import Clock, system_clock
from core.codes import HANDOVER_CODE_LENGTH, looks_like_code
from core.errors import RuleError
from core.i18n import Catalogue
from core.messages import Channel, Inbound, Kind, Option, Reply, reply_from_dict, reply_to_dict
from core.model import Actor, ChatState, Official
from core.names import fold
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.services import linking
from handlers import confirm, menu
from handlers.dialog import ASKED_BY_BOT, Answer, Dialog, Step, Stop, Turn

log = logging.getLogger(__name__)

RESUME_AFTER = timedelta(minutes=30)  # a draft idle this long is offered for resumption
DROP_AFTER = timedelta(days=7)  # ... and dropped after this
SUMMARY, EDIT, RESUME = "_summary", "_edit", "_resume"
CommandHandler = Callable[[Turn, str], Awaitable[list[Reply]]]

MENU = "_menu"  # chat.data outside a dialog: the command menu last shown (see _pressed)
PRINTED_CODE = re.compile(r"\s*[A-Za-z0-9]{4}-[A-Za-z0-9]{4}\s*")

# Typed words that act as commands inside a dialog (folded: no diacritics, lower case).
WORDS = {"huy": "cancel", "cancel": "cancel", "quay lai": "back", "back": "back",
         "tro lai": "back", "menu": "menu"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to send back, in the chat's language; nothing for a replayed update.

    For a replay, `earlier` holds what the first delivery answered: a channel whose client
    may have lost the answer (the web chat) can show it again; the others send nothing.
    """

    locale: str
    replies: list[Reply] = field(default_factory=list)
    earlier: list[Reply] = field(default_factory=list)


class Dispatcher:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        catalogue: Catalogue,
        dialogs: Sequence[Dialog],
        commands: Mapping[str, CommandHandler] | None = None,
        dataset: str = "2023",
        tz: ZoneInfo | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._uow = uow
        self.catalogue = catalogue
        self.dialogs = {d.name: d for d in dialogs}
        self.commands = dict(commands or {})
        self._dataset = dataset
        self._tz = tz or ZoneInfo("Asia/Ho_Chi_Minh")
        self._clock = clock
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle(self, msg: Inbound) -> Outcome:
        """Handle one update; the chat's state and the update's id are saved together."""
        key = (msg.channel.value, msg.chat_id)
        async with self._locks[key]:
            try:
                return await self._handle(msg)
            finally:
                if not self._locks[key].locked():
                    self._locks.pop(key, None)

    async def _handle(self, msg: Inbound) -> Outcome:
        now = self._clock()
        channel = msg.channel.value
        async with self._uow() as uow:
            chat, earlier = await uow.chats.open(channel, msg.chat_id, now, msg.update_id)
            # A replay is answered in the chat's language, as the first delivery was.
            locale = self._locale(chat, msg)
            if earlier is not None:
                return replayed(locale, earlier)
            turn = await self._turn(uow, chat, msg, now)
            replies = await self._route(turn, msg)
            remember_menu(chat, replies)
            chat.last_seen_at = now
            await uow.chats.save(chat)
            if msg.update_id and not await uow.chats.record_update(
                    channel, msg.update_id, now, kept_for_replay(msg, replies)):
                # Another process handled the same update while we waited for the chat's
                # lock: its answer stands, and everything this turn did is undone.
                await uow.rollback()
                return replayed(locale, await uow.chats.earlier_replies(channel, msg.update_id))
            await uow.commit()
        return Outcome(locale=self._locale(chat, msg), replies=replies)

    def _locale(self, chat: ChatState, msg: Inbound) -> str:
        for wanted in (chat.locale, msg.locale):
            if wanted in self.catalogue.locales:
                return wanted
        return self.catalogue.default

    async def _turn(self, uow: UnitOfWork, chat: ChatState, msg: Inbound, now: datetime) -> Turn:
        official = await uow.officials.get(chat.official_id) if chat.official_id else None
        if official is not None and not official.active:
            official, chat.official_id = None, None
        return Turn(
            uow=uow, chat=chat, official=official, actor=actor_for(chat, official), now=now,
            today=now.astimezone(self._tz).date(), dataset=self._dataset,
            locale=self._locale(chat, msg),
            source=f"{msg.channel.value}:{msg.address or msg.chat_id}",
        )

    async def _route(self, turn: Turn, msg: Inbound) -> list[Reply]:
        if msg.kind is Kind.GROUP:
            return [Reply("chat-group-only")]
        if msg.kind is Kind.UNSUPPORTED:
            return [Reply("chat-unsupported"), *await self._reprompt(turn)]
        command, arg = parse_command(self._pressed(turn.chat, msg))
        if command:
            return await self.command(turn, command, arg)
        text = (msg.text or "").strip()
        if turn.chat.dialog and looks_like_code(text) and PRINTED_CODE.fullmatch(text):
            # A code pasted as printed (with its dash) in the middle of a dialog means "link
            # me", not an answer: the draft belonged to the chat before it was linked.
            clear(turn.chat)
            return [Reply("dialog-draft-replaced"), *await self.link(turn, text)]
        if turn.chat.dialog:
            stale = self._stale(turn)
            if stale is not None:
                return stale
            return await self.answer(turn, msg)
        if looks_like_code(text):
            return await self.link(turn, text)
        if looks_like_code(text, HANDOVER_CODE_LENGTH):
            return await self.confirmation(turn, text)
        return [Reply("chat-not-understood"), menu.for_turn(turn)]

    def _pressed(self, chat: ChatState, msg: Inbound) -> Inbound:
        """A typed number or label of the command menu last shown, as if its button was
        pressed: Zalo has no buttons, and the menu is kept with the chat, so any process
        understands it."""
        shown = chat.data.get(MENU)
        if chat.dialog or msg.kind is not Kind.TEXT or not isinstance(shown, dict):
            return msg
        answer = match_answer(msg, reply_from_dict(shown).options, self.catalogue)
        if answer is None or answer.choice is None:
            return msg
        return replace(msg, kind=Kind.CHOICE, choice=answer.choice, text=None)

    # ---- commands ---------------------------------------------------------------------

    async def command(self, turn: Turn, name: str, arg: str) -> list[Reply]:
        if name in self.dialogs:
            return await self.start(turn, self.dialogs[name], {})
        if name == "cancel":
            had = turn.chat.dialog is not None
            clear(turn.chat)
            return [Reply("dialog-cancelled" if had else "dialog-nothing-to-cancel"),
                    menu.for_turn(turn)]
        if name == "back":
            return await self.back(turn)
        if name == "start" and arg and looks_like_code(arg):
            return await self.link(turn, arg)
        if name == "start" and arg and looks_like_code(arg, HANDOVER_CODE_LENGTH):
            return await self.confirmation(turn, arg)
        if name in ("start", "menu", "help"):
            return [Reply(f"chat-{name}-{menu.audience(turn)}"), menu.for_turn(turn)]
        if name == "lang":
            return await self.language(turn, arg)
        if name in self.commands:
            return await self.commands[name](turn, arg)
        return [Reply("chat-unknown-command", {"command": name}), menu.for_turn(turn)]

    async def language(self, turn: Turn, arg: str) -> list[Reply]:
        wanted = arg.strip().lower()
        if wanted in self.catalogue.locales:
            turn.chat.locale = wanted
            turn.locale = wanted
            return [Reply("chat-lang-set"), *await self._reprompt(turn)]
        options = tuple(Option(value=f"cmd:lang {loc}", key=f"lang-{loc}")
                        for loc in self.catalogue.locales)
        return [Reply("chat-lang-choose", options=options)]

    async def link(self, turn: Turn, code: str) -> list[Reply]:
        try:
            official = await linking.redeem(turn.uow, turn.chat, code, turn.now, turn.source)
        except RuleError as err:
            return [Reply(err.key, err.params)]
        turn.official, turn.actor = official, actor_for(turn.chat, official)
        unit = await turn.uow.units.get(official.unit_id)
        return [
            Reply("link-done", {"name": official.name, "unit": unit.name if unit else "",
                                "role": f"key:role-{official.role.value}"}),
            menu.for_turn(turn),
        ]

    async def confirmation(self, turn: Turn, code: str) -> list[Reply]:
        """A handover's confirmation code: the recipient's dialog opens on that handover."""
        dialog = self.dialogs.get(confirm.CONFIRM)
        if dialog is None:
            return [Reply("chat-not-understood"), menu.for_turn(turn)]
        try:
            data = await confirm.opening(turn, code)
        except Stop as stop:
            return stop.replies
        return await self.start(turn, dialog, data)

    # ---- dialogs ----------------------------------------------------------------------

    async def start(self, turn: Turn, dialog: Dialog, data: dict[str, object]) -> list[Reply]:
        if dialog.roles is not None and turn.role not in dialog.roles:
            return [Reply("chat-not-allowed"), menu.for_turn(turn)]
        replaced = turn.chat.dialog is not None and turn.chat.dialog != dialog.name
        turn.chat.dialog, turn.chat.data = dialog.name, dict(data)
        turn.chat.dialog_updated_at = turn.now
        first = next_step(dialog, turn, after=None)
        notes = [Reply("dialog-draft-replaced")] if replaced else []
        if first is None:
            return notes + await self._summary(turn, dialog)
        turn.chat.step = first.name
        try:
            return [*notes, await first.ask(turn)]
        except Stop as stop:  # nothing to ask (a question opened by hand with none waiting)
            clear(turn.chat)
            return [*stop.replies, menu.for_turn(turn)]

    def _stale(self, turn: Turn) -> list[Reply] | None:
        """Drop a draft older than a week; offer one idle for a while to be resumed."""
        updated = turn.chat.dialog_updated_at or turn.now
        if turn.now - updated > DROP_AFTER:
            clear(turn.chat)
            return [Reply("dialog-draft-dropped"), menu.for_turn(turn)]
        if turn.now - updated > RESUME_AFTER and turn.chat.step != RESUME \
                and not turn.data.get(ASKED_BY_BOT):
            turn.data["_resume_step"] = turn.chat.step
            turn.chat.step = RESUME
            turn.chat.dialog_updated_at = turn.now
            return [resume_offer(turn)]
        return None

    async def answer(self, turn: Turn, msg: Inbound) -> list[Reply]:
        dialog = self.dialogs.get(turn.chat.dialog or "")
        if dialog is None:  # a dialog that no longer exists after an upgrade
            clear(turn.chat)
            return [menu.for_turn(turn)]
        turn.chat.dialog_updated_at = turn.now
        if turn.chat.step == RESUME:
            return await self._resume(turn, dialog, msg)
        if turn.chat.step == SUMMARY:
            return await self._at_summary(turn, dialog, msg)
        if turn.chat.step == EDIT:
            return await self._at_edit(turn, dialog, msg)
        step = find_step(dialog, turn.chat.step)
        if step is None:
            return await self._summary(turn, dialog)
        prompt = await step.ask(turn)
        reply = match_answer(msg, prompt.options, self.catalogue)
        if reply is None:
            return [Reply("dialog-stale-button"), prompt]
        try:
            turn.data[step.name] = await step.parse(turn, reply)
        except RuleError as err:
            return [Reply(err.key, err.params), prompt]
        except Stop as stop:
            clear(turn.chat)
            return [*stop.replies, menu.for_turn(turn)]
        if step.finishes:
            return await self._finish(turn, dialog, prompt)
        return await self._advance(turn, dialog, step)

    async def _advance(self, turn: Turn, dialog: Dialog, step: Step) -> list[Reply]:
        editing = bool(turn.data.get("_editing"))
        following = next_step(dialog, turn, after=step.name, missing_only=editing)
        if following is None:
            return await self._summary(turn, dialog)
        turn.chat.step = following.name
        return [await following.ask(turn)]

    async def _summary(self, turn: Turn, dialog: Dialog) -> list[Reply]:
        turn.chat.step = SUMMARY
        turn.data.pop("_editing", None)
        summary = await dialog.summary(turn)
        options = summary.options or (
            Option(value="confirm", key="dialog-confirm"),
            Option(value="edit", key="dialog-edit"),
            Option(value="cancel", key="dialog-cancel"),
        )
        return [Reply(summary.key, summary.params, options)]

    async def _at_summary(self, turn: Turn, dialog: Dialog, msg: Inbound) -> list[Reply]:
        summary = (await self._summary(turn, dialog))[0]
        reply = match_answer(msg, summary.options, self.catalogue)
        choice = reply.choice if reply else None
        if choice == "cancel":
            clear(turn.chat)
            return [Reply("dialog-cancelled"), menu.for_turn(turn)]
        if choice == "edit":
            turn.chat.step = EDIT
            return [edit_menu(dialog, turn)]
        if choice != "confirm":
            return [Reply("dialog-choose-option"), summary]
        return await self._finish(turn, dialog, summary)

    async def _finish(self, turn: Turn, dialog: Dialog, summary: Reply) -> list[Reply]:
        try:
            async with turn.uow.savepoint():
                done = await dialog.finish(turn)
        except RuleError as err:
            return [Reply(err.key, err.params), summary]
        clear(turn.chat)
        if done.then is None:
            return done.replies
        name, data = done.then
        return done.replies + await self.start(turn, self.dialogs[name], data)

    async def _at_edit(self, turn: Turn, dialog: Dialog, msg: Inbound) -> list[Reply]:
        prompt = edit_menu(dialog, turn)
        reply = match_answer(msg, prompt.options, self.catalogue)
        if reply is None or reply.choice is None:
            return [Reply("dialog-choose-option"), prompt]
        if reply.choice == "summary":
            return await self._summary(turn, dialog)
        step = find_step(dialog, reply.choice.removeprefix("edit:"))
        if step is None:
            return [Reply("dialog-choose-option"), prompt]
        turn.data["_editing"] = True
        turn.chat.step = step.name
        return [await step.ask(turn)]

    async def _resume(self, turn: Turn, dialog: Dialog, msg: Inbound) -> list[Reply]:
        offer = resume_offer(turn)
        reply = match_answer(msg, offer.options, self.catalogue)
        choice = reply.choice if reply else None
        if choice == "resume":
            turn.chat.step = str(turn.data.pop("_resume_step", "") or "") or None
            return await self._reprompt(turn)
        if choice == "discard":
            clear(turn.chat)
            return [Reply("dialog-cancelled"), menu.for_turn(turn)]
        return [Reply("dialog-choose-option"), offer]

    async def back(self, turn: Turn) -> list[Reply]:
        dialog = self.dialogs.get(turn.chat.dialog or "")
        if dialog is None:
            return [Reply("dialog-nothing-to-cancel"), menu.for_turn(turn)]
        turn.data.pop("_editing", None)
        current = turn.chat.step
        if current in (SUMMARY, EDIT, RESUME):
            current = None  # back from the summary: the last question
        previous = previous_step(dialog, turn, current)
        if previous is None:
            first = next_step(dialog, turn, after=None)
            if first is None:
                return await self._summary(turn, dialog)
            previous = first
        turn.chat.step = previous.name
        return [await previous.ask(turn)]

    async def _reprompt(self, turn: Turn) -> list[Reply]:
        """The open question again, after a detour (a sticker, a language change)."""
        dialog = self.dialogs.get(turn.chat.dialog or "")
        if dialog is None or turn.chat.step is None:
            return [menu.for_turn(turn)]
        if turn.chat.step == SUMMARY:
            return await self._summary(turn, dialog)
        if turn.chat.step == EDIT:
            return [edit_menu(dialog, turn)]
        if turn.chat.step == RESUME:
            return [resume_offer(turn)]
        step = find_step(dialog, turn.chat.step)
        return [await step.ask(turn)] if step else await self._summary(turn, dialog)


def kept_for_replay(msg: Inbound, replies: Sequence[Reply]) -> list[dict[str, object]]:
    """What a replay record keeps of the answer: only the web chat's page asks again for an
    answer it lost (with the same message id), so only its records keep the answer, for as
    long as the record lives (PHOCAP_REPLAY_HOURS) and until any erasure blanks them; the
    other channels' records are the update id alone."""
    if msg.channel is not Channel.WEB:
        return []
    return [reply_to_dict(r) for r in replies]


def replayed(locale: str, earlier: Sequence[Mapping[str, object]]) -> Outcome:
    """A replay sends nothing; it carries the first answer for a client that lost it."""
    return Outcome(locale=locale, earlier=[reply_from_dict(r) for r in earlier])


def actor_for(chat: ChatState, official: Official | None) -> Actor:
    if official is None:
        return Actor(label=f"chat:{chat.channel}:{chat.id}")
    return Actor(label=f"chat:{chat.channel}", official_id=official.id, role=official.role,
                 unit_id=official.unit_id)


def parse_command(msg: Inbound) -> tuple[str, str]:
    """('start', 'CODE') from '/start CODE' or '/start@phocap_bot CODE' or a 'cmd:' button."""
    if msg.kind is Kind.CHOICE and msg.choice and msg.choice.startswith("cmd:"):
        name, _, arg = msg.choice[4:].partition(" ")
        return name, arg
    text = (msg.text or "").strip()
    if text.startswith("/"):
        head, _, arg = text[1:].partition(" ")
        return head.split("@", 1)[0].lower(), arg.strip()
    word = WORDS.get(fold(text))
    return (word, "") if word else ("", "")


def match_answer(
    msg: Inbound, options: Sequence[Option], catalogue: Catalogue | None = None
) -> Answer | None:
    """The answer with its option resolved: pressed, typed as a number, or typed as the label
    (in any of the catalogue's languages).

    None when a button from an older message was pressed: its value is not offered now.
    """
    values = [o.value for o in options]
    if msg.kind is Kind.CHOICE:
        return Answer(text="", choice=msg.choice) if msg.choice in values else None
    text = (msg.text or "").strip()
    # isdecimal, not isdigit: isdigit() also takes a superscript two, which int() refuses
    if text.isdecimal() and 1 <= int(text) <= len(options):
        return Answer(text=text, choice=values[int(text) - 1])
    folded = fold(text)
    for option in options:
        if folded and folded in _spellings(option, catalogue):
            return Answer(text=text, choice=option.value)
    return Answer(text=text)


def _spellings(option: Option, catalogue: Catalogue | None) -> set[str]:
    names = {fold(option.value)}
    if option.label:
        names.add(fold(option.label))
    if option.key and catalogue is not None:
        names |= {fold(catalogue.text(option.key, loc, **dict(option.params)))
                  for loc in catalogue.locales}
    return names


def find_step(dialog: Dialog, name: str | None) -> Step | None:
    return next((s for s in dialog.steps if s.name == name), None)


def next_step(dialog: Dialog, turn: Turn, after: str | None, missing_only: bool = False
              ) -> Step | None:
    names = [s.name for s in dialog.steps]
    start = names.index(after) + 1 if after in names else 0
    for step in dialog.steps[start:]:
        if step.when(turn) and not (missing_only and step.name in turn.data):
            return step
    return None


def previous_step(dialog: Dialog, turn: Turn, current: str | None) -> Step | None:
    names = [s.name for s in dialog.steps]
    end = names.index(current) if current in names else len(names)
    for step in reversed(dialog.steps[:end]):
        if step.when(turn):
            return step
    return None


def edit_menu(dialog: Dialog, turn: Turn) -> Reply:
    options = [Option(value=f"edit:{s.name}", key=s.label_key)
               for s in dialog.steps if s.label_key and s.when(turn) and s.name in turn.data]
    options.append(Option(value="summary", key="dialog-back-to-summary"))
    return Reply("dialog-edit-which", options=tuple(options))


def resume_offer(turn: Turn) -> Reply:
    return Reply(
        "dialog-resume-offer",
        {"dialog": f"key:dialog-name-{turn.chat.dialog}"},
        (Option(value="resume", key="dialog-resume"),
         Option(value="discard", key="dialog-discard")),
    )


def remember_menu(chat: ChatState, replies: Sequence[Reply]) -> None:
    """Keep the command menu just shown outside a dialog; forget it after anything else."""
    if chat.dialog:
        return
    options = replies[-1].options if replies else ()
    if options and all(o.value.startswith("cmd:") for o in options):
        chat.data[MENU] = reply_to_dict(Reply("", options=options))
    else:
        chat.data.pop(MENU, None)


def clear(chat: ChatState) -> None:
    chat.dialog, chat.step, chat.data, chat.dialog_updated_at = None, None, {}, None

