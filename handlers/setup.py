"""The conversations the bot offers, assembled into one dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from core.i18n import Catalogue
from core.ports import UnitOfWorkFactory
from handlers.dialog import Dialog
from handlers.engine import CommandHandler, Dispatcher
from handlers.pledge import PLEDGE
from handlers.registration import REGISTRATION, REGISTRATION_MORE
from handlers.village_list import list_command


def dialogs() -> list[Dialog]:
    return [REGISTRATION, REGISTRATION_MORE, PLEDGE]


def commands(catalogue: Catalogue) -> dict[str, CommandHandler]:
    # the catalogue: /list composes one line per person from catalogue texts
    return {"list": list_command(catalogue)}


def build_dispatcher(
    uow: UnitOfWorkFactory,
    catalogue: Catalogue,
    dataset: str,
    tz: ZoneInfo,
    clock: Callable[[], datetime] | None = None,
) -> Dispatcher:
    extra = {"clock": clock} if clock else {}
    return Dispatcher(uow, catalogue, dialogs(), commands(catalogue), dataset=dataset, tz=tz,
                      **extra)
