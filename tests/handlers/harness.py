"""A fake in-memory channel for dialog tests: say(), press(), and what came back."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.messages import Channel, Inbound, Kind, Reply
from handlers.engine import Dispatcher, Outcome
from handlers.rendering import render

_ids = itertools.count(1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2023, 9, 12, 2, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class ChatUser:
    dispatcher: Dispatcher
    chat_id: str = "chat-1"
    channel: Channel = Channel.WEB
    address: str | None = None  # the web chat's client address, as the channel reports it
    last: Outcome | None = None
    history: list[Outcome] = field(default_factory=list)

    async def send(self, msg: Inbound) -> Outcome:
        self.last = await self.dispatcher.handle(msg)
        self.history.append(self.last)
        return self.last

    async def say(self, text: str, update_id: str | None = None) -> list[str]:
        await self.send(Inbound(channel=self.channel, chat_id=self.chat_id, text=text,
                                update_id=update_id or f"u{next(_ids)}", address=self.address))
        return self.keys()

    async def press(self, value: str) -> list[str]:
        await self.send(Inbound(channel=self.channel, chat_id=self.chat_id, choice=value,
                                kind=Kind.CHOICE, update_id=f"u{next(_ids)}"))
        return self.keys()

    async def sticker(self) -> list[str]:
        await self.send(Inbound(channel=self.channel, chat_id=self.chat_id,
                                kind=Kind.UNSUPPORTED, update_id=f"u{next(_ids)}"))
        return self.keys()

    @property
    def replies(self) -> list[Reply]:
        return self.last.replies if self.last else []

    def keys(self) -> list[str]:
        return [r.key for r in self.replies]

    def options(self) -> list[str]:
        """The option values of the last reply that has any."""
        for reply in reversed(self.replies):
            if reply.options:
                return [o.value for o in reply.options]
        return []

    def texts(self) -> list[str]:
        assert self.last is not None
        catalogue = self.dispatcher.catalogue
        return [render(catalogue, r, self.last.locale).text for r in self.replies]

    def param(self, key: str, name: str) -> object:
        for reply in self.replies:
            if reply.key == key:
                return reply.params[name]
        raise AssertionError(f"no reply {key} in {self.keys()}")
