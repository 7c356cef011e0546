"""What the admin web needs from whoever runs it, as typed app keys over core's Protocols.

The wiring (bot/server.py) fills UOW, CATALOGUE, CLOCK, CONFIG and TABLE_READER before
setup_admin and setup_public; the admin fills its own (JINJA, IMPORT_DIR). Nothing here imports
bot or storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

import jinja2
from aiohttp import web

from core.clock import Clock
from core.i18n import Catalogue
from core.ports import UnitOfWorkFactory
from documents.table_reader import TableReader


@dataclass(frozen=True, slots=True)
class AdminConfig:
    """The settings the admin and the public pages read."""

    dataset: str
    tz: tzinfo
    locale: str
    public_url: str | None = None
    secret_key: str = field(default="", repr=False)  # "" : a key made once and kept in the db
    telegram_bot_username: str = ""  # for the handover QR's deep link
    report_day: int = 15
    support_per_person: int = 500_000  # dong of part of the price


UOW = web.AppKey[UnitOfWorkFactory]("admin_uow")
TABLE_READER = web.AppKey("admin_table_reader", TableReader)  # uploads read in a worker
CATALOGUE = web.AppKey("admin_catalogue", Catalogue)
CLOCK = web.AppKey[Clock]("admin_clock")
CONFIG = web.AppKey("admin_config", AdminConfig)

JINJA = web.AppKey("admin_jinja", jinja2.Environment)
IMPORT_DIR = web.AppKey("admin_import_dir", Path)
