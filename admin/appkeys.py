"""What the admin web needs from whoever runs it, as typed app keys over core's Protocols.

The wiring (bot/server.py) fills UOW, CATALOGUE, CLOCK, CONFIG, TABLE_READER and
REPORT_BUILDER before
setup_admin and setup_public, and CHANNEL_STATES when it runs chat channels; the admin fills
its own (JINJA, IMPORT_DIR). Nothing here imports bot or storage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path

import jinja2
from aiohttp import web

from core.clock import Clock
from core.i18n import Catalogue
from core.ports import ChannelStates, UnitOfWorkFactory
from core.services.reports import Builder
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
    posting_days: int = 7  # days a commune's list is posted for objections (issue 18)
    session_idle: timedelta = timedelta(hours=8)  # a session unused this long ends
    session_lifetime: timedelta = timedelta(hours=12)  # ... and this long after sign-in
    token_lifetime: timedelta = timedelta(days=90)  # an API token ends this long after made
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()  # X-Forwarded-* believed
    cookie_secure: str = "auto"  # auto: Secure when served over https (or a proxy says so)
    import_outside_ids: int = 20  # IDs another commune holds that one import may meet
    plan_number: str = ""  # the provincial plan the handover record cites; "": left blank
    plan_date: date | None = None


UOW = web.AppKey[UnitOfWorkFactory]("admin_uow")
TABLE_READER = web.AppKey("admin_table_reader", TableReader)  # uploads read in a worker
CATALOGUE = web.AppKey("admin_catalogue", Catalogue)
CLOCK = web.AppKey[Clock]("admin_clock")
CONFIG = web.AppKey("admin_config", AdminConfig)
# A new Builder per report sent from the web: the one the scheduler's monthly run uses
# (bot/report_delivery.py), so that a report sent from the page is the scheduler's report.
REPORT_BUILDER = web.AppKey[Callable[[], Builder]]("admin_report_builder")
CHANNEL_STATES = web.AppKey[ChannelStates]("admin_channel_states")  # optional: no chat channels

JINJA = web.AppKey("admin_jinja", jinja2.Environment)
IMPORT_DIR = web.AppKey("admin_import_dir", Path)
