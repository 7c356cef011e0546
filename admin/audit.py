"""The audit trail of the official's unit and below: who, when, what, before and after."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from aiohttp import web

from admin.context import BAD_QUERY, config, query_number, render, today, unit_of_work
from admin.scoping import request_scope
from core.dates import parse_date
from core.errors import RuleError
from core.page_views import AuditQuery
from core.services.audit import READS

PAGE = 100
ENTITIES = ("resident", "household", "official", "chat", "unit")
ID_CHECKS = ("id-conflict",)
ACTIONS = ("register", "approve", "reject", "update", "create", "invite", "link", "unlink",
           "password", "add-token", "revoke-token", "export", "erase", *READS, *ID_CHECKS)
# The kinds of entry, each with its own filter: changes, reads of personal data, and the
# citizen IDs typed elsewhere that this unit's records hold (the officer's cases to look at).
KINDS: dict[str, AuditQuery] = {
    "changes": AuditQuery(unit_ids=(), hide_actions=(*READS, *ID_CHECKS)),
    "reads": AuditQuery(unit_ids=(), actions=READS),
    "id-checks": AuditQuery(unit_ids=(), actions=ID_CHECKS),
}


def _day(request: web.Request, raw: str | None, end: bool = False) -> datetime | None:
    """A dd/mm/yyyy (or yyyy-mm-dd) day as the UTC moment its local day starts (or ends)."""
    if not raw:
        return None
    try:
        day = parse_date(raw, today(request))
    except RuleError:
        raise RuleError(BAD_QUERY) from None
    tz = config(request).tz
    start = datetime.combine(day + timedelta(days=1) if end else day, time(), tz)
    return start


async def audit_page(request: web.Request) -> web.Response:
    """Entries newest first, filtered by entity, action and dates; keyset paging."""
    args = request.query
    before = query_number(args.get("before"))
    kind = KINDS.get(args.get("kind", ""), AuditQuery(unit_ids=()))
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        query = AuditQuery(
            unit_ids=scope.ids,
            entity=args.get("entity") if args.get("entity") in ENTITIES else None,
            action=args.get("action") if args.get("action") in ACTIONS else None,
            since=_day(request, args.get("since")), until=_day(request, args.get("until"), True),
            before_id=before, actions=kind.actions, hide_actions=kind.hide_actions)
        lines = await uow.views.audit_page(query, PAGE + 1)
    kept = {k: args[k] for k in ("kind", "entity", "action", "since", "until") if args.get(k)}
    more = len(lines) > PAGE
    lines = lines[:PAGE]
    return render(request, "audit.html", {
        "lines": lines, "filters": kept, "entities": ENTITIES, "actions": ACTIONS,
        "kinds": tuple(KINDS),
        "next_url": f"?{urlencode({**kept, 'before': lines[-1].id})}" if more else None,
    })


def changes(before: dict[str, object] | None, after: dict[str, object] | None
            ) -> list[tuple[str, object, object]]:
    """(field, before, after) for every field the entry names."""
    b, a = before or {}, after or {}
    return [(k, b.get(k), a.get(k)) for k in sorted(set(b) | set(a))]
