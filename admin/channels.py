"""The chat channels' health, for the province: is each channel up, when did it last hear
from and write to someone, what failed in the last day, what waits in the outbox, when the
Zalo OA token expires and how many unprompted messages the OA sent this month."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from aiohttp import web

from admin.appkeys import CHANNEL_STATES
from admin.context import now, render, unit_of_work
from core.channel_health import health_rows
from core.messages import Channel

# The channels that push messages; the web chat has nothing to reach.
CHANNELS: Final = (Channel.ZALO_OA.value, Channel.ZALO.value, Channel.TELEGRAM.value)
WINDOW: Final = timedelta(days=1)


async def channels_page(request: web.Request) -> web.Response:
    """One card per channel: this process's state joined with what the database holds."""
    at = now(request)
    since = at - WINDOW
    async with unit_of_work(request) as uow:
        records = await uow.views.channel_records(since, at)
    states = request.app.get(CHANNEL_STATES)
    rows = health_rows(CHANNELS, states.states() if states else [], records, since)
    return render(request, "channels.html", {"rows": rows, "at": at})
