"""The admin's own stylesheet: served from the package, nothing from elsewhere."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from admin.context import NotFound

TYPES = {"admin.css": "text/css", "lists.css": "text/css",
         "unit-picker.js": "text/javascript"}


async def asset(request: web.Request) -> web.Response:
    """A file of admin/static by its exact name."""
    name = request.match_info["name"]
    if name not in TYPES:
        raise NotFound
    body = (resources.files("admin") / "static" / name).read_bytes()
    return web.Response(body=body, content_type=TYPES[name],
                        headers={"Cache-Control": "max-age=3600"})
