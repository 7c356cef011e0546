"""Telegram through python-telegram-bot, used as a plain transport inside our aiohttp server.

PTB only fetches updates (polling when PHOCAP_PUBLIC_URL is unset) and calls the Bot API. A
webhook arrives on our own server at POST /webhook/telegram. Either way every update goes
through one funnel, to_inbound(), to the dispatcher; its outcome is rendered and sent here.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import logging
import re
from collections.abc import Collection, Sequence
from contextlib import suppress
from datetime import timedelta
from typing import Any, Final, TypeAlias

import aiohttp
import segno
from aiohttp import web
from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
    User,
)
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.appkeys import RUNTIME
from bot.channels.base import (
    ChannelStatus,
    ChatReplies,
    DeliveryFailed,
    StartFailed,
    serve_channel,
    start_with_retries,
)
from bot.channels.telegram_request import AiohttpRequest
from bot.settings import Settings
from core.i18n import Catalogue
from core.messages import Channel, Inbound, Kind
from handlers.engine import Dispatcher, Outcome
from handlers.rendering import Button, Rendered, render, split_text

log = logging.getLogger(__name__)

# PTB's Application is generic in six types we never vary.
TelegramApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]

WEBHOOK_PATH: Final = "/webhook/telegram"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 -- a header name
TEXT_LIMIT: Final = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
CALLBACK_DATA_BYTES: Final = 64
SHORT_LABEL: Final = 16  # labels up to this long fit two to a row on a phone
# Only what we answer; edits and member changes would make Telegram call us for nothing.
ALLOWED_UPDATES: Final = ("message", "callback_query", "channel_post")
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what a t.me ?start= payload may hold


# ---- settings and building ----------------------------------------------------------------


def file_url(api_url: str) -> str:
    """The Bot API's file base beside its method base: .../bot becomes .../file/bot."""
    head, sep, tail = api_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else f"{api_url}/file"


def build_application(settings: Settings, request: AiohttpRequest) -> TelegramApp:
    """PTB as a transport: no job queue, no persistence, an Updater only when polling."""
    api = settings.telegram_api_url.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token.reveal())
        .base_url(api)
        .base_file_url(file_url(api))
        .request(request)  # a quarter of httpx's CPU a call; polling keeps httpx
        # 30 messages a second overall, 20 a minute per group; retries wait out a 429,
        # which is how Telegram enforces its one-message-a-second pace within a chat.
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)  # ordering within a chat is kept by our per-chat lock
        .job_queue(None)
    )
    if settings.public_url:
        builder = builder.updater(None)
    return builder.build()


