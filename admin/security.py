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
from ipaddress import IPv4Network, IPv6Network, ip_address

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
    config,
    is_api,
    now,
    ours,
    render,
    text,
    unit_of_work,
)
from admin.passwords import hash_password, verify_password
from core.errors import RuleError
from core.model import Official
from core.services import accounts

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

COOKIE = "phocap_admin"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
SECRET_NAME = "session-key"  # noqa: S105 - the name of a row, not a secret
SEEN_EVERY = 60  # seconds: the idle clock is written at most once a minute
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# handler -> Access, from the route table
ACCESS = web.AppKey[dict[Handler, Access]]("admin_access")


# -- who is at the other end -------------------------------------------------------------------


def _trusted(address: str, proxies: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def forwarded_client(remote: str, forwarded_for: str,
                     proxies: tuple[IPv4Network | IPv6Network, ...]) -> str:
    """The client's address: X-Forwarded-For is believed only when the connection comes from a
    trusted proxy, and then read from the right, past every trusted proxy (the left end can be
    anything the client wrote)."""
    if not _trusted(remote, proxies):
        return remote
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else remote


def client_address(request: web.Request) -> str:
    """The address a request came from, seen through the trusted proxies (setting)."""
    return forwarded_client(request.remote or "-", request.headers.get("X-Forwarded-For", ""),
                            config(request).trusted_proxies)


def served_over_https(request: web.Request) -> bool:
    """https to us, or to a trusted proxy that says so in X-Forwarded-Proto."""
    if request.scheme == "https":
        return True
    if not _trusted(request.remote or "", config(request).trusted_proxies):
        return False
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return proto == "https"


def secure_cookie(request: web.Request) -> bool:
    """The cookie's Secure flag: its own setting (on, off, or auto: over https)."""
    wanted = config(request).cookie_secure
    return wanted == "on" or (wanted == "auto" and served_over_https(request))


# -- the session cookie ------------------------------------------------------------------------


def key_from_secret(secret: str) -> bytes:
    """A Fernet key derived from PHOCAP_SECRET_KEY, the same in every process."""
    digest = hashlib.sha256(b"phocap-admin-session\0" + secret.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest)


class LateStorage(AbstractStorage):
    """Encrypted cookies whose key is found on first use: from the settings, or (serving no
    public URL, which `phocap run` requires a key for) made once and kept in the database so
    that every process and restart shares it. The cookie only carries who signed in, when,
    and the session generation: whether it is still alive is decided on the server."""

    def __init__(self, app: web.Application) -> None:
        super().__init__(cookie_name=COOKIE, max_age=None, httponly=True, samesite="Lax",
                         path="/")
        self._app = app
        self._inner: dict[bool, EncryptedCookieStorage] = {}
        self._lock = asyncio.Lock()

    async def _ready(self, secure: bool) -> EncryptedCookieStorage:
        async with self._lock:
            if not self._inner:
                key = fernet.Fernet(await self._key())
                max_age = int(self._app[CONFIG].session_idle.total_seconds())
                self._inner = {flag: EncryptedCookieStorage(
                    key, cookie_name=COOKIE, max_age=max_age, httponly=True, samesite="Lax",
                    path="/", secure=flag) for flag in (False, True)}
            return self._inner[secure]

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
        return await (await self._ready(False)).load_session(request)

    async def save_session(self, request: web.Request, response: web.StreamResponse,
                           session: Session) -> None:
        await (await self._ready(secure_cookie(request))).save_session(request, response, session)


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
    """The session's official while it is alive: used within the idle time, younger than its
    lifetime (settings), and of the official's current generation (logout and a password
    change bump it, so a cookie kept from before is refused in every process)."""
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    moment = now(request).timestamp()
    seen, started = session.get("seen"), session.get("started")
    settings = config(request)
    if (not isinstance(seen, int | float) or not isinstance(started, int | float)
            or moment - seen > settings.session_idle.total_seconds()
            or moment - started > settings.session_lifetime.total_seconds()):
        _forget(session)
        request["admin_expired"] = True
        return None
    async with unit_of_work(request) as uow:
        official = await uow.officials.get(uid)
        generation = await accounts.session_generation(uow, uid)
    if official is None or not official.active or session.get("gen") != generation:
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
        official = await accounts.official_for_token(uow, header[7:].strip(), now(request),
                                                     config(request).token_lifetime)
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


def _wait_refusal(wait: timedelta) -> LoginRefused:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 120:
        return LoginRefused("admin-login-locked-seconds", 429, seconds=seconds)
    return LoginRefused("admin-login-locked", 429, minutes=(seconds + 59) // 60)


async def sign_in(request: web.Request, login: str, password: str) -> None:
    """Start a fresh session for the official, or LoginRefused (wrong, or a try too soon after
    failures of this login from this address)."""
    moment = now(request)
    address = client_address(request)
    async with unit_of_work(request) as uow:
        wait = await accounts.login_wait(uow, login, address, moment)
        if wait:
            raise _wait_refusal(wait)
        official = await uow.officials.by_login(login) if login else None
        good = verify_password(official.password_hash if official else _dummy_hash(), password)
        if official is None or not official.active or not good:
            await accounts.record_failure(uow, login, address, moment)
            await uow.commit()
            raise LoginRefused("admin-login-wrong", 401)
        await accounts.forget_failures(uow, login, address, moment)
        generation = await accounts.session_generation(uow, official.id)
        await uow.commit()
    await _start_session(request, official.id, generation, moment)


async def _start_session(request: web.Request, uid: int, generation: int, moment: datetime
                         ) -> None:
    old = await get_session(request)
    lang = old.get("lang")
    session = await new_session(request)
    session.update({"uid": uid, "gen": generation, "started": moment.timestamp(),
                    "seen": moment.timestamp(), "csrf": secrets.token_urlsafe(32)})
    if lang:
        session["lang"] = lang
    request["admin_csrf"] = session["csrf"]


async def carry_on(request: web.Request, generation: int) -> None:
    """Keep this session after its own password change (every other one has ended)."""
    session = await get_session(request)
    session["gen"] = generation


async def sign_out(request: web.Request, official: Official | None) -> None:
    """End the official's sessions everywhere (every browser, every process), then this one."""
    if official is not None:
        async with unit_of_work(request) as uow:
            await accounts.end_sessions(uow, official, now(request))
            await uow.commit()
    session = await get_session(request)
    _forget(session)

