"""The conversations the bot offers, assembled into one dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from core.i18n import Catalogue, load_catalogue
from core.ports import UnitOfWorkFactory
from handlers.confirm import CONFIRMATION, CONFIRMATION_PROBLEM
from handlers.dialog import Dialog
from handlers.engine import CommandHandler, Dispatcher
from handlers.follow_up import FOLLOW_UP_DIALOGS
from handlers.handover import handover_dialog
from handlers.objection import objection_dialog
from handlers.own_phone import BOUGHT_OWN
from handlers.pledge import PLEDGE
from handlers.registration import REGISTRATION, REGISTRATION_MORE
from handlers.reminders import stop_command
from handlers.survey import SURVEY
from handlers.village_list import list_command


def dialogs(catalogue: Catalogue | None = None, bot_username: str | None = None) -> list[Dialog]:
    # the catalogue names the handover checklist's items; the bot's username makes its QR a
    # Telegram deep link (without one, the QR holds the plain code)
    texts = catalogue or load_catalogue()
    handover = handover_dialog(texts, bot_username=bot_username)
    return [REGISTRATION, REGISTRATION_MORE, PLEDGE, handover, CONFIRMATION,
            CONFIRMATION_PROBLEM, objection_dialog(texts), *FOLLOW_UP_DIALOGS, SURVEY,
            BOUGHT_OWN]


def commands(catalogue: Catalogue) -> dict[str, CommandHandler]:
    # the catalogue: /list composes one line per person from catalogue texts
    return {"list": list_command(catalogue), "stop": stop_command}


def build_dispatcher(
    uow: UnitOfWorkFactory,
    catalogue: Catalogue,
    dataset: str,
    tz: ZoneInfo,
    clock: Callable[[], datetime] | None = None,
    bot_username: str | None = None,
) -> Dispatcher:
    extra = {"clock": clock} if clock else {}
    return Dispatcher(uow, catalogue, dialogs(catalogue, bot_username), commands(catalogue),
                      dataset=dataset, tz=tz, **extra)
