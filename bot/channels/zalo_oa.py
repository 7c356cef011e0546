"""Zalo Official Account (OA API v3) with plain aiohttp: webhook in, customer-service messages out.

Events arrive at POST /webhook/zalo-oa signed with X-ZEvent-Signature: mac=sha256(app_id +
raw body + timestamp + OA secret key), the timestamp taken from the body. The webhook checks
the signature and the event's age, records the event (bot/channels/zalo_events.py) and
answers 200 at once: Zalo wants its answer within 2 seconds. The event is handled in the
background and the replies go through the outbox. An unsigned request (the console checking
a new URL) is answered 200 and handled not at all.

Replies go to POST {api}/v3.0/oa/message/cs with the access_token header, 2000 characters at
most, always with the options as a numbered list in the text, and with at most 5 template
buttons of type oa.query.hide. Such a press comes back as an ordinary user_send_text whose
text is the payload: the payload is our option value behind CHOICE_PREFIX, so it is told
apart from typing and handed on as a pressed button. When Zalo refuses a message with
buttons, it is sent again as the plain text, once, and the OA is remembered as plain text.

A reply to a user who wrote within the free window carries the user's message id
(recipient.message_id); anything else is proactive, counted per month against a cap.
Error codes come in HTTP 200 bodies: -216 and -220 renew the token; -32 waits and retries;
-230 and -232 (outside the interaction window) are final and kept for the admin.

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
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import aiohttp
from aiohttp import web

from bot.appkeys import RUNTIME
from bot.channels.base import ChannelStatus, DeliveryFailed, serve_channel, start_with_retries
from bot.channels.http import CALL_TIMEOUT, Answer, Retry, is_transient, post_with_retries
from bot.channels.webhook_bodies import BodyTooLarge, as_object, parse_object, read_limited
from bot.channels.zalo_events import RecordedEvents
from bot.settings import Settings
from core.clock import Clock, system_clock
from core.i18n import Catalogue
from core.messages import Channel, Inbound, Kind, Reply
from core.ports import UnitOfWorkFactory
from handlers.engine import Dispatcher, Outcome
from handlers.rendering import Button, numbered_menu, render, split_text
from storage.zalo_events import ZaloEventStore
from storage.zalo_tokens import RefusedDelivery, TokenPair, ZaloTokenStore

log = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/webhook/zalo-oa"
SIGNATURE_HEADER: Final = "X-ZEvent-Signature"
MESSAGE_PATH: Final = "/v3.0/oa/message/cs"
OAUTH_PATH: Final = "/v4/oa/access_token"
TEXT_LIMIT: Final = 2000
MAX_BUTTONS: Final = 5  # template buttons in one message (the SDK's MAX_ELEMENT)
TITLE_LIMIT: Final = 100  # characters of a button's title
PAYLOAD_LIMIT: Final = 1000  # characters of an oa.query.hide payload
CHOICE_PREFIX: Final = "#phocap:"
# The error codes of docs.zaloplatforms.com/docs/OA/phu-luc/ma-loi, answered in HTTP 200.
# The token family also comes as 216 or 220 (goclaw): matched on the absolute value.
TOKEN_INVALID: Final = frozenset({216, 220})  # invalid; expired or removed: renew, once more
RATE_LIMITED: Final = -32  # 4,000 calls a minute per app: wait, then again
RATE_WAIT: Final = 60.0  # seconds: the limit is per minute
OUTSIDE_WINDOW: Final = frozenset({-230, -232})  # no interaction within 7 days: final
SHAPE_REFUSED: Final = frozenset({-201, -233})  # a field or message type it does not take
REPLY_WINDOW: Final = timedelta(hours=48)  # free consultation messages after a user's message
REFRESH_MARGIN: Final = timedelta(minutes=10)  # renew this long before the token expires
TOKEN_CHECK_EVERY: Final = timedelta(minutes=1)  # how often the sweeper looks at the expiry
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


def fits_buttons(buttons: tuple[Button, ...]) -> bool:
    """Buttons are sent only if there are few enough and each fits."""
    return 0 < len(buttons) <= MAX_BUTTONS and all(
        0 < len(b.label) <= TITLE_LIMIT and len(CHOICE_PREFIX + b.value) <= PAYLOAD_LIMIT
        for b in buttons)


def template_buttons(buttons: tuple[Button, ...]) -> dict[str, Any]:
    return {"type": "template", "payload": {"buttons": [
        {"title": b.label, "type": "oa.query.hide", "payload": CHOICE_PREFIX + b.value}
        for b in buttons]}}


def oa_messages(catalogue: Catalogue, reply: Reply, locale: str,
                plain: bool = False) -> list[dict[str, Any]]:
    """The message objects for one reply: always the text with its numbered list (a typed
    number works whatever the client shows), the buttons on its last piece when they fit and
    the OA takes them."""
    shown = render(catalogue, reply, locale)
    menu = numbered_menu(catalogue, shown, locale)
    messages: list[dict[str, Any]] = [{"text": t} for t in split_text(menu, TEXT_LIMIT) if t]
    if messages and not plain and fits_buttons(shown.buttons):
        messages[-1]["attachment"] = template_buttons(shown.buttons)
    return messages


def error_of(answer: Answer) -> int | None:
    """The body's error code (0 is success); None when the body has none."""
    code = answer.body.get("error")
    if isinstance(code, bool):
        return None
    try:
        return int(str(code)) if code is not None else None
    except ValueError:
        return None


