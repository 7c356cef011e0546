"""Officials of the unit and below: chat invitations, web accounts, linked chats."""

from __future__ import annotations

from aiohttp import web

from admin import exports
from admin.context import NotFound, now, path_id, render, text, unit_of_work, who
from admin.passwords import hash_password, new_password
from admin.scoping import Scope, request_scope
from core.errors import RuleError
from core.model import Level, Role
from core.page_views import InvitationLine
from core.ports import UnitOfWork
from core.services.linking import create_invite, revoke_invite, unlink
from core.services.officials import ROLE_LEVEL, add_official
from core.services.scope import within
from documents.lists import INVITATION_COLUMNS, OFFICIAL_COLUMNS, invitation_row, official_row

INVITE_ROLES = (Role.VILLAGE_HEAD, Role.COMMUNE)
LOGIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


async def _listing(uow: UnitOfWork, scope: Scope) -> dict[str, object]:
    officials = await uow.views.officials_in(scope.ids)
    chats = await uow.views.chats_of([o.id for o in officials])
    return {
        "officials": officials, "chats": chats,
        "unit_names": {u.id: scope.label(u) for u in scope.units.values()},
        "invite_units": _units_for(scope, INVITE_ROLES, strictly_below=False),
        "account_units": _units_for(scope, tuple(Role), strictly_below=True),
    }


def _units_for(scope: Scope, roles: tuple[Role, ...], strictly_below: bool
               ) -> list[tuple[str, int, str]]:
    """(role, unit id, label) choices: the unit's level must suit the role."""
    out: list[tuple[str, int, str]] = []
    for unit in sorted(scope.units.values(), key=lambda u: (u.level != Level.COMMUNE,
                                                            scope.label(u))):
        if strictly_below and unit.id == scope.unit.id:
            continue
        out.extend((role.value, unit.id, scope.label(unit)) for role in roles
                   if ROLE_LEVEL[role] is unit.level)
    return out


async def officials_page(request: web.Request, extra: dict[str, object] | None = None,
                         status: int = 200) -> web.Response:
    """Officials with their linked chats; forms for an invitation and a web account."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        listing = await _listing(uow, scope)
    return render(request, "officials.html", {
        **listing, "exports": exports.export_links("/admin/officials", {}), **(extra or {})},
        status=status)


async def export_officials(request: web.Request) -> web.Response:
    """The officials of the unit and below, as the page lists them, as .xlsx or .csv."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        officials = await uow.views.officials_in(scope.ids)
        chats = await uow.views.chats_of([o.id for o in officials])
        rows = [official_row(o, scope.label(scope.get(o.unit_id)), len(chats.get(o.id, [])))
                for o in officials]
        await exports.audit_export(uow, request, "official", scope.unit.id, {}, len(rows))
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
