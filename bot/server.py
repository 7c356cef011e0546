"""The aiohttp application: one server for health, admin, public pages, web chat and webhooks."""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import text

from bot.runtime import Runtime

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", Runtime)


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


def make_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    return app
