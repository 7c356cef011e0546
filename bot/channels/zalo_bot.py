"""Zalo Bot Platform (bot.zaloplatforms.com): a Telegram-like API, spoken with plain aiohttp.

Calls are `POST {api}/bot{TOKEN}/{method}` answered `{ok, result}` or `{ok: false,
error_code, description}`. Updates come by webhook (POST /webhook/zalo, secret in
X-Bot-Api-Secret-Token) when PHOCAP_PUBLIC_URL is set, else by long polling getUpdates (one
update per call, 408 when none came). Zalo has no buttons: options are sent as a numbered
menu and the dispatcher matches the typed number.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from aiohttp import web

from bot.appkeys import DISPATCHER, RUNTIME
from bot.settings import Settings
from core.i18n import Catalogue
from core.messages import Channel, Inbound, Kind
from handlers.engine import Dispatcher, Outcome
from handlers.rendering import numbered_menu, render, split_text

log = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/webhook/zalo"
SECRET_HEADER: Final = "X-Bot-Api-Secret-Token"  # noqa: S105 -- a header name
TEXT_LIMIT: Final = 2000  # sendMessage takes 1-2000 characters
MAX_BODY: Final = 1024 * 1024
SECRET_LENGTH: Final = (8, 256)  # what setWebhook accepts as secret_token
POLL_TIMEOUT: Final = 30  # seconds getUpdates waits for an update
CALL_TIMEOUT: Final = 15.0
START_RETRY_MAX: Final = 60.0
EVENT_TEXT: Final = "message.text.received"
EVENTS_UNSUPPORTED: Final = frozenset({
    "message.image.received", "message.sticker.received", "message.unsupported.received",
})


# ---- HTTP with retries (shared with the OA adapter) ----------------------------------------


@dataclass(frozen=True, slots=True)
class Retry:
    """How often and how patiently a failed call is tried again (429 and 5xx only)."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0
    retry_after_cap: float = 60.0  # never sleep longer than this, whatever the server says

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap)
        return min(self.base * 2.0**attempt, self.cap)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int  # HTTP status; 0 when the server could not be reached
    body: Mapping[str, Any]
    retry_after: float | None = None


def retry_after_of(headers: Mapping[str, str], body: Mapping[str, Any]) -> float | None:
    """Seconds to wait from a Retry-After header or a Telegram-style parameters.retry_after."""
    raw: object = headers.get("Retry-After")
    if raw is None and isinstance(body.get("parameters"), dict):
        raw = body["parameters"].get("retry_after")
    try:
        return float(str(raw)) if raw is not None else None
    except ValueError:  # an HTTP date: rare; the exponential delay will do
        return None


async def post_once(
    session: aiohttp.ClientSession, url: str, seconds: float, **kwargs: Any
) -> Answer:
    try:
        async with session.post(url, timeout=aiohttp.ClientTimeout(total=seconds),
                                **kwargs) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
            body = body if isinstance(body, dict) else {}
            return Answer(response.status, body, retry_after_of(response.headers, body))
    except (aiohttp.ClientError, TimeoutError) as err:
        # Only the type: aiohttp's message holds the URL, and the URL holds the bot token.
        return Answer(0, {"description": type(err).__name__})


async def post_with_retries(
    session: aiohttp.ClientSession,
    url: str,
    retry: Retry,
    transient: Callable[[Answer], bool],
    seconds: float = CALL_TIMEOUT,
    **kwargs: Any,
) -> Answer:
    """POST, and again after a pause while the answer is transient; the last answer."""
    answer = await post_once(session, url, seconds, **kwargs)
    for attempt in range(retry.attempts - 1):
        if not transient(answer):
            break
        await asyncio.sleep(retry.delay(attempt, answer.retry_after))
        answer = await post_once(session, url, seconds, **kwargs)
    return answer


def is_transient(status: int) -> bool:
    """Worth another try: unreachable, rate-limited or a server error. Other 4xx are final."""
    return status == 0 or status == 429 or status >= 500


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


def bot_api_transient(answer: Answer) -> bool:
    """The body's error_code counts too: the platform may say 429 inside an HTTP 200."""
    code = error_code(answer) if answer.body.get("ok") is False else None
    return is_transient(answer.status) or (code is not None and is_transient(code))


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


