"""A commune officer records that a giver served a resident (a shop's offer or a direct gift),
or that the resident bought their own phone: thin over core.services.gifts."""

from __future__ import annotations

from aiohttp import web

from admin.context import now, path_id, text, unit_of_work, who
from admin.donations import FORM_CHANNEL
from admin.residents import resident_in_scope, resident_page
from core.errors import RuleError
from core.model import SupportKind
from core.services import gifts

KINDS = {"offer": SupportKind.SHOP_OFFER, "direct": SupportKind.DIRECT_GIFT,
         "own": SupportKind.OWN_PURCHASE}
FIELDS = ("kind", "giver", "pledge", "what", "once")


async def record(request: web.Request) -> web.Response:
    """POST: the gift against the resident; a refusal keeps what was typed and changes nothing."""
    resident_id = path_id(request, "resident_id")
    form = await request.post()
    typed = {k: str(form.get(k, "")).strip() for k in FIELDS}
    back = f"/admin/residents/{resident_id}"
    try:
        kind = KINDS.get(typed["kind"])
        if kind is None:
            raise RuleError("receiving-gift-kind-invalid")
        async with unit_of_work(request) as uow:
            await resident_in_scope(uow, who(request), resident_id)
            once = typed["once"][:80]
            if once and not await uow.chats.record_update(FORM_CHANNEL, f"gift:{once}",
                                                          now(request), []):
                raise web.HTTPFound(back)  # the same form sent again: recorded the first time
            if kind is SupportKind.OWN_PURCHASE:
                await gifts.record_own_purchase(uow, who(request).actor, resident_id,
                                                typed["what"] or None, now(request))
            else:
                await gifts.record_gift(uow, who(request).actor, resident_id, kind,
                                        typed["giver"], typed["what"] or None, now(request),
                                        pledge=typed["pledge"] or None)
            await uow.commit()
    except RuleError as err:
        if err.key.startswith("scope-"):
            raise
        request["gift_form"] = typed
        return await resident_page(request, error=text(request, err.key, **err.params),
                                   status=400)
    raise web.HTTPFound(back)
