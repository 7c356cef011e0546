"""The audit trail of the official's unit and below: who, when, what, before and after,
read as sentences: field names as the catalogue's labels, coded values as words, times in
local time, secrets only as "changed". The resident's page shows their history the same way."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping

from admin import exports
from admin.context import (
    BAD_QUERY,
    config,
    query_number,
    render,
    show_time,
    text,
    today,
    unit_of_work,
)
from admin.scoping import LISTED_UNITS, Scope, request_scope
from core.dates import format_date, parse_date
from core.errors import RuleError
from core.model import AuditEntry
from core.money import format_amount
from core.page_views import AuditLine, AuditQuery
from core.services.audit import ACTIONS, ENTITIES, READS, SECRET_FIELDS
from documents.lists import When

PAGE = 100
EXPORT_BATCH = 1000
ID_CHECKS = ("id-conflict",)
# The kinds of entry, each with its own filter: changes, reads of personal data, and the
# citizen IDs typed elsewhere that this unit's records hold (the officer's cases to look at).
KINDS: dict[str, AuditQuery] = {
    "changes": AuditQuery(unit_ids=(), hide_actions=(*READS, *ID_CHECKS)),
    "reads": AuditQuery(unit_ids=(), actions=READS),
    "id-checks": AuditQuery(unit_ids=(), actions=ID_CHECKS),
}
FILTERS = ("kind", "entity", "action", "since", "until")
AUDIT_COLUMNS = ("audit_when", "audit_who", "audit_action", "audit_entity", "audit_entity_id",
                 "audit_changes")
AMOUNTS = frozenset({"money", "amount"})
# the audit page's own filters, worded as its menus word them
FILTER_WORDS = {"entity": "admin-entity", "action": "admin-action", "kind": "admin-audit-kind"}
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")

Text = Callable[..., str]
ShowTime = Callable[[datetime | None], str]


@dataclass(frozen=True, slots=True)
class Change:
    """One field of an entry as a person reads it."""

    label: str
    before: str
    after: str
    secret: bool = False


def changes(entry: AuditEntry, t: Text, shown: ShowTime) -> list[Change]:
    """Every field the entry names, labelled and worded (a template global)."""
    b, a = entry.before or {}, entry.after or {}
    return [_change(entry.entity, k, b.get(k), a.get(k), t, shown)
            for k in sorted(set(b) | set(a))]


def field_label(entity: str, field: str, t: Text) -> str:
    """The entity's own label for a field where the common one misleads (an official's
    'name' is not a unit's), else the export's column title."""
    key = f"admin-field-{entity}-{field}"
    found = t(key)
    return t(f"column-{field}") if found == key else found


def _change(entity: str, field: str, old: object, new: object, t: Text, shown: ShowTime
            ) -> Change:
    label = field_label(entity, field, t)
    if field in SECRET_FIELDS:
        return Change(label, "", t("admin-audit-changed"), secret=True)
    return Change(label, value_text(field, old, t, shown), value_text(field, new, t, shown))


def value_text(field: str, value: object, t: Text, shown: ShowTime) -> str:
    """A value of the trail as words: yes/no, the catalogue's word for a code, a local time,
    a day, an amount with its dots; a checklist or a list item by item."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return t("export-yes" if value else "export-no")
    if isinstance(value, int):
        return format_amount(value) if field in AMOUNTS else str(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{_word(t, 'handover-item', str(k))}: {value_text('', v, t, shown)}"
                         for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_text(field, v, t, shown) for v in value)
    return _text_value(field, str(value), t, shown)


def _text_value(field: str, value: str, t: Text, shown: ShowTime) -> str:
    if ISO_TIME.match(value):
        return shown(datetime.fromisoformat(value))
    if ISO_DAY.fullmatch(value):
        return format_date(date.fromisoformat(value))
    if field == "filter":  # a list read's filter, "status=approved, unit=12"
        pairs = (part.partition("=") for part in value.split(", "))
        return "; ".join(
            f"{field_label('', k, t)}: {_word(t, FILTER_WORDS.get(k, f'export-value-{k}'), v)}"
            for k, _, v in pairs)
    return _word(t, f"export-value-{field}", value)


