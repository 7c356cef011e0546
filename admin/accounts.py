"""Signing in and out, one's own password, one's own API tokens."""

from __future__ import annotations

from aiohttp import web

from admin.context import NotFound, config, now, path_id, render, unit_of_work, who
from admin.passwords import hash_password, verify_password
from admin.security import LoginRefused, carry_on, sign_in, sign_out
from core.errors import RuleError
from core.passwords import MIN_PASSWORD, check_password
from core.services import accounts
from core.services.officials import set_password


def _next(raw: str | None) -> str:
    """Only a path of our own: never an address elsewhere (//evil.example)."""
    if raw and raw.startswith("/admin") and not raw.startswith("//"):
        return raw
    return "/admin"


async def login_page(request: web.Request) -> web.Response:
    """The sign-in form."""
    return render(request, "login.html", {
        "expired": "expired" in request.query, "next": _next(request.query.get("next"))})


async def login(request: web.Request) -> web.Response:
    """Check login and password; too many failures refuse even the right password."""
    form = await request.post()
    login_name = str(form.get("login", "")).strip()
    try:
        await sign_in(request, login_name, str(form.get("password", "")))
    except LoginRefused as err:
        return render(request, "login.html", {"error": (err.key, err.params),
                                              "login": login_name}, status=err.status)
    raise web.HTTPFound(_next(str(form.get("next", ""))))


async def logout(request: web.Request) -> web.Response:
    """End the official's sessions, here and in every other browser."""
    found = request.get("admin_who")
    await sign_out(request, found.official if found is not None else None)
    raise web.HTTPFound("/admin/login")


async def password_page(request: web.Request) -> web.Response:
    """The password change form."""
    return render(request, "password.html", {"min": MIN_PASSWORD})


async def change_password(request: web.Request) -> web.Response:
    """Old password, then the new one twice (core.passwords' minimum); every other session
    and every API token of the official end."""
    form = await request.post()
    official = who(request).official
    old, new, again = (str(form.get(k, "")) for k in ("old", "new", "again"))
    error = None
    if not verify_password(official.password_hash, old):
        error = "admin-password-old-wrong"
    elif new != again:
        error = "admin-password-mismatch"
    else:
        try:
            check_password(new)
        except RuleError as err:
            error = err.key
    if error:
        return render(request, "password.html", {"error": error, "min": MIN_PASSWORD}, 400)
    hashed = hash_password(new)
    async with unit_of_work(request) as uow:
        generation = await set_password(uow, who(request).actor, official, hashed,
                                        now(request))
        await uow.commit()
    await carry_on(request, generation)
    return render(request, "password.html", {"done": True, "min": MIN_PASSWORD})


async def account_page(request: web.Request, new_token: str | None = None) -> web.Response:
    """One's own page: unit, role, API tokens."""
    me = who(request).official
    lifetime, moment = config(request).token_lifetime, now(request)
    async with unit_of_work(request) as uow:
        unit = await uow.units.get(me.unit_id)
        tokens = [(t, t.created_at + lifetime) for t in await uow.views.tokens_of(me.id)]
    return render(request, "account.html", {
        "unit": unit, "tokens": [(t, until) for t, until in tokens if until > moment],
        "new_token": new_token})


async def create_token(request: web.Request) -> web.Response:
    """A new API token, shown once; only its hash is kept."""
    form = await request.post()
    label = str(form.get("label", "")).strip() or "api"
    me = who(request)
    async with unit_of_work(request) as uow:
        token = await accounts.add_token(uow, me.actor, me.official, label, now(request))
        await uow.commit()
    return await account_page(request, new_token=token)


async def revoke_token(request: web.Request) -> web.Response:
    """Revoke one of one's own tokens (another official's id is simply not found)."""
    token_id = path_id(request, "token_id")
    me = who(request)
    async with unit_of_work(request) as uow:
        done = await accounts.revoke_token(uow, me.actor, me.official, token_id, now(request))
        await uow.commit()
    if not done:
        raise NotFound
    raise web.HTTPFound("/admin/account")