def as_object(value: object) -> Mapping[str, Any]:
    """A JSON object, or an empty one for anything else: bodies are not to be trusted."""
    return value if isinstance(value, dict) else {}


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
    """Polls or takes webhooks, hands each update to the dispatcher, sends what it answers."""

    def __init__(self, settings: Settings, catalogue: Catalogue) -> None:
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
        self._chat_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())
        self.ready = asyncio.Event()  # set once setWebhook succeeded or polling began

    def accepts(self, secret: str | None) -> bool:
        """True only in webhook mode and for our secret, compared in constant time."""
        if not self.webhook or not self._secret or secret is None:
            return False
        return hmac.compare_digest(secret.encode(), self._secret)

    async def start(self, session: aiohttp.ClientSession, dispatcher: Dispatcher) -> None:
        """In the background: the server must come up even when Zalo cannot be reached."""
        self.api = ZaloBotAPI(session, self._api_url, self._token, self.retry)
        self._dispatcher = dispatcher
        work = self._set_webhook() if self.webhook else self._poll()
        self._task = asyncio.create_task(work, name="zalo-" + ("webhook" if self.webhook
                                                               else "polling"))

    async def stop(self) -> None:
        """Stop polling. The webhook stays set: another process may still be serving it."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        self.ready.clear()

    async def _set_webhook(self) -> None:
        assert self.api is not None
        delay = 1.0
        while True:
            try:
                await self.api.call("setWebhook", {"url": webhook_url(self._public_url),
                                                   "secret_token": self._secret.decode()})
            except ZaloApiError as err:
                if err.status in (401, 403) or err.code in (401, 403):
                    log.error("zalo: the Bot API refused the token; the channel stays off")
                    return
                log.warning("zalo: setWebhook failed (%s), retrying in %.0f s", err.status, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, START_RETRY_MAX)
            else:
                log.info("zalo: webhook mode")
                self.ready.set()
                return

    async def _poll(self) -> None:
        """getUpdates in a loop; a pause that doubles after each failure, up to a minute."""
        assert self.api is not None
        with suppress(ZaloApiError):  # polling fails while a webhook is set; none should be
            await self.api.call("deleteWebhook")
        log.info("zalo: polling")
        self.ready.set()
        delay = self.retry.base
        while True:
            try:
                update = await self.api.next_update(self.poll_timeout)
            except ZaloApiError as err:
                log.warning("zalo: getUpdates failed (HTTP %s, error %s), again in %.1f s",
                            err.status, err.code, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, START_RETRY_MAX)
                continue
            delay = self.retry.base
            if update is not None:
                await self._process_logged(update)

    async def _process_logged(self, update: Mapping[str, Any]) -> None:
        """Polling: getUpdates already handed the update over, so a failure is only logged."""
        try:
            await self.process(update)
        except Exception as err:  # the database is down ...: the next update still matters
            log.error("zalo: an update failed in the dispatcher (%s)", type(err).__name__)

    async def process(self, update: Mapping[str, Any]) -> None:
        """One update: to the dispatcher, then its replies to the chat. Raises what the
        dispatcher raises; a failure to send is only logged."""
        update = unwrap(update)
        inbound = to_inbound(update)
        if inbound is None or self._dispatcher is None:
            log.info("zalo: ignored an update (%s)", str(update.get("event_name"))[:60])
            return
        async with self._chat_lock(inbound.chat_id):
            outcome = await self._dispatcher.handle(inbound)
            await self.send(inbound.chat_id, outcome)

    async def deliver(self, chat_id: str, outcome: Outcome) -> None:
        """Every text of the outcome in order; ZaloApiError at the first that fails."""
        assert self.api is not None
        for text in messages(self._catalogue, outcome):
            await self.api.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send(self, chat_id: str, outcome: Outcome) -> bool:
        """deliver(), for a reply to the chat: a failure is logged, not raised."""
        try:
            await self.deliver(chat_id, outcome)
        except ZaloApiError as err:
            log.warning("zalo: sending to chat %s failed (HTTP %s, error %s)",
                        chat_id, err.status, err.code)
            return False
        return True

    def _chat_lock(self, chat_id: str) -> asyncio.Lock:
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        return lock


ZALO = web.AppKey("zalo", ZaloChannel)


# ---- the aiohttp side -------------------------------------------------------------------------


class BodyTooLarge(Exception):
    pass


async def read_limited(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The body, refusing more than limit bytes even when no Content-Length was sent."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
    return b"".join(chunks)


def parse_object(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


async def zalo_webhook(request: web.Request) -> web.Response:
    """POST /webhook/zalo: the secret first, then the size, the JSON and the dispatcher."""
    channel = request.app.get(ZALO)
    if channel is None or not channel.accepts(request.headers.get(SECRET_HEADER)):
        return web.Response(status=403)
    if channel.api is None:  # not started yet: Zalo will deliver again
        return web.Response(status=503)
    try:
        payload = parse_object(await read_limited(request))
    except BodyTooLarge:
        return web.Response(status=413)
    if payload is None:
        return web.Response(status=400)
    try:
        await channel.process(payload)
    except Exception as err:  # e.g. the database is down: 500 so that Zalo delivers again
        log.error("zalo: a webhook update failed (%s)", type(err).__name__)
        return web.Response(status=500)
    return web.json_response({"ok": True})


async def _zalo_ctx(app: web.Application) -> AsyncIterator[None]:
    """One HTTP session for the channel's lifetime; the channel starts and stops with the app."""
    channel = app[ZALO]
    async with aiohttp.ClientSession() as session:
        await channel.start(session, app[DISPATCHER])
        yield
        await channel.stop()


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
    app[ZALO] = ZaloChannel(settings, app[RUNTIME].catalogue)
    app.cleanup_ctx.append(_zalo_ctx)
