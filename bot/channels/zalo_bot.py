"""Zalo Bot Platform (bot.zaloplatforms.com): a Telegram-like API, spoken with plain aiohttp.

Calls are `POST {api}/bot{TOKEN}/{method}` answered `{ok, result}` or `{ok: false,
error_code, description}`. Updates come by webhook (POST /webhook/zalo, secret in
X-Bot-Api-Secret-Token) when PHOCAP_PUBLIC_URL is set, else by long polling getUpdates (one
update per call, 408 when none came). Either way an update is recorded first
(bot/channels/zalo_events.py) and handled in the background, its replies through the outbox:
the webhook answers at once. Zalo has no buttons: options are sent as a numbered menu and
the dispatcher matches the typed number.

The platform's error-code page calls 403 "Internal server error": a 403 is retried with
back-off like a 5xx (and 408, 429), never taken as a refused token; only 401 is.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Mapping
from contextlib import suppress
from typing import Any, Final

import aiohttp
from aiohttp import web

from bot.appkeys import RUNTIME
from bot.channels.base import (
    ChannelStatus,
    DeliveryFailed,
    StartFailed,
    cause,
    serve_channel,
    start_with_retries,
)
from bot.channels.http import Answer, Retry, is_transient, post_once, post_with_retries
from bot.channels.webhook_bodies import BodyTooLarge, as_object, parse_object, read_limited
from bot.channels.zalo_events import RecordedEvents
from bot.settings import Settings
from core.clock import Clock, system_clock
from core.i18n import Catalogue
from core.messages import Channel, Inbound, Kind
from core.ports import UnitOfWorkFactory
from handlers.engine import Dispatcher, Outcome
from handlers.rendering import numbered_menu, render, split_text
from storage.zalo_events import ZaloEventStore

log = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/webhook/zalo"
SECRET_HEADER: Final = "X-Bot-Api-Secret-Token"  # noqa: S105 -- a header name
TEXT_LIMIT: Final = 2000  # sendMessage takes 1-2000 characters
SECRET_LENGTH: Final = (8, 256)  # what setWebhook accepts as secret_token
POLL_TIMEOUT: Final = 30  # seconds getUpdates waits for an update
POLL_RETRY_MAX: Final = 60.0  # seconds between getUpdates after failures, at most
FAILURES_ALERT: Final = 5  # failed polls in a row before the log says ERROR
EVENT_TEXT: Final = "message.text.received"
# Worth another try: 403 is documented as "Internal server error"; 408 a timeout; 429 quota.
RETRYABLE_CODES: Final = frozenset({403, 408, 429})
REFUSED_TOKEN: Final = 401
EVENTS_UNSUPPORTED: Final = frozenset({
    "message.image.received", "message.sticker.received", "message.unsupported.received",
})


# ---- the Bot API client ----------------------------------------------------------------------


class ZaloApiError(Exception):
    """A call that failed for good; carries no message text and no token."""

    def __init__(self, method: str, status: int, code: int | None, description: str) -> None:
        super().__init__(f"{method}: HTTP {status}, error {code}: {description[:200]}")
        self.method = method
        self.status = status
        self.code = code


def error_code(answer: Answer) -> int | None:
    code = answer.body.get("error_code")
    return code if isinstance(code, int) else None


def retryable(status_or_code: int) -> bool:
    return is_transient(status_or_code) or status_or_code in RETRYABLE_CODES


def bot_api_transient(answer: Answer) -> bool:
    """The body's error_code counts too: the platform may say 429 inside an HTTP 200."""
    code = error_code(answer) if answer.body.get("ok") is False else None
    return retryable(answer.status) or (code is not None and retryable(code))


class ZaloBotAPI:
    def __init__(self, session: aiohttp.ClientSession, api_url: str, token: str,
                 retry: Retry) -> None:
        self._session = session
        self._url = f"{api_url.rstrip('/')}/bot{token}/"
        self.retry = retry

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """The call's result; 429 and 5xx retried; ZaloApiError when it finally fails."""
        answer = await post_with_retries(self._session, self._url + method, self.retry,
                                         bot_api_transient, json=dict(params or {}))
        return self._result(method, answer)

    async def next_update(self, wait: int) -> dict[str, Any] | None:
        """One update, or None when none came within wait seconds (the API answers 408)."""
        answer = await post_once(self._session, self._url + "getUpdates", wait + 10,
                                 json={"timeout": str(wait)})
        if answer.status == 408 or error_code(answer) == 408:
            return None
        result = self._result("getUpdates", answer)
        return result if isinstance(result, dict) else None

    @staticmethod
    def _result(method: str, answer: Answer) -> Any:
        if answer.status == 200 and answer.body.get("ok") is True:
            return answer.body.get("result")
        description = str(answer.body.get("description") or "")
        raise ZaloApiError(method, answer.status, error_code(answer), description)


# ---- the funnel: update -> Inbound --------------------------------------------------------------


