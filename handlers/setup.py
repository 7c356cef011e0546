"""The conversations the bot offers, assembled into one dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from core.i18n import Catalogue
from core.ports import UnitOfWorkFactory
from handlers.dialog import Dialog
from handlers.engine import CommandHandler, Dispatcher


def dialogs() -> list[Dialog]:
    return []


def commands() -> dict[str, CommandHandler]:
    return {}


def build_dispatcher(
    uow: UnitOfWorkFactory,
    catalogue: Catalogue,
    dataset: str,
    tz: ZoneInfo,
    clock: Callable[[], datetime] | None = None,
) -> Dispatcher:
    extra = {"clock": clock} if clock else {}
    return Dispatcher(uow, catalogue, dialogs(), commands(), dataset=dataset, tz=tz, **extra)
