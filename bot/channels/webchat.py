"""The web chat at /chat: a small page and one JSON endpoint in front of the dispatcher."""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from aiohttp import web

from admin.context import query_number
from admin.security import forwarded_client
from bot.appkeys import DISPATCHER, RUNTIME
from core.clock import Clock, system_clock
from core.errors import RuleError
from core.i18n import Catalogue
from core.messages import Channel, Inbound, Kind, reply_from_dict
from handlers.engine import Outcome
from handlers.rendering import render

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_TEXT = 4000
MAX_CHOICE = 64  # bytes: the same limit as Telegram's callback data
TOKEN = re.compile(r"[0-9a-f]{32,64}")
# Replay markers are kept per channel, not per chat: the token is put in front of the page's
# message id, so two clients can never drop each other's messages; token (64 at most) + ":" +
# id (35 at most) fits the marker's 100 characters.
MESSAGE_ID = re.compile(r"[0-9A-Za-z_-]{1,35}")
PLACEHOLDER = re.compile(r"\{\{([a-z0-9-]+)\}\}")
API_PATH = "/chat/api/messages"
UPDATES_PATH = "/chat/api/updates"  # what the outbox queued for a chat: the web has no push
PULL_LIMIT = 50
STATIC_TYPES = {"chat.js": "text/javascript", "chat.css": "text/css"}
# The page loads nothing from elsewhere: a CDN would cost a weak connection a DNS lookup and more.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class BadMessage(Exception):
    """A request the page would never send: answered 4xx with a catalogue text."""

    def __init__(self, status: int, key: str, **params: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    version: str  # content hash in the URL, so a year of caching never serves a stale file


@dataclass(frozen=True, slots=True)
class Assets:
    template: str
    files: dict[str, Asset]


ASSETS = web.AppKey("webchat_assets", Assets)
CLOCK = web.AppKey[Clock]("webchat_clock")


def setup_webchat(app: web.Application, clock: Clock = system_clock) -> None:
    """Add /chat, its static files and its message endpoint to the app."""
    app[ASSETS] = load_assets()
    app[CLOCK] = clock
    app.router.add_get("/chat", chat_page)
    app.router.add_get("/chat/static/{name}", static_file)
    app.router.add_post(API_PATH, post_message)
    app.router.add_get(UPDATES_PATH, pull_updates)


def load_assets() -> Assets:
    folder = resources.files("bot.channels") / "static"
    files: dict[str, Asset] = {}
    for name, content_type in STATIC_TYPES.items():
        data = (folder / name).read_bytes()
        version = hashlib.sha256(data).hexdigest()[:12]
        files[name] = Asset(data, content_type, version)
    return Assets((folder / "chat.html").read_text(encoding="utf-8"), files)


def page_locale(request: web.Request, catalogue: Catalogue, default: str) -> str:
    asked = request.query.get("lang", "")
    return asked if asked in catalogue.locales else default


def fill_template(template: str, catalogue: Catalogue, locale: str, values: dict[str, str]) -> str:
    """{{name}}: a value given here, else the catalogue's text; always HTML-escaped."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values[name] if name in values else catalogue.text(name, locale)
        return html.escape(value, quote=True)

    return PLACEHOLDER.sub(one, template)


async def chat_page(request: web.Request) -> web.Response:
    """The chat page in the default language, or the one asked with ?lang=."""
    runtime = request.app[RUNTIME]
    assets = request.app[ASSETS]
    locale = page_locale(request, runtime.catalogue, runtime.locale)
    values = {
        "lang": locale,
        "api": API_PATH,
        "max-text": str(MAX_TEXT),
        "css": f"/chat/static/chat.css?v={assets.files['chat.css'].version}",
        "js": f"/chat/static/chat.js?v={assets.files['chat.js'].version}",
        **{f"current-{code}": ("page" if code == locale else "false")
           for code in runtime.catalogue.locales},
    }
    page = fill_template(assets.template, runtime.catalogue, locale, values)
    response = web.Response(text=page, content_type="text/html", headers=PAGE_HEADERS)
    response.enable_compression()
    return response


async def static_file(request: web.Request) -> web.Response:
    """chat.js and chat.css from memory: two tiny files, cached by the phone for a year."""
    asset = request.app[ASSETS].files.get(request.match_info["name"])
    if asset is None:
        raise web.HTTPNotFound()
    response = web.Response(body=asset.body, content_type=asset.content_type, charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.enable_compression()
    return response


async def post_message(request: web.Request) -> web.Response:
    """One message from the page: checked, handed to the dispatcher, its replies rendered."""
    runtime = request.app[RUNTIME]
    catalogue = runtime.catalogue
    locale = runtime.locale
    try:
        payload = parse_json(await read_body(request))
        lang = payload.get("lang")
        if isinstance(lang, str) and lang in catalogue.locales:
            locale = lang  # refusals too are said in the page's language
        address = forwarded_client(request.remote or "-",
                                   request.headers.get("X-Forwarded-For", ""),
                                   runtime.settings.proxies)
        inbound = replace(to_inbound(payload, catalogue), address=address)
    except BadMessage as bad:
        return refusal(catalogue, locale, bad.status, bad.key, **bad.params)
    try:
        outcome = await request.app[DISPATCHER].handle(inbound)
    except Exception:  # the page shows "try again" and retries with the same message id
        log.exception("web chat: the dispatcher failed")
        return refusal(catalogue, locale, 500, "webchat-error-server")
    return web.json_response(render_outcome(outcome, catalogue))


def refusal(
    catalogue: Catalogue, locale: str, status: int, key: str, **params: object
) -> web.Response:
    message = catalogue.text(key, locale, **params)
    return web.json_response({"error": key, "message": message}, status=status)


async def read_body(request: web.Request) -> bytes:
    """The body, refusing more than MAX_BODY even when no Content-Length was sent."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BadMessage(413, "webchat-error-too-large")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(MAX_BODY + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY:
            raise BadMessage(413, "webchat-error-too-large")
    return b"".join(chunks)


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadMessage(400, "webchat-error-bad-request") from None
    if not isinstance(payload, dict):
        raise BadMessage(400, "webchat-error-bad-request")
    return payload


def to_inbound(payload: dict[str, Any], catalogue: Catalogue) -> Inbound:
    """The page's JSON as an Inbound; anything the page would not send is refused."""
    chat, message_id = payload.get("chat"), payload.get("id")
    text, choice, lang = payload.get("text"), payload.get("choice"), payload.get("lang")
    if not isinstance(chat, str) or not TOKEN.fullmatch(chat):
        raise BadMessage(400, "webchat-error-bad-request")
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if not isinstance(message_id, str) or not MESSAGE_ID.fullmatch(message_id):
        raise BadMessage(400, "webchat-error-bad-request")
    if lang is not None and lang not in catalogue.locales:
        raise BadMessage(400, "webchat-error-bad-request")
    if (text is None) == (choice is None):  # exactly one of the two
        raise BadMessage(400, "webchat-error-bad-request")
    update_id = f"{chat}:{message_id}"
    if choice is not None:
        return Inbound(
            Channel.WEB,
            chat,
            choice=check_choice(choice),
            update_id=update_id,
            locale=lang,
            kind=Kind.CHOICE,
        )
    return Inbound(
        Channel.WEB, chat, text=check_text(text), update_id=update_id, locale=lang, kind=Kind.TEXT
    )


def check_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise BadMessage(400, "webchat-error-bad-request")
    if len(text) > MAX_TEXT:
        raise BadMessage(400, "webchat-error-text-too-long", limit=MAX_TEXT)
    return text.strip()


def check_choice(choice: object) -> str:
    if not isinstance(choice, str) or not choice or len(choice.encode()) > MAX_CHOICE:
        raise BadMessage(400, "webchat-error-bad-request")
    return choice


def render_outcome(outcome: Outcome, catalogue: Catalogue) -> dict[str, Any]:
    messages = []
    # A retried message whose first answer was lost gets that answer again, not a new one.
    for reply in outcome.replies or outcome.earlier:
        shown = render(catalogue, reply, outcome.locale)
        buttons = [{"label": b.label, "value": b.value} for b in shown.buttons]
        messages.append({"text": shown.text, "buttons": buttons, "qr": shown.qr})
    return {"locale": outcome.locale, "messages": messages}


def query_number_or_none(raw: str) -> int | None:
    """The page's `after`: a message number the outbox can hold, or None (a 400, not a 500
    from the database comparing with a number past its column)."""
    try:
        return query_number(raw)
    except RuleError:
        return None


async def pull_updates(request: web.Request) -> web.Response:
    """GET ?chat=<token>&after=<id>: the chat's queued messages after that id, marked sent.

    Asked again with the same `after` (an answer lost on the way), it answers the same: the
    page moves `after` on to the "last" it was given, so each message is shown once.
    """
    runtime = request.app[RUNTIME]
    catalogue = runtime.catalogue
    chat, after = request.query.get("chat", ""), request.query.get("after", "0")
    if not TOKEN.fullmatch(chat) or query_number_or_none(after) is None:
        return refusal(catalogue, runtime.locale, 400, "webchat-error-bad-request")
    try:
        async with runtime.uow() as uow:
            queued = await uow.outbox.pull(
                Channel.WEB.value, chat, int(after), request.app[CLOCK](), PULL_LIMIT
            )
            await uow.commit()
    except Exception as err:  # the page asks again in 20 s
        log.warning("web chat: pulling queued messages failed (%s)", type(err).__name__)
        return refusal(catalogue, runtime.locale, 500, "webchat-error-server")
    messages = []
    for message in queued:
        shown = render(catalogue, reply_from_dict(message.reply), message.locale)
        buttons = [{"label": b.label, "value": b.value} for b in shown.buttons]
        messages.append({"id": message.id, "text": shown.text, "buttons": buttons, "qr": shown.qr})
    last = queued[-1].id if queued else int(after)
    return web.json_response({"messages": messages, "last": last})
