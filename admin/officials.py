"""Officials of the unit and below: chat invitations, web accounts, linked chats."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web
from multidict import MultiMapping

from admin import exports
from admin.context import NotFound, now, path_id, query_text, render, text, unit_of_work, who
from admin.paging import page_at
from admin.passwords import hash_password, new_password
from admin.scoping import Scope, request_scope
from admin.units import focus, picked_unit, unit_choices
from core.errors import RuleError
from core.model import Level, Role, Unit
from core.page_views import InvitationLine, OfficialQuery
from core.ports import UnitOfWork
from core.services.linking import create_invite, revoke_invite, unlink
from core.services.officials import ROLE_LEVEL, add_official
from core.services.scope import within
from documents.lists import INVITATION_COLUMNS, OFFICIAL_COLUMNS, invitation_row, official_row

INVITE_ROLES = (Role.VILLAGE_HEAD, Role.COMMUNE)
LOGIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


WIDE = 1000  # units under the chosen one up to which their ids are sent; past it, SQL finds them


def official_query(scope: Scope, args: MultiMapping[str]) -> tuple[OfficialQuery, int | None]:
    """The page's filter from the query string (a unit of the scope, a role, a name), and
    the unit chosen; a unit outside the scope is not found."""
    unit_id = picked_unit(scope, args)
    unit = scope.get(unit_id or scope.unit.id)
    role = args.get("role")
    query = OfficialQuery(role=role if role in {r.value for r in Role} else None,
                          name=query_text(args.get("q")))
    below = _few_below(scope, unit)
    if below is None:
        return replace(query, under=unit.id), unit_id
    return replace(query, unit_ids=tuple(u.id for u in below)), unit_id


def _few_below(scope: Scope, unit: Unit) -> list[Unit] | None:
    """The unit and those under it, or None past WIDE of them (a province's fifty thousand
    units are neither walked nor sent on each request)."""
    out = [unit]
    for parent in out:
        out.extend(scope.children.get(parent.id, ()))
        if len(out) > WIDE:
            return None
    return out


async def _listing(uow: UnitOfWork, scope: Scope, args: MultiMapping[str]
                   ) -> dict[str, object]:
    query, unit_id = official_query(scope, args)
    page = page_at(args.get("page"), await uow.views.official_count(query))
    officials = await uow.views.official_page(query, page.offset, page.size)
    chats = await uow.views.chats_of([o.id for o in officials])
    kept = {k: args[k] for k in ("role", "q") if args.get(k)}
    if unit_id is not None:
        kept["unit"] = str(unit_id)
    at = focus(scope, scope.get(unit_id or scope.unit.id))
    offered = [at, *scope.children.get(at.id, ())]  # the forms' units: one level, as the filter
    return {
        "officials": officials, "chats": chats, "page": page, "filters": kept,
        "roles": [r.value for r in Role],
        "units": unit_choices(scope, scope.get(unit_id or scope.unit.id)),
        "unit_names": {o.unit_id: scope.label(scope.get(o.unit_id)) for o in officials},
        "invite_units": _units_for(scope, offered, INVITE_ROLES, strictly_below=False),
        "account_units": _units_for(scope, offered, tuple(Role), strictly_below=True),
        "exports": exports.export_links("/admin/officials", kept),
    }


def _units_for(scope: Scope, units: list[Unit], roles: tuple[Role, ...], strictly_below: bool
               ) -> list[tuple[str, int, str]]:
    """(role, unit id, label) choices: the unit's level must suit the role."""
    out: list[tuple[str, int, str]] = []
    for unit in sorted(units, key=lambda u: (u.level != Level.COMMUNE, scope.label(u))):
        if strictly_below and unit.id == scope.unit.id:
            continue
        out.extend((role.value, unit.id, scope.label(unit)) for role in roles
                   if ROLE_LEVEL[role] is unit.level)
    return out


async def officials_page(request: web.Request, extra: dict[str, object] | None = None,
                         status: int = 200) -> web.Response:
    """Officials with their linked chats, fifty a page, filtered by unit, role and name;
    forms for an invitation and a web account at the unit chosen or just under it."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        listing = await _listing(uow, scope, request.query)
    return render(request, "officials.html", {**listing, **(extra or {})}, status=status)


async def export_officials(request: web.Request) -> web.Response:
    """The officials of the unit and below, as the page lists them, as .xlsx or .csv."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        query, unit_id = official_query(scope, request.query)
        exports.check_size(await uow.views.official_count(query))
        officials = await uow.views.official_page(query, 0, exports.MAX_ROWS)
        chats = await uow.views.chats_of([o.id for o in officials])
        rows = [official_row(o, scope.label(scope.get(o.unit_id)), len(chats.get(o.id, [])))
                for o in officials]
        await exports.audit_export(uow, request, "official", unit_id or scope.unit.id,
                                   {k: request.query.get(k) for k in ("unit", "role", "q")
                                    if request.query.get(k)}, len(rows))
    return exports.send(request, "can-bo", rows, OFFICIAL_COLUMNS)


