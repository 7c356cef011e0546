"""Dialogs as data: a sequence of steps, each a prompt, its options and a parser.

The engine (handlers/engine.py) walks the steps, keeps the answers in the chat's state,
offers a summary with confirm / edit / cancel, and calls the dialog's finish().
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from core.messages import Reply
from core.model import Actor, ChatState, Official, Role
from core.ports import UnitOfWork

Value = str | int | bool | None | dict[str, object] | list[object]
# In a dialog's data: the bot asked first (a follow-up), so the question may wait for hours
# without being offered "resume or start again" as an idle draft would.
ASKED_BY_BOT = "_asked"


@dataclass
class Turn:
    """Everything a step may use while handling one message."""

    uow: UnitOfWork
    chat: ChatState
    official: Official | None
    actor: Actor
    now: datetime
    today: date
    dataset: str
    locale: str
    source: str = ""  # who is typing, for counting wrong codes: channel and chat, or address

    @property
    def data(self) -> dict[str, object]:
        return self.chat.data

    @property
    def role(self) -> Role | None:
        return self.official.role if self.official else None


@dataclass(frozen=True, slots=True)
class Answer:
    text: str  # what was typed, stripped; "" when a button was pressed
    choice: str | None = None  # the chosen option's value (pressed, or typed as label/number)


def always(_turn: Turn) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    name: str
    ask: Callable[[Turn], Awaitable[Reply]]
    parse: Callable[[Turn, Answer], Awaitable[Value]]
    label_key: str | None = None  # its name in "which answer to change?"; None: not editable
    when: Callable[[Turn], bool] = always
    finishes: bool = False  # the answer completes the dialog: finish() runs with no summary


class Stop(Exception):
    """Raised by a parser to end the dialog here with these replies; nothing is saved."""

    def __init__(self, *replies: Reply) -> None:
        super().__init__("dialog stopped")
        self.replies = list(replies)


@dataclass(frozen=True)
class Finish:
    """What a confirmed dialog says, and optionally the dialog that follows it."""

    replies: list[Reply]
    then: tuple[str, dict[str, object]] | None = None


class Dialog(Protocol):
    @property
    def name(self) -> str:
        """Also the command that starts it: /register, /pledge."""
        ...

    @property
    def roles(self) -> frozenset[Role] | None:
        """Who may use it; None: anyone, linked or not."""
        ...

    @property
    def steps(self) -> tuple[Step, ...]: ...

    async def summary(self, turn: Turn) -> Reply:
        """The collected answers, for the person to check before confirming."""
        ...

    async def finish(self, turn: Turn) -> Finish:
        """Save what the dialog collected (may raise RuleError: the summary is shown again)."""
        ...


@dataclass(frozen=True)
class SimpleDialog:
    """A dialog assembled from functions, for the common case."""

    name: str
    steps: tuple[Step, ...]
    summarise: Callable[[Turn], Awaitable[Reply]]
    complete: Callable[[Turn], Awaitable[Finish]]
    roles: frozenset[Role] | None = None

    async def summary(self, turn: Turn) -> Reply:
        return await self.summarise(turn)

    async def finish(self, turn: Turn) -> Finish:
        return await self.complete(turn)