def _word(t: Text, prefix: str, value: str) -> str:
    """The catalogue's word for a coded value, or the value itself (a name, a number)."""
    key = f"{prefix}-{value}"
    found = t(key)
    return value if found == key else found


def who_text(line: AuditLine, t: Text) -> str:
    """The official's name; the command line, a chat or the system in words."""
    label = line.entry.actor.label
    if line.actor_name:
        return line.actor_name
    kind, _, rest = label.partition(":")
    return _word(t, "admin-audit-actor", kind) + (f" ({rest})" if rest else "")


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


def scope_query(scope: Scope) -> AuditQuery:
    """The trail of the official's units: a wide scope's (a province's) found in SQL."""
    if len(scope.units) > LISTED_UNITS:
        return AuditQuery(unit_ids=(), under=scope.unit.id)
    return AuditQuery(unit_ids=scope.ids)


def audit_query(request: web.Request, scope: Scope, args: MultiMapping[str],
                before: int | None) -> AuditQuery:
    """The page's filters from the query string."""
    kind = KINDS.get(args.get("kind", ""), AuditQuery(unit_ids=()))
    return replace(
        scope_query(scope),
        entity=args.get("entity") if args.get("entity") in ENTITIES else None,
        action=args.get("action") if args.get("action") in ACTIONS else None,
        since=_day(request, args.get("since")), until=_day(request, args.get("until"), True),
        before_id=before, actions=kind.actions, hide_actions=kind.hide_actions)


async def audit_page(request: web.Request) -> web.Response:
    """Entries newest first, filtered by entity, action and dates; keyset paging."""
    args = request.query
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        query = audit_query(request, scope, args, query_number(args.get("before")))
        lines = await uow.views.audit_page(query, PAGE + 1)
    kept = {k: args[k] for k in FILTERS if args.get(k)}
    more = len(lines) > PAGE
    lines = lines[:PAGE]
    return render(request, "audit.html", {
        "lines": lines, "filters": kept, "entities": ENTITIES, "actions": ACTIONS,
        "kinds": tuple(KINDS),
        "next_url": f"?{urlencode({**kept, 'before': lines[-1].id})}" if more else None,
        "exports": exports.export_links("/admin/audit", kept),
    })


async def export_audit(request: web.Request) -> web.Response:
    """The trail under the page's filter, newest first, read in batches up to the cap."""
    t = lambda key, **params: text(request, key, **params)  # noqa: E731 - the page's t()
    shown = show_time(request)
    when = exports.local_time(request)
    rows: list[dict[str, object]] = []
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        before: int | None = None
        while True:
            query = audit_query(request, scope, request.query, before)
            lines = await uow.views.audit_page(query, EXPORT_BATCH)
            rows.extend(_export_row(line, t, shown, when) for line in lines)
            exports.check_size(len(rows))
            if len(lines) < EXPORT_BATCH:
                break
            before = lines[-1].id
        await exports.audit_export(uow, request, "audit", scope.unit.id,
                                   {k: request.query.get(k) for k in FILTERS}, len(rows))
    return exports.send(request, "nhat-ky", rows, AUDIT_COLUMNS)


def _export_row(line: AuditLine, t: Text, shown: ShowTime, when: When) -> dict[str, object]:
    e = line.entry
    return {
        "audit_when": when(e.at), "audit_who": who_text(line, t),
        "audit_action": t(f"admin-action-{e.action}"),
        "audit_entity": t(f"admin-entity-{e.entity}"), "audit_entity_id": e.entity_id,
        "audit_changes": "\n".join(
            f"{c.label}: {c.after}" if c.secret or not c.before else
            f"{c.label}: {c.before} \u2192 {c.after}" for c in changes(e, t, shown)),
    }