def unwrap(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """Webhook bodies come flat or wrapped in {ok, result}; getUpdates always wraps."""
    result = payload.get("result")
    if "event_name" not in payload and isinstance(result, dict):
        return result
    return payload


def to_inbound(update: Mapping[str, Any]) -> Inbound | None:
    """Our own message for an update; None for one we take no part in (logged by the caller)."""
    event = update.get("event_name")
    message = update.get("message")
    if event != EVENT_TEXT and event not in EVENTS_UNSUPPORTED:
        return None
    if not isinstance(message, dict):  # e.g. unsupported.received from a protected account
        return None
    chat, sender = as_object(message.get("chat")), as_object(message.get("from"))
    chat_id = chat.get("id") or sender.get("id")
    if not chat_id:
        return None
    text = message.get("text")
    if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
        kind = Kind.GROUP
    elif event == EVENT_TEXT and isinstance(text, str) and text.strip():
        kind = Kind.TEXT
    else:
        kind = Kind.UNSUPPORTED
    message_id = message.get("message_id")
    return Inbound(
        channel=Channel.ZALO,
        chat_id=str(chat_id),
        text=text if kind is Kind.TEXT else None,
        update_id=str(message_id)[:100] if message_id else None,
        user_id=str(sender["id"]) if sender.get("id") else None,
        display_name=sender.get("display_name") or sender.get("name") or None,
        kind=kind,
    )


def messages(catalogue: Catalogue, outcome: Outcome) -> list[str]:
    """The texts to send for an outcome: each reply with its numbered menu, cut at 2000."""
    texts: list[str] = []
    for reply in outcome.replies:
        shown = numbered_menu(catalogue, render(catalogue, reply, outcome.locale), outcome.locale)
        texts += [piece for piece in split_text(shown, TEXT_LIMIT) if piece]
    return texts


# ---- the channel ------------------------------------------------------------------------------


def webhook_url(public_url: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH


def secret_problem(settings: Settings) -> str | None:
    """Why webhook mode cannot start, or None: without a secret anyone could post updates."""
    if not settings.public_url:
        return None
    low, high = SECRET_LENGTH
    if not low <= len(settings.zalo_webhook_secret.reveal()) <= high:
        return f"PHOCAP_ZALO_WEBHOOK_SECRET must be {low}-{high} characters in webhook mode"
    return None


class ZaloChannel:
    """Polls or takes webhooks, hands each update to the dispatcher, delivers what it says."""

    def __init__(self, settings: Settings, catalogue: Catalogue, events: ZaloEventStore,
                 uow: UnitOfWorkFactory, clock: Clock = system_clock) -> None:
        self.webhook = bool(settings.public_url)
        self._public_url = settings.public_url or ""
        self._api_url = settings.zalo_api_url
        self._token = settings.zalo_token.reveal()
        self._secret = settings.zalo_webhook_secret.reveal().encode()
        self._catalogue = catalogue
        self.retry = Retry()
        self.poll_timeout = POLL_TIMEOUT
        self.api: ZaloBotAPI | None = None
        self._dispatcher: Dispatcher | None = None
        self._task: asyncio.Task[None] | None = None
        self.status = ChannelStatus(Channel.ZALO.value, secrets=(self._token,))
        self.clock = clock
        self.event_store = events
        self.events = RecordedEvents(Channel.ZALO.value, events, uow,
                                     lambda u: to_inbound(unwrap(u)), lambda: self.clock())
        self._sweeper: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()  # set once setWebhook succeeded or polling began

    def accepts(self, secret: str | None) -> bool:
        """True only in webhook mode and for our secret, compared in constant time."""
        if not self.webhook or not self._secret or secret is None:
            return False
        return hmac.compare_digest(secret.encode(), self._secret)

    async def start(self, dispatcher: Dispatcher, http: aiohttp.ClientSession) -> None:
        """In the background: the server must come up even when Zalo cannot be reached."""
        self.api = ZaloBotAPI(http, self._api_url, self._token, self.retry)
        self._dispatcher = dispatcher
        self._sweeper = asyncio.create_task(self.events.run(dispatcher), name="zalo-events")
        work = (start_with_retries(self.status, self._set_webhook, self.ready) if self.webhook
                else self._poll())
        self._task = asyncio.create_task(work, name="zalo-" + ("webhook" if self.webhook
                                                               else "polling"))

    async def stop(self) -> None:
        """Stop polling. The webhook stays set: another process may still be serving it."""
        for task in (self._task, self._sweeper):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        self.ready.clear()

    async def accept(self, update: Mapping[str, Any]) -> None:
        """Record an update to handle (one we take no part in is only logged)."""
        update = unwrap(update)
        inbound = to_inbound(update)
        if inbound is None:
            log.info("zalo: ignored an update (%s)", str(update.get("event_name"))[:60])
            return
        message = as_object(update.get("message"))
        message_id = str(message.get("message_id") or "") or None
        key = f"msg:{message_id}" if message_id else (
            f"{update.get('event_name')}:{inbound.chat_id}:{message.get('date')}")
        await self.events.record(key, inbound.chat_id, message_id, update)

    async def _error(self, code: int) -> None:
        with suppress(Exception):  # the health page's record must not stop the channel
            await self.event_store.error(Channel.ZALO.value, code, self.clock())

    async def _set_webhook(self) -> None:
        assert self.api is not None
        try:
            await self.api.call("setWebhook", {"url": webhook_url(self._public_url),
                                               "secret_token": self._secret.decode()})
        except ZaloApiError as err:
            await self._error(err.code if err.code is not None else err.status)
            refused = REFUSED_TOKEN in (err.status, err.code)  # 403 is the server's trouble
            raise StartFailed(f"setWebhook: HTTP {err.status}", permanent=refused) from err
        log.info("zalo: webhook mode")

    async def _begin_polling(self) -> None:
        assert self.api is not None
        with suppress(ZaloApiError):  # polling fails while a webhook is set; none should be
            await self.api.call("deleteWebhook")
        log.info("zalo: polling")

    async def _poll(self) -> None:
        """getUpdates in a loop; a pause that doubles after each failure, up to a minute.
        Whatever fails (the API, the network, an answer we cannot read) is logged with its
        cause, shown on the health page, and tried again: polling never ends by itself."""
        await start_with_retries(self.status, self._begin_polling, self.ready)
        assert self.api is not None
        delay, failures = self.retry.base, 0
        while True:
            try:
                update = await self.api.next_update(self.poll_timeout)
            except ZaloApiError as err:
                failures += 1
                await self._error(err.code if err.code is not None else err.status)
                why = f"getUpdates: HTTP {err.status}, error {err.code}"
                # A run of failures is an alert (the log's ERROR); the loop never stops.
                level = logging.ERROR if failures == FAILURES_ALERT else logging.WARNING
                log.log(level, "zalo: %s, %s time(s) in a row (%s), again in %.1f s", why,
                        failures, str(err)[-80:], delay)
                self.status.failed(why, str(err.code) if err.code is not None
                                   else f"HTTP {err.status}")
            except Exception as err:
                failures += 1
                why = cause(err, self.status.secrets)
                log.error("zalo: getUpdates failed (%s), again in %.1f s", why, delay)
                self.status.failed(why, type(err).__name__)
            else:
                delay, failures = self.retry.base, 0
                self.status.running()
                if update is not None:
                    await self._record_logged(update)
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, POLL_RETRY_MAX)

    async def _record_logged(self, update: Mapping[str, Any]) -> None:
        """Polling: getUpdates already handed the update over, so a failure is only logged."""
        try:
            await self.accept(update)
        except Exception as err:  # the database is down ...: the next update still matters
            log.error("zalo: an update could not be recorded (%s)", type(err).__name__)

    async def deliver(self, chat_id: str, outcome: Outcome) -> None:
        """Every text of the outcome in order; DeliveryFailed at the first that fails (a 4xx
        other than 429, such as blocked or an unknown chat, for good)."""
        assert self.api is not None
        for text in messages(self._catalogue, outcome):
            try:
                await self.api.call("sendMessage", {"chat_id": chat_id, "text": text})
            except ZaloApiError as err:
                code = err.code if err.code is not None else err.status
                await self._error(code)
                if retryable(err.status) or retryable(code):
                    raise DeliveryFailed(
                        f"ZaloApiError: HTTP {err.status}, error {err.code}") from err
                raise DeliveryFailed(f"zalo HTTP {err.status}, error {err.code}",
                                     permanent=True) from err
            with suppress(Exception):
                await self.event_store.sent(Channel.ZALO.value, self.clock())


ZALO = web.AppKey("zalo", ZaloChannel)


# ---- the aiohttp side -------------------------------------------------------------------------


async def zalo_webhook(request: web.Request) -> web.Response:
    """POST /webhook/zalo: the secret first, then the size and the JSON; recorded, answered,
    handled afterwards."""
    channel = request.app.get(ZALO)
    if channel is None or not channel.accepts(request.headers.get(SECRET_HEADER)):
        return web.Response(status=403)
    try:
        payload = parse_object(await read_limited(request))
    except BodyTooLarge:
        return web.Response(status=413)
    if payload is None:
        return web.Response(status=400)
    try:
        await channel.accept(payload)
    except Exception as err:  # the database is down: not recorded, so Zalo should retry
        log.error("zalo: a webhook update could not be recorded (%s)", type(err).__name__)
        return web.Response(status=500)
    return web.json_response({"ok": True})


def setup_zalo(app: web.Application) -> None:
    """The webhook route always (403 unless configured); the channel only with a token."""
    app.router.add_post(WEBHOOK_PATH, zalo_webhook)
    settings = app[RUNTIME].settings
    if not settings.zalo_token:
        return
    problem = secret_problem(settings)
    if problem:
        log.error("zalo: %s; the channel stays off", problem)
        return
    runtime = app[RUNTIME]
    app[ZALO] = ZaloChannel(settings, runtime.catalogue, ZaloEventStore(runtime.engine),
                            runtime.uow)
    serve_channel(app, ZALO)
