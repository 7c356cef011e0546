"""A fake Zalo Bot Platform API on 127.0.0.1.

`POST /bot{TOKEN}/{method}` with a JSON body, answered `{ok, result}` or `{ok: false,
error_code, description}` as the platform does. getUpdates hands out one queued update per
call and answers 408 when none arrives within its timeout. Every call is recorded; a method
it does not know is answered 404 and listed in `unknown`, which the tests assert to be empty.
Failures can be queued per method (fail()), to see the adapter retry or give up. The
platform's error-code page (bot.zapps.me/docs/error-code) calls 403 "Internal server error":
server_error() queues that answer as documented, so a 403 here is the platform's trouble,
not a revoked token (that is 401).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "1234567890:fake-zalo-bot-token"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
METHODS = ("getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
           "sendMessage", "sendPhoto", "sendChatAction")

Params = dict[str, Any]


@dataclass(frozen=True)
class Call:
    method: str
    params: Params


@dataclass(frozen=True)
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    stall: float = 0.0  # not an error: taken after this many seconds, if the caller still waits


class FakeZaloBotAPI:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []  # every attempt, failed ones too
        self.delivered: list[Call] = []  # the messages that went through
        self.unknown: list[str] = []
        self.dropped: list[Call] = []  # stalled calls whose caller gave up: never taken
        self.webhook: Params = {}
        self.webhook_updated_at = 0  # ms, as getWebhookInfo reports it
        self._queue: list[Params] = []
        self._failures: dict[str, list[Failure]] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.polls = 0  # getUpdates calls so far
        self._handed_at = 0  # the poll that handed out the latest update
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ---- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> FakeZaloBotAPI:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object | TracebackType) -> None:
        self._changed.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- what the tests do ----------------------------------------------------------------------

    def push(self, event_name: str, message: Params | None, wrapped: bool = False) -> Params:
        """Queue an update for getUpdates; returns it (flat)."""
        update: Params = {"event_name": event_name}
        if message is not None:
            update["message"] = message
        self._queue.append({"ok": True, "result": update} if wrapped else update)
        self._changed.set()
        return update

    def message(self, chat_id: str, text: str | None = None, chat_type: str = "PRIVATE",
                name: str = "Nguoi Dung") -> Params:
        """A message as the platform describes it: string ids, date in milliseconds."""
        body: Params = {
            "message_id": f"msg{next(self._ids):06d}",
            "from": {"id": chat_id, "display_name": name, "is_bot": False},
            "chat": {"id": chat_id, "chat_type": chat_type},
            "date": int(time.time() * 1000),
        }
        if text is not None:
            body["text"] = text
        return body

    def push_text(self, chat_id: str, text: str, chat_type: str = "PRIVATE") -> Params:
        return self.push("message.text.received", self.message(chat_id, text, chat_type))

    def fail(self, method: str, status: int, times: int = 1, retry_after: int | None = None,
             description: str = "failure for a test") -> None:
        """The next `times` calls of method fail with this status."""
        failures = self._failures.setdefault(method, [])
        failures += [Failure(status, description, retry_after)] * times

    def server_error(self, method: str, times: int = 1) -> None:
        """The documented 403: {"ok": false, "error_code": 403, "description": "Internal
        server error"}."""
        self.fail(method, 403, times, description="Internal server error")

    def stall(self, method: str, seconds: float) -> None:
        """The next call of method (after the failures queued before) is taken only after
        seconds, and only if its caller has not given up by then: a timeout."""
        self._failures.setdefault(method, []).append(Failure(0, "stalled", stall=seconds))

    def sent(self, chat_id: str | None = None) -> list[str]:
        """Texts delivered with sendMessage, in order (to one chat, or to all)."""
        return [c.params["text"] for c in self.delivered
                if chat_id is None or c.params.get("chat_id") == chat_id]

    def count(self, method: str) -> int:
        return sum(1 for c in self.calls if c.method == method)

    async def wait_sent(self, count: int, chat_id: str | None = None,
                        within: float = 5.0) -> list[str]:
        """Wait until at least count texts were sent; all of them."""
        deadline = time.monotonic() + within
        while len(self.sent(chat_id)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.sent(chat_id))} of {count} messages sent")
            self._changed.clear()
            with_timeout = max(0.01, deadline - time.monotonic())
            try:
                await asyncio.wait_for(self._changed.wait(), with_timeout)
            except TimeoutError:
                pass
        return self.sent(chat_id)

    async def wait_idle(self, within: float = 5.0) -> None:
        """Wait until every queued update was handed out and the bot polled again after the
        last one: the adapter handles one update at a time, so it is done with them."""
        deadline = time.monotonic() + within
        while self._queue or self.polls <= self._handed_at:
            if time.monotonic() > deadline:
                raise AssertionError("the adapter did not come back for more updates")
            await asyncio.sleep(0.01)

    # ---- the API --------------------------------------------------------------------------------

    async def _not_found(self, request: web.Request) -> web.Response:
        self.unknown.append(f"{request.method} {request.path}")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"},
                                 status=404)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        if method not in METHODS:
            self.unknown.append(method)
            return _error(404, "Not Found")
        raw = await request.read()
        params: Params = json.loads(raw) if raw else {}
        self.calls.append(Call(method, params))
        self._changed.set()
        failures = self._failures.get(method)
        if failures and failures[0].stall:
            await asyncio.sleep(failures.pop(0).stall)
            if request.transport is None or request.transport.is_closing():
                self.dropped.append(Call(method, params))
                return web.Response(status=499)
        elif failures:
            failure = failures.pop(0)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return _error(failure.status, failure.description, headers)
        if method == "getUpdates":
            self.polls += 1
            return await self._get_updates(params)
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: Params) -> Any:
        if method == "getMe":
            return {"id": "bot1", "account_name": "bot.phocap", "account_type": "BASIC",
                    "can_join_groups": False}
        if method == "setWebhook":
            self.webhook = dict(params)
            self.webhook_updated_at = int(time.time() * 1000)
            return {"url": params.get("url"), "updated_at": self.webhook_updated_at}
        if method == "deleteWebhook":
            self.webhook = {}
            return {"url": ""}
        if method == "getWebhookInfo":  # "" once deleted, as documented
            return {"url": self.webhook.get("url", ""), "updated_at": self.webhook_updated_at}
        if method == "sendMessage":
            text = params.get("text")
            if not isinstance(text, str) or not 1 <= len(text) <= 2000:
                raise web.HTTPBadRequest(text=json.dumps(
                    {"ok": False, "error_code": 400, "description": "text must be 1-2000"}),
                    content_type="application/json")
            self.delivered.append(Call(method, params))
            return {"message_id": f"out{next(self._ids):06d}", "date": int(time.time() * 1000)}
        return True

    async def _get_updates(self, params: Params) -> web.Response:
        """One update per call; 408 when none arrives within the timeout."""
        timeout = min(float(params.get("timeout") or 0), 1.0)  # a short wait keeps tests quick
        deadline = time.monotonic() + timeout
        while not self._queue and time.monotonic() < deadline:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        if not self._queue:
            return _error(408, "Request timeout")
        update = self._queue.pop(0)
        self._handed_at = self.polls
        result = update.get("result", update)
        return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description}
    return web.json_response(body, status=status, headers=headers)


async def post_webhook(base_url: str, body: Params | bytes, secret: str | None,
                       path: str = "/webhook/zalo") -> int:
    """Deliver an update to our webhook as Zalo would; the HTTP status."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers["Content-Type"] = "application/json"
    async with aiohttp.ClientSession() as session, session.post(
            base_url + path, data=data, headers=headers) as response:
        return response.status