def next_month(now: datetime) -> datetime:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


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
        """The pair to use; renewed first when it ends within the margin or its end is not
        known (the settings' pair): the renewal tells the expiry, stored with the pair."""
        pair = self._pair or await self.load()
        if pair.expires_at is None or pair.expired(self._clock(), REFRESH_MARGIN):
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


def event_key(event: Mapping[str, Any]) -> str:
    """What makes one event: the message's id, else its name, user and timestamp."""
    message = as_object(event.get("message"))
    if message.get("msg_id"):
        return f"msg:{message['msg_id']}"
    user = as_object(event.get("follower")).get("id") or as_object(event.get("sender")).get("id")
    return f"{event.get('event_name')}:{user}:{event.get('timestamp')}"


class ZaloOAChannel:
    """Checks and records webhook events; handles them in the background; sends what the
    outbox hands it."""

    def __init__(self, settings: Settings, catalogue: Catalogue, store: ZaloTokenStore,
                 events: ZaloEventStore, uow: UnitOfWorkFactory,
                 clock: Clock = system_clock) -> None:
        self._settings = settings
        self._app_id = settings.zalo_oa_app_id
        self._oa_secret = settings.zalo_oa_secret_key.reveal()
        self._app_secret = settings.zalo_oa_app_secret.reveal()
        if not self._app_secret:  # the settings refuse this: never the OA secret instead
            raise ValueError("PHOCAP_ZALO_OA_APP_SECRET is required for a Zalo OA channel")
        self._catalogue = catalogue
        self.retry = Retry()
        self.clock = clock
        self.store = store
        self.event_store = events
        self.events = RecordedEvents(Channel.ZALO_OA.value, events, uow, to_inbound,
                                     lambda: self.clock())
        self.window = timedelta(minutes=settings.zalo_oa_event_window)
        self.monthly_cap = settings.zalo_oa_monthly_cap
        self.tokens: OATokens | None = None
        self._session: aiohttp.ClientSession | None = None
        self.status = ChannelStatus(Channel.ZALO_OA.value, lambda: self.clock(), secrets=(
            settings.zalo_oa_access_token.reveal(), settings.zalo_oa_refresh_token.reveal(),
            self._app_secret, self._oa_secret))
        self._task: asyncio.Task[None] | None = None
        self._token_checked: datetime | None = None
        self.ready = asyncio.Event()  # set once the token pair is loaded

    def verify(self, header: str | None, body: bytes, payload: Mapping[str, Any]) -> bool:
        timestamp = payload.get("timestamp")
        if not header or not self._oa_secret or timestamp is None:
            return False
        return signature_ok(header, self._app_id, body, str(timestamp), self._oa_secret)

    def fresh(self, payload: Mapping[str, Any]) -> bool:
        """The event's timestamp (ms) within the window of now, either side."""
        try:
            at = datetime.fromtimestamp(int(str(payload.get("timestamp"))) / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            return False
        return abs(self.clock() - at) <= self.window

    async def accept(self, payload: Mapping[str, Any]) -> None:
        """Record an event to handle (one we take no part in is only logged)."""
        inbound = to_inbound(payload)
        if inbound is None:
            log.debug("zalo-oa: ignored an event (%s)", str(payload.get("event_name"))[:60])
            return
        message_id = as_object(payload.get("message")).get("msg_id")
        await self.events.record(event_key(payload), inbound.chat_id,
                                 str(message_id) if message_id else None, payload)

    async def start(self, dispatcher: Dispatcher, http: aiohttp.ClientSession) -> None:
        """Load the stored token pair (seeded from the settings the first time), then handle
        what was recorded and not handled (a crash after the 200), in the background."""
        s = self._settings
        oauth = OAuthClient(http, s.zalo_oa_oauth_url, s.zalo_oa_app_id, self._app_secret,
                            self.retry)
        initial = TokenPair(s.zalo_oa_access_token.reveal(), s.zalo_oa_refresh_token.reveal())
        self.tokens = OATokens(self.store, initial, oauth, lambda: self.clock())
        self._session = http
        # In the background, retried: the server must come up while the database is down.
        self._task = asyncio.create_task(self._run(dispatcher), name="zalo-oa")

    async def _run(self, dispatcher: Dispatcher) -> None:
        """The token pair loaded (retried until it is), then the recorded events handled."""
        await start_with_retries(self.status, self._load_tokens, self.ready)
        if self.ready.is_set():  # not when the platform refused the credentials for good
            await self.events.run(dispatcher, self.renew_if_due)

    async def _load_tokens(self) -> None:
        assert self.tokens is not None
        await self.tokens.load()

    async def stop(self) -> None:
        self.ready.clear()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def renew_if_due(self) -> None:
        """Renew the token before it ends, not only after a refusal (once a minute at most:
        a renewal that fails is not tried every second)."""
        now = self.clock()
        if self.tokens is None or (self._token_checked is not None
                                   and now - self._token_checked < TOKEN_CHECK_EVERY):
            return
        self._token_checked = now
        try:
            await self.tokens.current()
        except OAuthError as err:
            log.error("zalo-oa: the access token could not be renewed (%s)", err)

    async def deliver(self, user_id: str, outcome: Outcome) -> None:
        """Every message of the outcome in order; DeliveryFailed at the first that fails.
        A reply within the free window quotes the user's message; anything else is proactive
        and counted against the month's cap (beyond it: kept in the outbox for next month)."""
        now = self.clock()
        reply_to = await self._reply_to(user_id, now)
        if reply_to is None and not await self.event_store.take_proactive(
                Channel.ZALO_OA.value, now, self.monthly_cap):
            wait = (next_month(now) - now).total_seconds()
            raise DeliveryFailed(
                f"zalo-oa: monthly cap of {self.monthly_cap} proactive messages reached; "
                "waits for next month", retry_after=wait)
        plain = (await self.event_store.status(Channel.ZALO_OA.value)).plain_text
        for reply in outcome.replies:
            for message in oa_messages(self._catalogue, reply, outcome.locale, plain):
                plain = await self._deliver(user_id, reply.key, message, reply_to) or plain

    async def _reply_to(self, user_id: str, now: datetime) -> str | None:
        last = await self.event_store.last_message(Channel.ZALO_OA.value, user_id)
        if last is None or now - last[1] > REPLY_WINDOW:
            return None
        return last[0]

    async def _deliver(self, user_id: str, key: str, message: dict[str, Any],
                       reply_to: str | None) -> bool:
        """One message; True when it went as plain text after a refusal of its buttons."""
        answer = await self._post_message(user_id, message, reply_to)
        code = error_of(answer)
        if answer.status == 200 and code == 0:
            await self._sent()
            return False
        await self._error(code if code is not None else answer.status)
        if code in SHAPE_REFUSED and ("attachment" in message or reply_to):
            # Neither the v3 text+buttons form nor recipient.message_id is confirmed by Zalo's
            # own v3 pages (docs/zalo.md): the plainest form, to the user id alone, once.
            log.warning("zalo-oa: a message with buttons or a quoted message id was refused "
                        "(error %s); sent again as plain text", code)
            answer = await self._post_message(user_id, {"text": message["text"]}, None)
            code = error_of(answer)
            if answer.status == 200 and code == 0:
                await self._sent()
                if "attachment" not in message:
                    return False
                await self.event_store.use_plain_text(Channel.ZALO_OA.value, self.clock())
                return True
            await self._error(code if code is not None else answer.status)
        raise await self._refusal(user_id, key, answer, code)

    async def _refusal(self, user_id: str, key: str, answer: Answer,
                       code: int | None) -> DeliveryFailed:
        if code in OUTSIDE_WINDOW:
            await self._record_refused(user_id, key, code)
            return refusal(code, answer.status, final=True, why="outside the window")
        if code == RATE_LIMITED:
            return DeliveryFailed(f"ZaloOAError: HTTP {answer.status}, error {code}: rate "
                                  "limit", retry_after=RATE_WAIT)
        if code is not None and abs(code) in TOKEN_INVALID:  # even after a renewal
            return refusal(code, answer.status, final=False, why="access token refused")
        if answer.status != 200:
            return refusal(code, answer.status, final=not is_transient(answer.status))
        return refusal(code, answer.status, final=True)

    async def _post_message(self, user_id: str, message: dict[str, Any],
                            reply_to: str | None) -> Answer:
        """One message; once more with a renewed token if Zalo calls ours invalid or
        expired (-216, -220)."""
        assert self.tokens is not None
        try:
            pair = await self.tokens.current()
            answer = await self._post(pair, user_id, message, reply_to)
            code = error_of(answer)
            if code is not None and abs(code) in TOKEN_INVALID:
                pair = await self.tokens.refresh(pair)
                answer = await self._post(pair, user_id, message, reply_to)
        except OAuthError as err:
            raise refusal(None, 0, final=False, why="no valid access token") from err
        return answer

    async def _post(self, pair: TokenPair, user_id: str, message: dict[str, Any],
                    reply_to: str | None) -> Answer:
        assert self._session is not None
        url = self._settings.zalo_oa_api_url.rstrip("/") + MESSAGE_PATH
        recipient = {"user_id": user_id}
        if reply_to:
            recipient["message_id"] = reply_to
        return await post_with_retries(
            self._session, url, self.retry, lambda a: is_transient(a.status),
            seconds=CALL_TIMEOUT, json={"recipient": recipient, "message": message},
            headers={"access_token": pair.access_token})

    async def _sent(self) -> None:
        with suppress(Exception):  # the health page's record must not fail a send
            await self.event_store.sent(Channel.ZALO_OA.value, self.clock())

    async def _error(self, code: int) -> None:
        with suppress(Exception):
            await self.event_store.error(Channel.ZALO_OA.value, code, self.clock())

    async def _record_refused(self, user_id: str, key: str, code: int) -> None:
        """Outside the interaction window: kept for the admin to see, and not retried."""
        log.warning("zalo-oa: user %s is outside the interaction window; reply %s kept as "
                    "refused", user_id, key)
        with suppress(Exception):  # losing this record must not break the conversation
            await self.store.record_refused(RefusedDelivery(
                Channel.ZALO_OA.value, user_id, code, key[:100], self.clock()))


ZALO_OA = web.AppKey("zalo_oa", ZaloOAChannel)


# ---- the aiohttp side ----------------------------------------------------------------------------


async def zalo_oa_webhook(request: web.Request) -> web.Response:
    """POST /webhook/zalo-oa: the size, the signature, the age, then recorded and answered.

    An unsigned request is the console checking the URL (undocumented, see docs/zalo.md):
    200, logged, nothing handled. A bad signature or an event older than the window: 403.
    """
    channel = request.app.get(ZALO_OA)
    try:
        body = await read_limited(request)
    except BodyTooLarge:
        return web.Response(status=413)
    header = request.headers.get(SIGNATURE_HEADER)
    if not header:
        log.info("zalo-oa: an unsigned request on the webhook (a console check?): answered, "
                 "not handled")
        return web.json_response({"ok": True})
    if channel is None:
        return web.Response(status=403)
    payload = parse_object(body)
    if payload is None:
        return web.Response(status=400)
    if not channel.verify(header, body, payload):
        return web.Response(status=403)
    if not channel.fresh(payload):
        log.warning("zalo-oa: a signed event outside the window of %s minutes was refused",
                    int(channel.window.total_seconds() // 60))
        return web.Response(status=403)
    try:
        await channel.accept(payload)
    except Exception as err:  # the database is down: not recorded, so Zalo should retry
        log.error("zalo-oa: a webhook event could not be recorded (%s)", type(err).__name__)
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
    app[ZALO_OA] = ZaloOAChannel(settings, runtime.catalogue, ZaloTokenStore(runtime.engine),
                                 ZaloEventStore(runtime.engine), runtime.uow)
    serve_channel(app, ZALO_OA)
