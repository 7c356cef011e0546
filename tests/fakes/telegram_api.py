"""A fake Telegram Bot API on 127.0.0.1, enough of it for python-telegram-bot.

Every request is recorded (method and parameters). A method it does not know is answered 404
and listed in `unknown`, which the tests' fixture asserts to be empty: the channel must not
call what this fake does not vouch for. Updates are queued with push_*() and served by
getUpdates with long polling and offsets, as Telegram does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "7000001:TEST-token-for-the-fake-api"
BOT_USER = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "Phocap",
    "username": "phocap_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Parameters PTB sends JSON-encoded inside its form fields.
JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
}

Params = dict[str, Any]


@dataclass(frozen=True)
class Call:
    method: str
    params: Params
    at: float = field(default_factory=time.monotonic)  # when it arrived


class ApiError(Exception):
    """An error answer, as Telegram gives it: {"ok": false, "error_code", "description"}."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after  # a flood limit's parameters.retry_after


class Stall(ApiError):
    """Not an error: the call is taken only after `seconds`, if its caller still waits."""

    def __init__(self, seconds: float) -> None:
        super().__init__(0, "stalled")
        self.seconds = seconds


class FakeTelegramAPI:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.unknown: list[str] = []
        self.webhook: Params = {}
        # getMe's answer; a test may take a field away, as an emulator of the Bot API did
        # (a getMe without is_bot), to see the channel meet an answer it cannot read.
        self.me: Params = dict(BOT_USER)
        self._queue: list[Params] = []
        self._failures: dict[str, list[ApiError]] = {}
        self._holding: set[str] = set()
        self._released = asyncio.Event()
        self.held: list[Params] = []  # calls kept waiting by hold(), not yet answered
        self.dropped: list[Call] = []  # held calls whose caller went away: never taken
        self.accepted: list[Call] = []  # the calls answered ok, in order
        self._update_ids = itertools.count(500_000)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(9_000)
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._methods: dict[str, Callable[[Params], Any]] = {
            "getme": lambda _p: self.me,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "answercallbackquery": lambda _p: True,
            "sendphoto": self._send_photo,
            "sendchataction": lambda _p: True,
        }

    # ---- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # A short shutdown: a long poll still open when a test fails must not hold it up.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"

    async def close(self) -> None:
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegramAPI:
        await self.start()
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.close()

    # ---- what the tests push ---------------------------------------------------------------

    def push(self, update: Params) -> Params:
        """Queue an update for getUpdates; returns it (for a webhook test to post as well)."""
        self._queue.append(update)
        self._notify()
        return update

    def push_text(self, chat_id: int, text: str, **kw: Any) -> Params:
        return self.push(self.text_update(chat_id, text, **kw))

    def push_callback(self, chat_id: int, data: str, **kw: Any) -> Params:
        return self.push(self.callback_update(chat_id, data, **kw))

    def push_sticker(self, chat_id: int, **kw: Any) -> Params:
        return self.push(self.sticker_update(chat_id, **kw))

    def text_update(
        self, chat_id: int, text: str, *, chat_type: str = "private", language_code: str = "vi"
    ) -> Params:
        message = self._incoming(chat_id, chat_type, language_code, text=text)
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        key = "channel_post" if chat_type == "channel" else "message"
        return {"update_id": next(self._update_ids), key: message}

    def sticker_update(self, chat_id: int, *, language_code: str = "vi") -> Params:
        sticker = {
            "file_id": "sticker-file",
            "file_unique_id": "sticker-u",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        message = self._incoming(chat_id, "private", language_code, sticker=sticker)
        return {"update_id": next(self._update_ids), "message": message}

    def callback_update(
        self, chat_id: int, data: str, *, chat_type: str = "private", language_code: str = "vi"
    ) -> Params:
        earlier = self._message(chat_id, chat_type, text="earlier question")
        query = {
            "id": str(next(self._query_ids)),
            "from": self._user(chat_id, language_code),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": earlier,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def fail_next(
        self,
        method: str,
        code: int = 403,
        description: str = "Forbidden: bot was blocked by the user",
        retry_after: int | None = None,
    ) -> None:
        """The next call of method gets this error instead of a result."""
        self._failures.setdefault(method.lower(), []).append(
            ApiError(code, description, retry_after))

    def stall_next(self, method: str, seconds: float) -> None:
        """The next call of method (after the failures queued before) is taken only after
        seconds, and only if its caller has not given up by then: a timeout."""
        self._failures.setdefault(method.lower(), []).append(Stall(seconds))

    def accepted_texts(self, chat_id: int | str) -> list[str]:
        """The texts sendMessage took for chat_id: failed and dropped attempts left out."""
        return [str(c.params["text"]) for c in self.accepted
                if c.method.lower() == "sendmessage" and str(c.params.get("chat_id")) ==
                str(chat_id)]

    def hold(self, method: str) -> None:
        """Keep every call of method waiting, unanswered and not yet taken, until release():
        a send on its way when the caller dies."""
        self._holding.add(method.lower())

    def release(self) -> None:
        """Answer the held calls (those whose caller is gone are dropped) and hold no more."""
        self._holding.clear()
        self._released.set()
        self._released = asyncio.Event()

    # ---- what the tests read ---------------------------------------------------------------

    def calls_to(self, method: str) -> list[Params]:
        return [c.params for c in self.calls if c.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | str) -> list[Params]:
        return [p for p in self.calls_to("sendMessage") if str(p.get("chat_id")) == str(chat_id)]

    def sent_texts(self, chat_id: int | str) -> list[str]:
        return [str(p["text"]) for p in self.sent_messages(chat_id)]

    async def wait_for_messages(
        self,
        chat_id: int | str,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109 -- a deadline for the condition, not one I/O call
    ) -> list[Params]:
        """The first n messages sent to chat_id, waiting for them to arrive."""
        await self.wait_until(
            lambda: len(self.sent_messages(chat_id)) >= n,
            timeout,
            f"{n} message(s) to chat {chat_id}",
        )
        return self.sent_messages(chat_id)[:n]

    async def wait_for_call(
        self,
        method: str,
        timeout: float = 5.0,  # noqa: ASYNC109 -- a deadline for the condition, not one I/O call
    ) -> Params:
        await self.wait_until(lambda: bool(self.calls_to(method)), timeout, method)
        return self.calls_to(method)[0]

    async def wait_until(self, done: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not done():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"waited {seconds} s for {what}; calls seen: {seen}")
            await self._wait_change(left)

    # ---- the HTTP side ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        params = await _params(request)
        if method.lower() in self._holding:
            self.held.append(params)
            self._notify()
            wanted = await self._still_wanted(request, self._released.wait())
            self.held.remove(params)
            if not wanted:
                self.dropped.append(Call(method, params))  # nobody to answer: not taken
                self._notify()
                return web.Response(status=499)
        self.calls.append(Call(method, params))
        self._notify()
        handler = self._methods.get(method.lower())
        if handler is None and method.lower() != "getupdates":
            self.unknown.append(method)
            return _error(ApiError(404, "Not Found"))
        failures = self._failures.get(method.lower())
        if failures and isinstance(failures[0], Stall):
            if not await self._still_wanted(request, asyncio.sleep(failures.pop(0).seconds)):
                self.dropped.append(Call(method, params))
                self._notify()
                return web.Response(status=499)
        elif failures:
            return _error(failures.pop(0))
        result: Any
        try:
            if method.lower() == "getupdates":
                result = await self._get_updates(params)
            else:
                result = handler(params) if handler else None
        except ApiError as err:
            return _error(err)
        self.accepted.append(Call(method, params))
        self._notify()
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _still_wanted(request: web.Request, pause: Awaitable[object]) -> bool:
        """After the pause, whether the caller still waits for the answer (aiohttp may cancel
        the handler when the caller hangs up: that is an answer too)."""
        try:
            await asyncio.shield(pause)
        except asyncio.CancelledError:
            return False
        return request.transport is not None and not request.transport.is_closing()

    async def _get_updates(self, params: Params) -> list[Params]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        if offset > 0:  # everything below offset is confirmed: Telegram forgets it
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        deadline = asyncio.get_running_loop().time() + float(params.get("timeout") or 0)
        while not self._queue and not self._closing:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await self._wait_change(left)
        return self._queue[:limit]

    def _set_webhook(self, params: Params) -> bool:
        self.webhook = {
            "url": params["url"],
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
        }
        return True

    def _delete_webhook(self, params: Params) -> bool:
        self.webhook = {}
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._queue.clear()
        return True

    def _webhook_info(self, _params: Params) -> Params:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }

    def _send_message(self, params: Params) -> Params:
        if not params.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        if len(str(params["text"])) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._sent(params, text=params["text"])

    def _edit_message_text(self, params: Params) -> Params | bool:
        if "inline_message_id" in params:
            return True
        return self._sent(params, text=params["text"])

    def _send_photo(self, params: Params) -> Params:
        photo = [
            {
                "file_id": "photo-file",
                "file_unique_id": "photo-u",
                "width": 320,
                "height": 320,
                "file_size": 1000,
            }
        ]
        return self._sent(params, photo=photo, caption=params.get("caption"))

    def _sent(self, params: Params, **fields: Any) -> Params:
        """The message object Telegram returns for what the bot just sent."""
        chat_id = int(params["chat_id"])
        message = self._message(chat_id, "private" if chat_id > 0 else "group", **fields)
        message["from"] = BOT_USER
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return {k: v for k, v in message.items() if v is not None}

    # ---- building Telegram objects ---------------------------------------------------------

    def _incoming(self, chat_id: int, chat_type: str, language_code: str, **fields: Any) -> Params:
        message = self._message(chat_id, chat_type, **fields)
        if chat_type != "channel":
            message["from"] = self._user(
                chat_id if chat_type == "private" else 5_550_001, language_code
            )
        return message

    def _message(self, chat_id: int, chat_type: str, **fields: Any) -> Params:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type),
            **fields,
        }

    @staticmethod
    def _user(user_id: int, language_code: str) -> Params:
        user: Params = {"id": user_id, "is_bot": False, "first_name": "Lan", "last_name": "Hoang"}
        if language_code:
            user["language_code"] = language_code
        return user

    def _notify(self) -> None:
        """Wake every waiter; each then waits on a fresh event."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, seconds: float) -> None:
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            pass


def _chat(chat_id: int, chat_type: str) -> Params:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Lan", "last_name": "Hoang"}
    return {"id": chat_id, "type": chat_type, "title": "Test group"}


def _error(err: ApiError) -> web.Response:
    body: Params = {"ok": False, "error_code": err.code, "description": err.description}
    if err.retry_after is not None:
        body["parameters"] = {"retry_after": err.retry_after}
    return web.json_response(body, status=err.code)


async def _params(request: web.Request) -> Params:
    """The call's parameters from the query, a form, a multipart body or JSON, decoded."""
    params: Params = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    if request.can_read_body:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                body = value.file.read()
                params[name] = {"filename": value.filename, "size": len(body)}
            elif name in JSON_FIELDS:
                params[name] = json.loads(value)
            else:
                params[name] = value
    return params


async def post_update(url: str, update: Params | bytes, secret: str | None = None) -> int:
    """Deliver an update to our webhook as Telegram does; the HTTP status it got."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as resp,
    ):
        return resp.status
