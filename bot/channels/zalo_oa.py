"""Zalo Official Account (OA API v3) with plain aiohttp: webhook in, customer-service messages out.

Events arrive at POST /webhook/zalo-oa signed with X-ZEvent-Signature: mac=sha256(app_id +
raw body + timestamp + OA secret key), the timestamp taken from the body. Replies go to
POST {api}/v3.0/oa/message/cs with the access_token header, 2000 characters at most;
options become a list template whose elements are oa.query.hide actions. Such a press comes
back as an ordinary user_send_text whose text is the payload: the payload is our option
value behind CHOICE_PREFIX, so it is told apart from typing and handed on as a pressed button.

The access token lasts about 25 hours and is renewed with a refresh token that works once
(POST {oauth}/v4/oa/access_token). See storage/zalo_tokens.py for how the pair is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, Final

import aiohttp
from aiohttp import web

from bot.appkeys import RUNTIME
from bot.channels.base import (
    ChannelStatus,
    ChatReplies,
    DeliveryFailed,
    serve_channel,
    start_with_retries,
)
from bot.channels.http import CALL_TIMEOUT, Answer, Retry, is_transient, post_with_retries
from bot.channels.webhook_bodies import BodyTooLarge, as_object, parse_object, read_limited
from bot.settings import Settings
from core.clock import Clock, system_clock
from core.i18n import Catalogue
from core.messages import Channel, Inbound, Kind, Reply
from handlers.engine import Dispatcher, Outcome
from handlers.rendering import Button, numbered_menu, render, split_text
from storage.zalo_tokens import RefusedDelivery, TokenPair, ZaloTokenStore

log = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/webhook/zalo-oa"
SIGNATURE_HEADER: Final = "X-ZEvent-Signature"
MESSAGE_PATH: Final = "/v3.0/oa/message/cs"
OAUTH_PATH: Final = "/v4/oa/access_token"
TEXT_LIMIT: Final = 2000
LIST_ELEMENTS: Final = 5  # a list template holds at most five elements
TITLE_LIMIT: Final = 100  # characters of an element's title
PAYLOAD_LIMIT: Final = 1000  # characters of an oa.query.hide payload
CHOICE_PREFIX: Final = "#phocap:"
TOKEN_INVALID: Final = frozenset({-216, -124})  # access token invalid or expired
OUTSIDE_WINDOW: Final = -230  # the user has not written to the OA recently enough
REFRESH_MARGIN: Final = timedelta(minutes=10)  # renew this long before the token expires
REFRESH_LEASE: Final = timedelta(seconds=30)  # how long one process may hold the refresh
EVENT_TEXT: Final = "user_send_text"
EVENT_FOLLOW: Final = "follow"
EVENTS_UNSUPPORTED: Final = frozenset({
    "user_send_image", "user_send_gif", "user_send_sticker", "user_send_file",
    "user_send_audio", "user_send_video", "user_send_location", "user_send_link",
    "user_send_business_card",
})


# ---- signature and the funnel: event -> Inbound ------------------------------------------------


def signature(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    return hashlib.sha256(
        app_id.encode() + body + timestamp.encode() + oa_secret.encode()).hexdigest()


def signature_ok(header: str, app_id: str, body: bytes, timestamp: str, oa_secret: str) -> bool:
    """The header ("mac=<hex>", or the bare hex) against our own MAC, in constant time."""
    supplied = header.strip()
    if supplied[:4].lower() == "mac=":
        supplied = supplied[4:].strip()
    expected = signature(app_id, body, timestamp, oa_secret)
    return hmac.compare_digest(supplied.lower().encode(), expected.encode())


def to_inbound(event: Mapping[str, Any]) -> Inbound | None:
    """Our own message for an OA event; None for one we take no part in (echoes of our own
    messages, unfollow, shared info ...)."""
    name = event.get("event_name")
    message = as_object(event.get("message"))
    if name == EVENT_FOLLOW:  # a new follower gets the welcome, as if they had said /start
        follower = str(as_object(event.get("follower")).get("id") or "")
        if not follower:
            return None
        stamp = str(event.get("timestamp") or "")
        return _inbound(follower, Kind.TEXT, "/start", f"follow:{follower}:{stamp}")
    sender = str(as_object(event.get("sender")).get("id") or "")
    message_id = str(message.get("msg_id") or "") or None
    if not sender or (name != EVENT_TEXT and name not in EVENTS_UNSUPPORTED):
        return None
    text = message.get("text")
    if name != EVENT_TEXT or not isinstance(text, str) or not text.strip():
        return _inbound(sender, Kind.UNSUPPORTED, None, message_id)
    if text.startswith(CHOICE_PREFIX):
        return _inbound(sender, Kind.CHOICE, None, message_id, text[len(CHOICE_PREFIX):])
    return _inbound(sender, Kind.TEXT, text, message_id)


def _inbound(user: str, kind: Kind, text: str | None, update_id: str | None,
             choice: str | None = None) -> Inbound:
    return Inbound(channel=Channel.ZALO_OA, chat_id=user, user_id=user, text=text, choice=choice,
                   update_id=update_id[:100] if update_id else None, kind=kind)


# ---- rendering for the OA -----------------------------------------------------------------------


def fits_list(buttons: tuple[Button, ...]) -> bool:
    """A list template holds the options only if there are few enough and each fits."""
    return 0 < len(buttons) <= LIST_ELEMENTS and all(
        len(b.label) <= TITLE_LIMIT and len(CHOICE_PREFIX + b.value) <= PAYLOAD_LIMIT
        for b in buttons)


def list_template(catalogue: Catalogue, buttons: tuple[Button, ...], locale: str) -> dict[str, Any]:
    elements: list[dict[str, Any]] = [
        {"title": b.label,
         "default_action": {"type": "oa.query.hide", "payload": CHOICE_PREFIX + b.value}}
        for b in buttons
    ]
    elements[0]["subtitle"] = catalogue.text("zalo-oa-list-hint", locale)  # required on the first
    return {"attachment": {"type": "template",
                           "payload": {"template_type": "list", "elements": elements}}}


def oa_messages(catalogue: Catalogue, reply: Reply, locale: str) -> list[dict[str, Any]]:
    """The message objects for one reply: its text, then its options as a list when they fit
    one, else everything as text with a numbered menu."""
    shown = render(catalogue, reply, locale)
    if fits_list(shown.buttons):
        texts = split_text(shown.text, TEXT_LIMIT)
        return [{"text": t} for t in texts if t] + [
            list_template(catalogue, shown.buttons, locale)]
    menu = numbered_menu(catalogue, shown, locale)
    return [{"text": t} for t in split_text(menu, TEXT_LIMIT) if t]


# ---- the token pair ------------------------------------------------------------------------------


def refusal(code: object, status: int, *, final: bool, why: str = "") -> DeliveryFailed:
    """A message the OA API did not take; `final` when trying again cannot help."""
    what = f"HTTP {status}, error {code}{': ' + why if why else ''}"
    if final:
        return DeliveryFailed(f"zalo-oa {what}", permanent=True)
    return DeliveryFailed(f"ZaloOAError: {what}")


class OAuthError(Exception):
    """The refresh failed; carries no token."""


class OAuthClient:
    def __init__(self, session: aiohttp.ClientSession, oauth_url: str, app_id: str,
                 app_secret: str, retry: Retry) -> None:
        self._session = session
        self._url = oauth_url.rstrip("/") + OAUTH_PATH
        self._app_id = app_id
        self._app_secret = app_secret
        self.retry = retry

    async def refresh(self, refresh_token: str, now: datetime) -> TokenPair:
        answer = await post_with_retries(
            self._session, self._url, self.retry, lambda a: is_transient(a.status),
            data={"app_id": self._app_id, "grant_type": "refresh_token",
                  "refresh_token": refresh_token},
            headers={"secret_key": self._app_secret})
        body = answer.body
        access, fresh = body.get("access_token"), body.get("refresh_token")
        if answer.status != 200 or not isinstance(access, str) or not isinstance(fresh, str):
            raise OAuthError(f"HTTP {answer.status}, error {body.get('error')}")
        try:
            expires_at = now + timedelta(seconds=int(str(body.get("expires_in") or "")))
        except ValueError:
            expires_at = None
        return TokenPair(access, fresh, expires_at)


class OATokens:
    """The pair in use: loaded from the database, renewed before it expires or when Zalo
    says it is invalid. Stored before use; one process spends each refresh token."""

    def __init__(self, store: ZaloTokenStore, initial: TokenPair, oauth: OAuthClient,
                 clock: Clock) -> None:
        self._store = store
        self._initial = initial
        self._oauth = oauth
        self._clock = clock
        self._pair: TokenPair | None = None
        self._lock = asyncio.Lock()  # one refresh at a time within this process
        self.wait_step = 0.2  # seconds between looks while another process refreshes

    async def load(self) -> TokenPair:
        """The newest stored pair; the settings' pair only while the table is empty."""
        self._pair = await self._store.load_or_seed(self._initial, self._clock())
        return self._pair

    async def current(self) -> TokenPair:
        pair = self._pair or await self.load()
        if pair.expired(self._clock(), REFRESH_MARGIN):
            return await self.refresh(pair)
        return pair

    async def refresh(self, stale: TokenPair) -> TokenPair:
        """A pair newer than stale: ours if we win the lease, else the winner's."""
        async with self._lock:
            deadline = self._clock() + 2 * REFRESH_LEASE
            while True:
                stored = await self._store.load()
                if stored is not None and stored.refresh_token != stale.refresh_token:
                    self._pair = stored  # refreshed meanwhile, here or by another process
                    return stored
                if await self._store.claim_refresh(stale.refresh_token, self._clock(),
                                                   REFRESH_LEASE):
                    return await self._spend(stale)
                if self._clock() > deadline:
                    raise OAuthError("another process holds the refresh and did not finish")
                await asyncio.sleep(self.wait_step)

    async def _spend(self, stale: TokenPair) -> TokenPair:
        try:
            fresh = await self._oauth.refresh(stale.refresh_token, self._clock())
        except OAuthError:
            await self._store.release(stale.refresh_token)
            raise
        # Stored before anything uses it: a crash from here on loses nothing.
        if not await self._store.store_refreshed(stale.refresh_token, fresh, self._clock()):
            log.error("zalo-oa: the refreshed pair could not be stored (lease lost)")
            return await self.load()
        self._pair = fresh
        log.info("zalo-oa: access token renewed")
        return fresh


