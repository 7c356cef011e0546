"""The aiohttp application: one server for health, admin, public pages, web chat and webhooks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from aiohttp import web
from sqlalchemy import text

from admin.app import setup_admin
from admin.appkeys import (
    CATALOGUE,
    CHANNEL_STATES,
    CLOCK,
    CONFIG,
    REPORT_BUILDER,
    TABLE_READER,
    UOW,
    AdminConfig,
)
from admin.public import setup_public
from bot.appkeys import DISPATCHER, RUNTIME
from bot.channels.base import STATUSES, ChannelStatuses
from bot.channels.http import setup_http
from bot.channels.telegram import setup_telegram
from bot.channels.webchat import setup_webchat
from bot.channels.zalo_bot import setup_zalo
from bot.channels.zalo_oa import setup_zalo_oa
from bot.outbox import setup_outbox
from bot.report_delivery import report_builder
from bot.runtime import Runtime, make_table_reader
from core.clock import Clock, system_clock
from core.services.reports import Builder
from handlers.engine import Dispatcher
from handlers.setup import build_dispatcher

log = logging.getLogger(__name__)

__all__ = ["DISPATCHER", "RUNTIME", "fill_admin_keys", "make_app"]


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise (so a load balancer stops sending).

    Each channel's state rides along ("running", "retrying", "off" ...) without deciding the
    status: a platform out of reach is no reason to take this process out of service.
    """
    runtime = request.app[RUNTIME]
    statuses = request.app.get(STATUSES)
    channels = {s.channel: s.state.value for s in statuses.states()} if statuses else {}
    try:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        log.exception("health check failed")
        return web.json_response(
            {"status": "unavailable", "database": False, "channels": channels}, status=503)
    return web.json_response({"status": "ok", "database": True, "channels": channels})


def make_dispatcher(runtime: Runtime) -> Dispatcher:
    settings = runtime.settings
    return build_dispatcher(
        runtime.uow, runtime.catalogue, settings.dataset, settings.tz,
        bot_username=settings.telegram_bot_username or None,
    )


def fill_admin_keys(app: web.Application, runtime: Runtime, clock: Clock = system_clock
                    ) -> None:
    """What the admin and the public pages declare they need (admin/appkeys.py)."""
    s = runtime.settings
    app[UOW] = runtime.uow
    app[CATALOGUE] = runtime.catalogue
    app[CLOCK] = clock
    app[CONFIG] = AdminConfig(
        dataset=s.dataset, tz=s.tz, locale=s.locale, public_url=s.public_url,
        secret_key=s.secret_key.reveal(), telegram_bot_username=s.telegram_bot_username,
        report_day=s.report_day, support_per_person=s.support_per_person,
        posting_days=s.posting_days,
        session_idle=timedelta(minutes=s.session_idle_minutes),
        session_lifetime=timedelta(hours=s.session_lifetime_hours),
        token_lifetime=timedelta(days=s.token_days), trusted_proxies=s.proxies,
        cookie_secure=s.cookie_secure, import_outside_ids=s.import_outside_ids,
        plan_number=s.plan_number, plan_date=s.plan_day)
    app[TABLE_READER] = make_table_reader(s)
    builder: Callable[[], Builder] = partial(report_builder, runtime.catalogue, s.dataset)
    app[REPORT_BUILDER] = builder


def make_app(runtime: Runtime, dispatcher: Dispatcher | None = None) -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[RUNTIME] = runtime
    app[STATUSES] = ChannelStatuses()  # before the channels: each adds its own
    fill_admin_keys(app, runtime)
    app[CHANNEL_STATES] = app[STATUSES]
    app[DISPATCHER] = dispatcher or make_dispatcher(runtime)
    app.router.add_get("/healthz", healthz)
    setup_http(app)  # first: the channels start on its session and stop before it closes
    setup_webchat(app)
    setup_telegram(app)
    setup_admin(app)
    setup_zalo(app)
    setup_zalo_oa(app)
    setup_public(app)
    setup_outbox(app)  # last: it sends through the channels set up above
    return app
