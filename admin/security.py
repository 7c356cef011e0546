"""Sessions, sign-in, CSRF and access checks: the middlewares in front of every admin route."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import (
    AbstractStorage,
    Session,
    get_session,
    new_session,
    session_middleware,
)
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography import fernet

from admin.appkeys import CLOCK, CONFIG, UOW
from admin.context import (
    Access,
    Forbidden,
    NotFound,
    Who,
    allowed,
    catalogue,
    is_api,
    now,
    ours,
    render,
    text,
    unit_of_work,
)
from admin.passwords import hash_password, verify_password
from core.errors import RuleError
from core.services import accounts

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

COOKIE = "phocap_admin"
IDLE = timedelta(hours=8)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
MIN_PASSWORD = 10
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
SECRET_NAME = "session-key"  # noqa: S105 - the name of a row, not a secret
SEEN_EVERY = 60  # seconds: the idle clock is written at most once a minute
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# handler -> Access, from the route table
ACCESS = web.AppKey[dict[Handler, Access]]("admin_access")


# -- the session cookie ------------------------------------------------------------------------


def key_from_secret(secret: str) -> bytes:
    """A Fernet key derived from PHOCAP_SECRET_KEY, the same in every process."""
    digest = hashlib.sha256(b"phocap-admin-session\0" + secret.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest)


class LateStorage(AbstractStorage):
    """Encrypted cookies whose key is found on first use: from the settings, or made once
    and kept in the database so that every process and restart shares it."""

    def __init__(self, app: web.Application) -> None:
        super().__init__(cookie_name=COOKIE, max_age=int(IDLE.total_seconds()), httponly=True,
                         samesite="Lax", path="/")
        self._app = app
        self._inner: EncryptedCookieStorage | None = None
        self._lock = asyncio.Lock()

    async def _ready(self) -> EncryptedCookieStorage:
        async with self._lock:
            if self._inner is None:
                secure = (self._app[CONFIG].public_url or "").startswith("https://")
                self._inner = EncryptedCookieStorage(
                    fernet.Fernet(await self._key()), cookie_name=COOKIE, max_age=self.max_age,
                    httponly=True, samesite="Lax", path="/", secure=secure)
            return self._inner

    async def _key(self) -> bytes:
        secret = self._app[CONFIG].secret_key
        if secret:
            return key_from_secret(secret)
        async with self._app[UOW]() as uow:
            value = await accounts.shared_secret(uow, SECRET_NAME,
                                                 fernet.Fernet.generate_key().decode(),
                                                 self._app[CLOCK]())
            await uow.commit()
        return value.encode()

    async def load_session(self, request: web.Request) -> Session:
        return await (await self._ready()).load_session(request)

    async def save_session(self, request: web.Request, response: web.StreamResponse,
                           session: Session) -> None:
        await (await self._ready()).save_session(request, response, session)


def session_layer(app: web.Application) -> Middleware:
    inner = session_middleware(LateStorage(app))

    @web.middleware
    async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not ours(request):
            return await handler(request)
        return await inner(request, handler)

    return sessions


# -- errors ------------------------------------------------------------------------------------


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403, 404 and 413 as pages (or JSON under /api/v1); nothing else is swallowed."""
    if not ours(request):
        return await handler(request)
    try:
        return await handler(request)
    except NotFound:
        return _error(request, 404, "admin-error-not-found")
    except Forbidden as err:
        return _error(request, 403, err.key)
    except RuleError as err:
        if err.key.startswith(("scope-", "registry-unknown")):
            return _error(request, 404, "admin-error-not-found")
        return _error(request, 400, err.key, **err.params)
    except web.HTTPNotFound:
        return _error(request, 404, "admin-error-not-found")
    except web.HTTPRequestEntityTooLarge:  # aiohttp's own text is English and names bytes
        return _error(request, 413, "admin-error-too-large")