# ---- the channel -----------------------------------------------------------------------------


class ZaloOAChannel:
    """Checks and funnels webhook events to the dispatcher; sends what it answers."""

    def __init__(self, settings: Settings, catalogue: Catalogue, store: ZaloTokenStore,
                 clock: Clock = system_clock) -> None:
        self._settings = settings
        self._app_id = settings.zalo_oa_app_id
        self._oa_secret = settings.zalo_oa_secret_key.reveal()
        self._catalogue = catalogue
        self.retry = Retry()
        self.clock = clock
        self.store = store
        self.tokens: OATokens | None = None
        self._session: aiohttp.ClientSession | None = None
        self._dispatcher: Dispatcher | None = None
        self.status = ChannelStatus(Channel.ZALO_OA.value, lambda: self.clock(), secrets=(
            settings.zalo_oa_access_token.reveal(), settings.zalo_oa_refresh_token.reveal(),
            settings.zalo_oa_app_secret.reveal(), self._oa_secret))
        self._replies = ChatReplies("zalo-oa", self.deliver, self.status)
        self._starting: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()  # set once the token pair is loaded

    def verify(self, header: str | None, body: bytes, payload: Mapping[str, Any]) -> bool:
        timestamp = payload.get("timestamp")
        if not header or not self._oa_secret or timestamp is None:
            return False
        return signature_ok(header, self._app_id, body, str(timestamp), self._oa_secret)

    async def start(self, dispatcher: Dispatcher, http: aiohttp.ClientSession) -> None:
        """Load the stored token pair (seeded from the settings the first time)."""
        s = self._settings
        # Zalo's OAuth wants the app's secret key, which is not the OA secret key that signs
        # webhooks; until a setting of its own exists, the OA secret key stands in for both.
        app_secret = s.zalo_oa_app_secret.reveal() or s.zalo_oa_secret_key.reveal()
        oauth = OAuthClient(http, s.zalo_oa_oauth_url, s.zalo_oa_app_id, app_secret,
                            self.retry)
        initial = TokenPair(s.zalo_oa_access_token.reveal(), s.zalo_oa_refresh_token.reveal())
        self.tokens = OATokens(self.store, initial, oauth, lambda: self.clock())
        self._session = http
        self._dispatcher = dispatcher
        # In the background, retried: the server must come up while the database is down.
        self._starting = asyncio.create_task(
            start_with_retries(self.status, self._load_tokens, self.ready),
            name="zalo-oa-start")

    async def _load_tokens(self) -> None:
        assert self.tokens is not None
        await self.tokens.load()

    async def stop(self) -> None:
        """Stop trying to start; events come by webhook, so nothing else runs here."""
        if self._starting is not None:
            self._starting.cancel()
            with suppress(asyncio.CancelledError):
                await self._starting
        self.ready.clear()

    async def process(self, event: Mapping[str, Any]) -> None:
        """One event: to the dispatcher, then its replies. Raises what the dispatcher raises."""
        inbound = to_inbound(event)
        if inbound is None or self._dispatcher is None:
            log.info("zalo-oa: ignored an event (%s)", str(event.get("event_name"))[:60])
            return
        await self._replies.answer(self._dispatcher, inbound)

    async def deliver(self, user_id: str, outcome: Outcome) -> None:
        """Every message of the outcome in order; DeliveryFailed at the first that fails
        (outside the interaction window, -230, for good: the admin sees it among the refused
        deliveries)."""
        for reply in outcome.replies:
            for message in oa_messages(self._catalogue, reply, outcome.locale):
                await self._deliver(user_id, reply.key, message)

    async def _deliver(self, user_id: str, key: str, message: dict[str, Any]) -> None:
        try:
            answer = await self._post_message(user_id, message)
        except OAuthError as err:
            raise refusal(None, 0, final=False, why="no valid access token") from err
        code = answer.body.get("error")
        if answer.status == 200 and code == 0:
            return
        if code == OUTSIDE_WINDOW:
            await self._record_refused(user_id, key)
            raise refusal(code, answer.status, final=True, why="outside the window")
        raise refusal(code, answer.status, final=not is_transient(answer.status))

    async def _post_message(self, user_id: str, message: dict[str, Any]) -> Answer:
        """One message; once more with a renewed token if Zalo calls ours invalid."""
        assert self.tokens is not None
        pair = await self.tokens.current()
        answer = await self._post(pair, user_id, message)
        if answer.body.get("error") in TOKEN_INVALID:
            pair = await self.tokens.refresh(pair)
            answer = await self._post(pair, user_id, message)
        return answer

    async def _post(self, pair: TokenPair, user_id: str, message: dict[str, Any]) -> Answer:
        assert self._session is not None
        url = self._settings.zalo_oa_api_url.rstrip("/") + MESSAGE_PATH
        return await post_with_retries(
            self._session, url, self.retry, lambda a: is_transient(a.status),
            seconds=CALL_TIMEOUT, json={"recipient": {"user_id": user_id}, "message": message},
            headers={"access_token": pair.access_token})

    async def _record_refused(self, user_id: str, key: str) -> None:
        """Outside the interaction window: kept for the admin to see, and not retried."""
        log.warning("zalo-oa: user %s is outside the interaction window; reply %s kept as "
                    "refused", user_id, key)
        with suppress(Exception):  # losing this record must not break the conversation
            await self.store.record_refused(RefusedDelivery(
                Channel.ZALO_OA.value, user_id, OUTSIDE_WINDOW, key[:100], self.clock()))

