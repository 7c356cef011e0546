"""The aiohttp application: one server for health, admin, public pages, web chat and webhooks."""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import text

from admin.app import setup_admin
from admin.public import setup_public
from bot.appkeys import DISPATCHER, RUNTIME
from bot.channels.http import setup_http
from bot.channels.telegram import setup_telegram
from bot.channels.webchat import setup_webchat
from bot.channels.zalo_bot import setup_zalo
from bot.channels.zalo_oa import setup_zalo_oa
from bot.outbox import setup_outbox
from bot.runtime import Runtime
from handlers.engine import Dispatcher
from handlers.setup import build_dispatcher

log = logging.getLogger(__name__)

__all__ = ["DISPATCHER", "RUNTIME", "make_app"]


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise (so a load balancer stops sending)."""
    runtime = request.app[RUNTIME]
    try:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        log.exception("health check failed")
        return web.json_response({"status": "unavailable", "database": False}, status=503)
    return web.json_response({"status": "ok", "database": True})


def make_dispatcher(runtime: Runtime) -> Dispatcher:
    settings = runtime.settings
    return build_dispatcher(
        runtime.uow, runtime.catalogue, settings.dataset, settings.tz,
        bot_username=settings.telegram_bot_username or None,
    )


def make_app(runtime: Runtime, dispatcher: Dispatcher | None = None) -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[RUNTIME] = runtime
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