def webhook_url(public_url: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH


def qr_png(payload: str) -> bytes:
    """The QR code of payload as a PNG, large enough to scan from another phone's screen."""
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def deep_link(bot_username: str, payload: str) -> str:
    """A link that opens the bot and sends it '/start <payload>'."""
    if not START_PAYLOAD.fullmatch(payload):
        raise ValueError("a start payload is 1-64 characters of A-Z, a-z, 0-9, _ and -")
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


# ---- the funnel: Update -> Inbound ---------------------------------------------------------


def locale_of(user: User | None, locales: Collection[str]) -> str | None:
    """One of our locales from the client's language ('en-US' counts as 'en'); else None."""
    code = (user.language_code or "") if user else ""
    language = code.split("-", 1)[0].lower()
    return language if language in locales else None


def to_inbound(update: Update, locales: Collection[str]) -> Inbound | None:
    """Our own message for a Telegram update; None for one we take no part in."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:  # inline queries, polls ...: nothing to answer in a chat
        return None

    def inbound(kind: Kind, text: str | None = None, choice: str | None = None) -> Inbound:
        return Inbound(
            channel=Channel.TELEGRAM,
            chat_id=str(chat.id),
            text=text,
            choice=choice,
            update_id=str(update.update_id),
            user_id=str(user.id) if user else None,
            display_name=user.full_name if user else None,
            locale=locale_of(user, locales),
            kind=kind,
        )

    if chat.type != Chat.PRIVATE:
        return inbound(Kind.GROUP)
    if update.callback_query is not None:
        data = update.callback_query.data
        return inbound(Kind.CHOICE, choice=data) if data is not None else None
    message = update.message
    if message is None:  # an edited message, a member change ...: the dialog moved on
        return None
    if message.text is not None:
        return inbound(Kind.TEXT, text=message.text)
    return inbound(Kind.UNSUPPORTED)


# ---- rendering for Telegram ----------------------------------------------------------------


def callback_data(value: str) -> str:
    """An option's value as callback data, which Telegram caps at 64 bytes."""
    if not value.isascii() or not 1 <= len(value.encode()) <= CALLBACK_DATA_BYTES:
        raise ValueError(f"option value of {len(value)} characters is not 1-64 ASCII bytes")
    return value


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """One button per row, or two per row when every label is short."""
    if not buttons:
        return None
    keys = [InlineKeyboardButton(b.label, callback_data=callback_data(b.value)) for b in buttons]
    width = 2 if all(len(b.label) <= SHORT_LABEL for b in buttons) else 1
    return InlineKeyboardMarkup([keys[i : i + width] for i in range(0, len(keys), width)])


def messages(rendered: Rendered) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The texts to send for one reply, its keyboard under the last one."""
    pieces = [p for p in split_text(rendered.text, TEXT_LIMIT) if p]
    markup = keyboard(rendered.buttons)
    return [(p, markup if n == len(pieces) - 1 else None) for n, p in enumerate(pieces)]


# ---- the channel ---------------------------------------------------------------------------


class TelegramChannel:
    """Starts and stops PTB, hands each update to the dispatcher and delivers what it answers."""

    def __init__(self, settings: Settings, catalogue: Catalogue) -> None:
        self.request = AiohttpRequest()
        self.application = build_application(settings, self.request)
        self.webhook = bool(settings.public_url)
        self._public_url = settings.public_url or ""
        self._secret = settings.telegram_webhook_secret.reveal().encode()
        self._catalogue = catalogue
        self._dispatcher: Dispatcher | None = None
        self.status = ChannelStatus(Channel.TELEGRAM.value,
                                    secrets=(settings.telegram_token.reveal(),))
        self._replies = ChatReplies("telegram", self.deliver, self.status)
        self._starting: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    @property
    def bot_username(self) -> str:
        return str(self.application.bot.username)

    def accepts(self, secret: str | None) -> bool:
        """True only in webhook mode and for our secret, compared in constant time."""
        if not self.webhook or secret is None:
            return False
        return hmac.compare_digest(secret.encode(), self._secret)

    async def start(self, dispatcher: Dispatcher, http: aiohttp.ClientSession) -> None:
        """Start in the background: the server must come up even when Telegram cannot be
        reached (it is blocked by Vietnamese carriers)."""
        self._dispatcher = dispatcher
        self.request.share(http)
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self._starting = asyncio.create_task(
            start_with_retries(self.status, self._start_once, self.ready), name="telegram-start")

    async def _start_once(self) -> None:
        try:
            await self._reach_the_bot_api()
        except InvalidToken as err:
            raise StartFailed(type(err).__name__, permanent=True) from err
        except TelegramError as err:
            raise StartFailed(f"{type(err).__name__}: {err.message}"[:200]) from err
        log.info("telegram: %s as @%s", "webhook" if self.webhook else "polling",
                 self.bot_username)

    async def _reach_the_bot_api(self) -> None:
        app = self.application
        await app.initialize()  # getMe; does nothing once it has succeeded
        if self.webhook:
            await app.bot.set_webhook(
                url=webhook_url(self._public_url),
                secret_token=self._secret.decode(),
                allowed_updates=list(ALLOWED_UPDATES),
            )
            return
        if not app.running:
            await app.start()
        if app.updater is not None and not app.updater.running:
            await app.updater.start_polling(
                allowed_updates=list(ALLOWED_UPDATES), error_callback=self._polling_failed
            )

    def _polling_failed(self, err: TelegramError) -> None:
        """PTB retries polling by itself; one line per failure instead of its traceback, and
        the failure on the health page until an update comes again."""
        log.warning("telegram: polling failed (%s)", type(err).__name__)
        self.status.failed(f"{type(err).__name__}: {err.message}"[:200], type(err).__name__)

    async def stop(self) -> None:
        """Stop polling and close PTB's connections. The webhook stays set: another process
        behind the same load balancer may still be serving it."""
        if self._starting is not None:
            self._starting.cancel()
            with suppress(asyncio.CancelledError):
                await self._starting
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        self.ready.clear()

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB's only handler (polling): an error is logged here, never raised into PTB."""
        try:
            await self.process(update)
        except Exception as err:  # the update is already confirmed to Telegram: log, go on
            log.error(
                "telegram: update %s failed in the dispatcher (%s)",
                update.update_id,
                type(err).__name__,
            )

    async def process(self, update: Update) -> None:
        """One update: stop the button's spinner, ask the dispatcher, send what it says.

        Raises what the dispatcher raises (the webhook then answers 500 and Telegram retries);
        a failure to send is only logged.
        """
        query = update.callback_query
        inbound = to_inbound(update, self._catalogue.locales)
        if inbound is None or self._dispatcher is None:
            if query is not None:
                await _answer(query)
            return

        async def stop_spinner() -> None:
            if query is not None:
                await _answer(query)

        await self._replies.answer(self._dispatcher, inbound, first=stop_spinner)

    async def deliver(self, chat_id: str, outcome: Outcome) -> None:
        """Every reply of an outcome, in order; DeliveryFailed at the first failure."""
        try:
            await self._send(chat_id, outcome)
        except Forbidden as err:  # blocked by the user, kicked, deactivated: for good
            raise DeliveryFailed(f"telegram Forbidden: {err.message}", permanent=True) from err
        except BadRequest as err:  # chat not found, a message Telegram will never take
            raise DeliveryFailed(f"telegram BadRequest: {err.message}", permanent=True) from err
        except RetryAfter as err:  # the flood limit; PTB's limiter already waited a few times
            seconds = err.retry_after
            wait = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
            raise DeliveryFailed("telegram RetryAfter", retry_after=wait) from err
        except TelegramError as err:  # the network, a server error ...: worth another try
            # The Bot API's descriptions name the problem, not the message.
            raise DeliveryFailed(f"{type(err).__name__}: {err.message}") from err

    async def _send(self, chat_id: str, outcome: Outcome) -> None:
        for reply in outcome.replies:
            rendered = render(self._catalogue, reply, outcome.locale)
            for text, markup in messages(rendered):
                await self.application.bot.send_message(
                    chat_id=chat_id, text=text, reply_markup=markup
                )
            if rendered.qr:  # the handover's QR, for the recipient's phone to scan
                await self.application.bot.send_photo(chat_id=chat_id, photo=qr_png(rendered.qr))


TELEGRAM = web.AppKey("telegram", TelegramChannel)


async def _answer(query: CallbackQuery) -> None:
    """Answer a button press at once, or the user's client shows a spinner for a while."""
    try:
        await query.answer()
    except TelegramError as err:  # too old a query: the press is still worth handling
        log.info("telegram: answering a callback query failed (%s)", type(err).__name__)


# ---- the aiohttp side ----------------------------------------------------------------------


async def telegram_webhook(request: web.Request) -> web.Response:
    """POST /webhook/telegram: the secret first, then the JSON, then the dispatcher."""
    channel = request.app.get(TELEGRAM)
    if channel is None or not channel.accepts(request.headers.get(SECRET_HEADER)):
        return web.Response(status=403)
    if not channel.ready.is_set():  # not started yet: Telegram will deliver again
        return web.Response(status=503)
    try:
        data = await request.json()
        update = Update.de_json(data, channel.application.bot) if isinstance(data, dict) else None
    except (ValueError, TypeError, KeyError, AttributeError):  # not JSON, or not an Update
        update = None
    if update is None:
        return web.Response(status=400)
    try:
        await channel.process(update)
    except Exception as err:  # e.g. the database is down: 500 makes Telegram deliver again
        log.error("telegram: webhook update %s failed (%s)", update.update_id, type(err).__name__)
        return web.Response(status=500)
    return web.Response()


def setup_telegram(app: web.Application) -> None:
    """The webhook route always (403 unless a webhook is configured); the channel with a token."""
    app.router.add_post(WEBHOOK_PATH, telegram_webhook)
    runtime = app[RUNTIME]
    settings = runtime.settings
    if not settings.telegram_token:
        return
    app[TELEGRAM] = TelegramChannel(settings, runtime.catalogue)
    serve_channel(app, TELEGRAM)