ZALO_OA = web.AppKey("zalo_oa", ZaloOAChannel)


# ---- the aiohttp side ----------------------------------------------------------------------------


async def zalo_oa_webhook(request: web.Request) -> web.Response:
    """POST /webhook/zalo-oa: a signature header first, the size, the JSON, then the MAC."""
    channel = request.app.get(ZALO_OA)
    header = request.headers.get(SIGNATURE_HEADER)
    if channel is None or not header:
        return web.Response(status=403)
    try:
        body = await read_limited(request)
    except BodyTooLarge:
        return web.Response(status=413)
    payload = parse_object(body)
    if payload is None:
        return web.Response(status=400)
    if not channel.verify(header, body, payload):
        return web.Response(status=403)
    try:
        await channel.process(payload)
    except Exception as err:  # e.g. the database is down: 500 so that Zalo delivers again
        log.error("zalo-oa: a webhook event failed (%s)", type(err).__name__)
        return web.Response(status=500)
    return web.json_response({"ok": True})


def configured(settings: Settings) -> bool:
    tokens = settings.zalo_oa_access_token or settings.zalo_oa_refresh_token
    return bool(settings.zalo_oa_app_id and settings.zalo_oa_secret_key and tokens)


def setup_zalo_oa(app: web.Application) -> None:
    """The webhook route always (403 unless configured); the channel only when configured."""
    app.router.add_post(WEBHOOK_PATH, zalo_oa_webhook)
    settings = app[RUNTIME].settings
    if not configured(settings):
        return
    runtime = app[RUNTIME]
    app[ZALO_OA] = ZaloOAChannel(settings, runtime.catalogue, ZaloTokenStore(runtime.engine))
    serve_channel(app, ZALO_OA)