def _error(request: web.Request, status: int, key: str, **params: object) -> web.Response:
    message = text(request, key, **params)
    if is_api(request):
        return web.json_response({"error": key, "message": message}, status=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


# -- who is asking -----------------------------------------------------------------------------


@web.middleware
async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Locale, signed-in official, idle expiry, CSRF and the route's access level."""
    if not ours(request):
        return await handler(request)
    session = await get_session(request)
    _choose_locale(request, session)
    level = request.app[ACCESS].get(request.match_info.handler, Access.READ)
    found = await _bearer(request) if is_api(request) else None
    if found is None:
        found = await _from_session(request, session)
    if found is not None:
        request["admin_who"] = found
    if found is None and level is not Access.PUBLIC:
        return _to_login(request, session)
    if not (found and found.by_token):
        request["admin_csrf"] = csrf_token(session)
        if request.method in UNSAFE:
            await _check_csrf(request, session)
    if found is not None and not allowed(found.official.role, level):
        raise Forbidden
    return await handler(request)


def _choose_locale(request: web.Request, session: Session) -> None:
    known = catalogue(request).locales
    wanted = request.query.get("lang")
    if wanted in known:
        session["lang"] = wanted
    stored = session.get("lang")
    if stored in known:
        request["admin_locale"] = stored


async def _from_session(request: web.Request, session: Session) -> Who | None:
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    moment = now(request).timestamp()
    seen = session.get("seen")
    if not isinstance(seen, int | float) or moment - seen > IDLE.total_seconds():
        _forget(session)
        request["admin_expired"] = True
        return None
    async with unit_of_work(request) as uow:
        official = await uow.officials.get(uid)
    if official is None or not official.active or session.get("pw") != _stamp(official):
        _forget(session)
        return None
    if moment - seen > SEEN_EVERY:
        session["seen"] = moment
    return Who(official)


def _forget(session: Session) -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


async def _bearer(request: web.Request) -> Who | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    async with unit_of_work(request) as uow:
        official = await accounts.official_for_token(uow, header[7:].strip(), now(request))
        await uow.commit()
    if official is None or not official.active:
        raise web.HTTPUnauthorized(text='{"error": "admin-error-token"}',
                                   content_type="application/json")
    return Who(official, by_token=True)


def _to_login(request: web.Request, session: Session) -> web.StreamResponse:
    if is_api(request):
        return web.json_response(
            {"error": "admin-error-login", "message": text(request, "admin-error-login")},
            status=401)
    target = "/admin/login"
    if request.get("admin_expired"):
        target += "?expired=1"
    raise web.HTTPFound(target)


# -- CSRF --------------------------------------------------------------------------------------


def csrf_token(session: Session) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def _check_csrf(request: web.Request, session: Session) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = session.get("csrf")
    if not sent or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise Forbidden("admin-error-csrf")


# -- signing in --------------------------------------------------------------------------------


def _stamp(official: object) -> str:
    """Changes when the password does: a password change ends the other sessions."""
    password_hash = getattr(official, "password_hash", None) or ""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """Checked against when the login is unknown, so both answers take as long."""
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(16)))
    return _DUMMY[0]


class LoginRefused(Exception):
    def __init__(self, key: str, status: int, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.status = status
        self.params = params


async def sign_in(request: web.Request, login: str, password: str) -> None:
    """Start a fresh session for the official, or LoginRefused (wrong, or too many tries)."""
    moment = now(request)
    address = request.remote or "-"
    async with unit_of_work(request) as uow:
        by_login, by_address = await accounts.recent_failures(
            uow, login, address, moment - FAILURE_WINDOW)
        if max(by_login, by_address) >= MAX_FAILURES:
            raise LoginRefused("admin-login-locked", 429,
                               minutes=int(FAILURE_WINDOW.total_seconds() // 60))
        official = await uow.officials.by_login(login) if login else None
        good = verify_password(official.password_hash if official else _dummy_hash(), password)
        if official is None or not official.active or not good:
            await accounts.record_failure(uow, login, address, moment)
            await uow.commit()
            raise LoginRefused("admin-login-wrong", 401)
        await accounts.forget_failures(uow, login, moment - FAILURE_WINDOW)
        await uow.commit()
    await _start_session(request, official.id, _stamp(official), moment)


async def _start_session(request: web.Request, uid: int, stamp: str, moment: datetime) -> None:
    old = await get_session(request)
    lang = old.get("lang")
    session = await new_session(request)
    session.update({"uid": uid, "pw": stamp, "seen": moment.timestamp(),
                    "csrf": secrets.token_urlsafe(32)})
    if lang:
        session["lang"] = lang
    request["admin_csrf"] = session["csrf"]


async def restamp(request: web.Request, password_hash: str) -> None:
    """Keep this session after its own password change (the others end)."""
    session = await get_session(request)
    session["pw"] = hashlib.sha256(password_hash.encode()).hexdigest()[:16]


async def sign_out(request: web.Request) -> None:
    session = await get_session(request)
    _forget(session)

