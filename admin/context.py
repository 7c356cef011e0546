"""What every admin view shares: the app's keys, who is asking, access levels, rendering."""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from admin.appkeys import CATALOGUE, CLOCK, CONFIG, JINJA, UOW, AdminConfig
from core.codes import household_shown
from core.dates import format_date
from core.errors import RuleError
from core.i18n import Catalogue
from core.model import Actor, Official, Role
from core.money import format_number
from core.ports import UnitOfWork

PREFIXES = ("/admin", "/api/v1")
API_PREFIX = "/api/v1"


class Access(enum.Enum):
    PUBLIC = "public"  # the login page, the stylesheet
    READ = "read"  # any official with a login, village heads included
    WRITE = "write"  # changes registrations: commune, district, province
    MANAGE = "manage"  # officials, invitations, the audit trail: commune and above
    PROVINCE = "province"  # the province's own pages: the chat channels' health


WRITERS = frozenset({Role.PROVINCE, Role.DISTRICT, Role.COMMUNE})


def allowed(role: Role, access: Access) -> bool:
    if access in (Access.PUBLIC, Access.READ):
        return True
    if access is Access.PROVINCE:
        return role is Role.PROVINCE
    return role in WRITERS


class NotFound(Exception):
    """Missing, or outside the official's unit: the same answer, so nothing is revealed."""


# The largest record number an INTEGER column holds on PostgreSQL: a number past it names no
# record, and the database would refuse to compare with it.
MAX_ID = 2**31 - 1
BAD_QUERY = "admin-error-bad-query"


def query_number(raw: object) -> int | None:
    """A whole number of the query string (a record's number, a cursor, a page size), None
    when absent; anything else is a 400 with the page's message, never a 500."""
    if raw is None or raw == "":
        return None
    text = str(raw)
    if not (text.isascii() and text.isdecimal()) or len(text) > 10 or int(text) > MAX_ID:
        raise RuleError(BAD_QUERY)
    return int(text)


def query_text(raw: object, limit: int = 100) -> str | None:
    """A searched text: control characters, unassigned code points and the like are no
    letter anyone types (U+10FFFF broke the name search); cut to limit characters."""
    text = str(raw or "").strip()
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise RuleError(BAD_QUERY)
    return text[:limit] or None


def path_id(request: web.Request, name: str) -> int:
    """A record's number in the path (the route admits digits only); past MAX_ID, none."""
    text = request.match_info[name]
    if len(text) > 10 or int(text) > MAX_ID:
        raise NotFound
    return int(text)


class Forbidden(Exception):
    """The official's role may not do this (or the form was forged)."""

    def __init__(self, key: str = "admin-error-forbidden") -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Who:
    """The signed-in official of this request, and how they signed in."""

    official: Official
    by_token: bool = False

    @property
    def actor(self) -> Actor:
        o = self.official
        return Actor(label=f"web:{o.login or o.id}", official_id=o.id, role=o.role,
                     unit_id=o.unit_id)


def ours(request: web.Request) -> bool:
    return request.path == "/admin" or request.path.startswith(("/admin/", API_PREFIX + "/"))


def is_api(request: web.Request) -> bool:
    return request.path.startswith(API_PREFIX + "/")


def unit_of_work(request: web.Request) -> UnitOfWork:
    """A new unit of work, for 'async with'."""
    return request.app[UOW]()


def config(request: web.Request) -> AdminConfig:
    return request.app[CONFIG]


def catalogue(request: web.Request) -> Catalogue:
    return request.app[CATALOGUE]


def now(request: web.Request) -> datetime:
    return request.app[CLOCK]()


def who(request: web.Request) -> Who:
    found = request.get("admin_who")
    if not isinstance(found, Who):
        raise web.HTTPFound("/admin/login")
    return found


def locale(request: web.Request) -> str:
    value = request.get("admin_locale")
    return value if isinstance(value, str) else config(request).locale


def text(request: web.Request, key: str, /, **params: object) -> str:
    return catalogue(request).text(key, locale(request), **params)


def today(request: web.Request) -> date:
    return now(request).astimezone(config(request).tz).date()


def show_date(value: date | datetime | None) -> str:
    return format_date(value) if value else ""


def show_time(request: web.Request) -> Callable[[datetime | None], str]:
    tz = config(request).tz

    def shown(value: datetime | None) -> str:
        if value is None:
            return ""
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(tz)
        return f"{format_date(local)} {local:%H:%M}"

    return shown


def grouped(params: Mapping[str, object], locale: str) -> dict[str, object]:
    """A sentence's whole numbers grouped by thousands, as the |num filter groups a cell's."""
    return {k: format_number(v, locale) if isinstance(v, int) and not isinstance(v, bool)
            else v for k, v in params.items()}


@jinja2.pass_context
def number_filter(context: jinja2.runtime.Context, value: int | None) -> str:
    """`{{ n|num }}`: thousands separated as the page's language writes them (an admin page
    carries `lang`, a public one its texts `t` with their locale)."""
    lang = context.get("lang") or getattr(context.get("t"), "locale", "vi")
    return format_number(value, str(lang))


def setup_templates(app: web.Application) -> jinja2.Environment:
    """The one Jinja environment, for the admin's pages and the public ones (public/...)."""
    if JINJA in app:
        return app[JINJA]
    env = aiohttp_jinja2.setup(
        app, app_key=JINJA, loader=jinja2.PackageLoader("admin", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["num"] = number_filter
    return env


def render(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    """A page, with t(), the CSRF token, the official and the date helpers at hand."""
    lang = locale(request)
    found = request.get("admin_who")
    base = {
        "t": lambda key, **params: text(request, key, **grouped(params, lang)),
        "lang": lang,
        "other_lang": "en" if lang == "vi" else "vi",
        "csrf": request.get("admin_csrf", ""),
        "me": found.official if isinstance(found, Who) else None,
        "can_write": isinstance(found, Who) and found.official.role in WRITERS,
        "is_province": isinstance(found, Who) and found.official.role is Role.PROVINCE,
        "fdate": show_date,
        "money": lambda amount: format_number(amount, lang),
        "hcode": household_shown,
        "ftime": show_time(request),
        "path": request.path,
    }
    response = aiohttp_jinja2.render_template(
        template, request, {**base, **(context or {})}, status=status, app_key=JINJA
    )
    response.headers.update(PAGE_HEADERS)
    return response


PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