async def _invitations(request: web.Request) -> tuple[Scope, list[InvitationLine]]:
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        return scope, await uow.views.pending_invitations(scope.ids, now(request))


async def invitations_page(request: web.Request) -> web.Response:
    """The invitation codes not yet used, who made them and until when; revoke."""
    scope, lines = await _invitations(request)
    return render(request, "invitations.html", {
        "lines": lines, "unit_names": {u.id: scope.label(u) for u in scope.units.values()},
        "exports": exports.export_links("/admin/invitations", {})})


async def export_invitations(request: web.Request) -> web.Response:
    when = exports.local_time(request)
    scope, lines = await _invitations(request)
    rows = [invitation_row(x, scope.label(scope.get(x.unit_id)), when) for x in lines]
    async with unit_of_work(request) as uow:
        await exports.audit_export(uow, request, "official", scope.unit.id, {}, len(rows))
    return exports.send(request, "loi-moi", rows, INVITATION_COLUMNS)


async def revoke_invitation(request: web.Request) -> web.Response:
    """POST: the code stops working; an invitation outside the unit is not found."""
    async with unit_of_work(request) as uow:
        await revoke_invite(uow, who(request).actor, path_id(request, "invite_id"), now(request))
        await uow.commit()
    raise web.HTTPFound("/admin/invitations")


def _choice(scope: Scope, raw: object, roles: tuple[Role, ...], strictly_below: bool
            ) -> tuple[Role, int]:
    """'role:unit' from the form, checked against the scope."""
    try:
        role_text, unit_text = str(raw).split(":", 1)
        role, unit_id = Role(role_text), int(unit_text)
    except ValueError:
        raise NotFound from None
    unit = scope.get(unit_id)
    if role not in roles or ROLE_LEVEL[role] is not unit.level or (
        strictly_below and unit.id == scope.unit.id
    ):
        raise NotFound
    return role, unit.id


async def invite(request: web.Request) -> web.Response:
    """A new official and their chat invitation code, shown once."""
    form = await request.post()
    try:
        async with unit_of_work(request) as uow:
            scope = await request_scope(request, uow)
            role, unit_id = _choice(scope, form.get("where"), INVITE_ROLES, strictly_below=False)
            official, code = await create_invite(uow, who(request).actor, role, unit_id,
                                                 str(form.get("name", "")), now(request))
            await uow.commit()
    except RuleError as err:  # answered after the transaction: SQLite allows one writer
        return await _refused(request, err)
    return await officials_page(request, {"invited": official, "code": code})


async def _refused(request: web.Request, err: RuleError) -> web.Response:
    return await officials_page(request, {"error": text(request, err.key, **err.params)}, 400)


async def add_account(request: web.Request) -> web.Response:
    """A web account for an official below, with a generated password shown once."""
    form = await request.post()
    login = str(form.get("login", "")).strip().lower()
    if not login or not set(login) <= LOGIN_CHARS or len(login) > 100:
        return await officials_page(request, {"error": text(request, "admin-login-invalid")}, 400)
    password = new_password()
    hashed = hash_password(password)
    try:
        async with unit_of_work(request) as uow:
            scope = await request_scope(request, uow)
            role, unit_id = _choice(scope, form.get("where"), tuple(Role), strictly_below=True)
            official = await add_official(uow, who(request).actor, str(form.get("name", "")),
                                          role, unit_id, now(request), login=login,
                                          password_hash=hashed)
            await uow.commit()
    except RuleError as err:
        return await _refused(request, err)
    return await officials_page(request, {"account": official, "password": password})


async def unlink_chat(request: web.Request) -> web.Response:
    """Forget a chat's official (a lost phone, a person who left)."""
    me = who(request)
    async with unit_of_work(request) as uow:
        chat = await uow.chats.get(path_id(request, "chat_id"))
        official = await uow.officials.get(chat.official_id) if chat and chat.official_id else None
        if chat is None or official is None or not await within(uow, me.actor, official.unit_id):
            raise NotFound
        await unlink(uow, me.actor, chat, now(request))
        await uow.chats.save(chat)
        await uow.commit()
    raise web.HTTPFound("/admin/officials")
