"""Typed keys of what the aiohttp application carries; a module of its own so that every
part of bot/ and admin/ can import them without importing the server."""

from __future__ import annotations

from aiohttp import web

from bot.runtime import Runtime
from handlers.engine import Dispatcher

RUNTIME = web.AppKey("runtime", Runtime)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
