"""A resident's personal data on request, and its erasure (Decree 13): thin over
core.services.privacy, for an officer of the resident's unit."""

from __future__ import annotations

import json

from aiohttp import web

from admin.context import now, path_id, text, unit_of_work, who
from admin.residents import resident_in_scope, resident_page
from core.services import privacy


async def personal_data(request: web.Request) -> web.Response:
    """GET: the person's data as a JSON download; the request is audited."""
    resident_id = path_id(request, "resident_id")
    async with unit_of_work(request) as uow:
        await resident_in_scope(uow, who(request), resident_id)
        data = await privacy.personal_data(uow, who(request).actor, resident_id, now(request))
        await uow.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return web.Response(text=body, content_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="resident-{resident_id}.json"',
        "Cache-Control": "no-store",
    })


async def erase(request: web.Request) -> web.Response:
    """POST: erase, once the officer ticked that the person asked for it."""
    resident_id = path_id(request, "resident_id")
    form = await request.post()
    if form.get("confirm") != "yes":
        return await resident_page(request, error=text(request, "admin-privacy-confirm-needed"),
                                   status=400)
    async with unit_of_work(request) as uow:
        await resident_in_scope(uow, who(request), resident_id)
        await privacy.erase(uow, who(request).actor, resident_id, now(request))
        await uow.commit()
    raise web.HTTPFound(f"/admin/residents/{resident_id}")
