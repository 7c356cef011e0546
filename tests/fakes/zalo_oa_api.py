"""A fake Zalo OA API (v3 messages) and Zalo OAuth (v4 tokens) on 127.0.0.1.

As the documentation says (docs/zalo.md), not as our code expects:
- POST /v3.0/oa/message/cs with an `access_token` header: records the message; every answer
  is HTTP 200, an error is a body {"error": <negative code>, "message": ...}: -216 for a
  token it does not (or no longer) accept, -220 for one it was told has expired, -230 for a
  user outside the 7-day interaction window, -201 for a shape it does not take (text over
  2000 characters, more than 5 buttons, an unknown button type, and every template when
  `refuse_templates` is set: the v3 text+buttons form is not confirmed by Zalo's own docs).
  The recipient is {"user_id"} and may carry the user's "message_id" (a reply).
  `hold` keeps each send waiting that many seconds (or until release()): a slow Zalo.
- POST /v4/oa/access_token (form, `secret_key` header): accepts each refresh token ONCE, as
  Zalo does, and hands out a new pair {"access_token", "refresh_token", "expires_in": "90000"}
  (seconds, as a string); a spent token is refused with an error body.
- GET /v2.0/oa/getoa with an `access_token` header: the OA's profile, shaped as documented
  ({"data": {"oaid", "name", ...}, "error": 0, "message": "Success"}); -216 in an HTTP 200
  for a token it does not accept.

Anything else is answered 404 and listed in `unknown`. Failures can be queued per path: an
HTTP status (a proxy or an outage) with fail(), an error code in an HTTP 200 body with
error(). `event()` builds and signs webhook events the way Zalo does; `post_check()` sends
the unsigned request a console check may send (undocumented: an assumption, see the notes).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

APP_ID = "4301728401938492011"
OA_SECRET = "oa-secret-key-for-tests"
APP_SECRET = "app-secret-key-for-tests"  # renews tokens; not the key that signs webhooks
MESSAGE_PATH = "/v3.0/oa/message/cs"
PROFILE_PATH = "/v2.0/oa/getoa"
OA_ID = "1000000000000000001"
OAUTH_PATH = "/v4/oa/access_token"

Params = dict[str, Any]


BUTTON_TYPES = frozenset({"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.phone",
                          "oa.open.sms"})
MAX_BUTTONS = 5

# The official messages of the codes the fake answers (docs.zaloplatforms.com phu-luc/ma-loi).
MESSAGES = {
    -32: "Your application reached limit call api",
    -201: "<data_field> is invalid!",
    -216: "Access token is invalid",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted with the OA, or the last interaction has expired",
}


@dataclass(frozen=True)
class Sent:
    user_id: str
    message: Params
    access_token: str
    reply_to: str | None = None  # recipient.message_id: the user's message this answers


@dataclass
class FakeZaloOA:
    valid_access: set[str] = field(default_factory=lambda: {"AT-1"})
    unspent_refresh: set[str] = field(default_factory=lambda: {"RT-1"})
    outside_window: set[str] = field(default_factory=set)
    refuse_templates: bool = False
    refuse_message_ids: bool = False  # recipient.message_id is the v2 form: unconfirmed on v3
    hold: float = 0.0  # seconds each send waits before it is taken (release() ends it)
    sent: list[Sent] = field(default_factory=list)
    refresh_calls: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    oauth_delay: float = 0.0  # seconds the OAuth server takes to answer
    on_send: Callable[[Sent], Awaitable[None]] | None = None
    base_url: str = ""
    refused: list[Params] = field(default_factory=list)  # messages answered with an error
    _failures: dict[str, list[tuple[int, int | None, int]]] = field(default_factory=dict)
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(2))
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeZaloOA:
        app = web.Application()
        app.router.add_post(MESSAGE_PATH, self._message)
        app.router.add_post(OAUTH_PATH, self._oauth)
        app.router.add_get(PROFILE_PATH, self._profile)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object | TracebackType) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- what the tests do ------------------------------------------------------------------

    def fail(self, path: str, status: int, times: int = 1, retry_after: int | None = None) -> None:
        """An HTTP failure (not Zalo's way of saying no: a proxy, an outage)."""
        self._failures.setdefault(path, []).extend([(status, retry_after, -1)] * times)

    def error(self, path: str, code: int, times: int = 1) -> None:
        """Zalo's way: HTTP 200 with {"error": code, "message": ...} and no data."""
        self._failures.setdefault(path, []).extend([(200, None, code)] * times)

    def expire(self, access_token: str) -> None:
        self.valid_access.discard(access_token)

    def release(self) -> None:
        """Let held sends through."""
        self._released.set()

    def buttons(self) -> list[list[Params]]:
        """The buttons of every message sent with a template attachment."""
        return [s.message["attachment"]["payload"]["buttons"] for s in self.sent
                if "attachment" in s.message]

    def texts(self, user_id: str | None = None) -> list[str]:
        return [s.message["text"] for s in self.sent
                if "text" in s.message and (user_id is None or s.user_id == user_id)]

    # ---- the API ----------------------------------------------------------------------------

    def _failure(self, path: str) -> web.Response | None:
        failures = self._failures.get(path)
        if not failures:
            return None
        status, retry_after, code = failures.pop(0)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return web.json_response({"error": code, "message": MESSAGES.get(code, "failure")},
                                 status=status, headers=headers)

    async def _not_found(self, request: web.Request) -> web.Response:
        self.unknown.append(f"{request.method} {request.path}")
        return web.json_response({"error": 404, "message": "not found"}, status=404)

    def _refuse(self, body: Params, code: int) -> web.Response:
        self.refused.append(body)
        return web.json_response({"error": code, "message": MESSAGES[code]})

    def _shape_ok(self, message: Params) -> bool:
        text = message.get("text")
        if text is not None and (not isinstance(text, str) or not 1 <= len(text) <= 2000):
            return False
        attachment = message.get("attachment")
        if attachment is None:
            return text is not None
        if self.refuse_templates or attachment.get("type") != "template":
            return False
        buttons = attachment.get("payload", {}).get("buttons")
        return (isinstance(buttons, list) and 0 < len(buttons) <= MAX_BUTTONS and all(
            b.get("type") in BUTTON_TYPES and 0 < len(str(b.get("title") or "")) <= 100
            and (not str(b["type"]).startswith("oa.query.")
                 or (isinstance(b.get("payload"), str) and len(b["payload"]) <= 1000))
            for b in buttons))

    async def _message(self, request: web.Request) -> web.Response:
        failure = self._failure(MESSAGE_PATH)
        if failure is not None:
            return failure
        token = request.headers.get("access_token", "")
        body = await request.json()
        if token not in self.valid_access:
            return self._refuse(body, -216)
        recipient = body["recipient"]
        user_id = str(recipient["user_id"])
        message = body["message"]
        if user_id in self.outside_window:
            return self._refuse(body, -230)
        if not self._shape_ok(message) or (self.refuse_message_ids
                                           and "message_id" in recipient):
            return self._refuse(body, -201)
        if self.hold:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self.hold)
        reply_to = recipient.get("message_id")
        sent = Sent(user_id, message, token, str(reply_to) if reply_to else None)
        if self.on_send is not None:
            await self.on_send(sent)
        self.sent.append(sent)
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"message_id": f"m{next(self._ids)}",
                                           "user_id": user_id}})

    async def _profile(self, request: web.Request) -> web.Response:
        if request.headers.get("access_token", "") not in self.valid_access:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        return web.json_response({"error": 0, "message": "Success", "data": {
            "oaid": OA_ID, "name": "Phocap OA", "description": "", "oa_alias": "phocap",
            "is_verified": True, "oa_type": 4, "cate_name": "", "num_follower": 12,
            "avatar": "", "cover": "", "package_name": "", "package_valid_through_date": "",
            "package_auto_renew_date": "", "linked_zca": False}})

    async def _oauth(self, request: web.Request) -> web.Response:
        failure = self._failure(OAUTH_PATH)
        if failure is not None:
            return failure
        form = await request.post()
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return web.json_response({"error": -14002, "error_name": "Invalid app"})
        if form.get("grant_type") != "refresh_token":
            return web.json_response({"error": -14003, "error_name": "Invalid grant type"})
        refresh = str(form.get("refresh_token") or "")
        self.refresh_calls.append(refresh)
        if self.oauth_delay:
            await asyncio.sleep(self.oauth_delay)
        if refresh not in self.unspent_refresh:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        self.unspent_refresh.discard(refresh)  # a refresh token works once
        n = next(self._ids)
        access, fresh = f"AT-{n}", f"RT-{n}"
        self.valid_access.add(access)
        self.unspent_refresh.add(fresh)
        return web.json_response(
            {"access_token": access, "refresh_token": fresh, "expires_in": "90000"})


def sign(body: bytes, timestamp: str, app_id: str = APP_ID, secret: str = OA_SECRET) -> str:
    mac = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode())
    return "mac=" + mac.hexdigest()


_msg_ids = itertools.count(1)


def event(name: str, user_id: str, text: str | None = None, **extra: Any) -> Params:
    """An OA webhook event as Zalo sends it (ids as strings, timestamp in ms as a string)."""
    body: Params = {
        "app_id": APP_ID,
        "event_name": name,
        "timestamp": str(int(time.time() * 1000) + next(_msg_ids)),
        "user_id_by_app": "8" + user_id,
        **extra,
    }
    if name == "follow":
        body["follower"] = {"id": user_id}
        body["oa_id"] = "1000000000000000001"
    else:
        body["sender"] = {"id": user_id}
        body["recipient"] = {"id": "1000000000000000001"}
        body["message"] = {"msg_id": f"oa-msg-{next(_msg_ids)}"}
        if text is not None:
            body["message"]["text"] = text
    return body


async def post_event(base_url: str, payload: Params | bytes, signature: str | None = "auto",
                     path: str = "/webhook/zalo-oa") -> int:
    """Deliver an event to our webhook, signed as Zalo would (or with the given header)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        assert isinstance(payload, dict)
        signature = sign(body, str(payload["timestamp"]))
    if signature is not None:
        headers["X-ZEvent-Signature"] = signature
    async with aiohttp.ClientSession() as session, session.post(
            base_url + path, data=body, headers=headers) as response:
        return response.status


async def post_check(base_url: str, body: bytes = b"{}", path: str = "/webhook/zalo-oa") -> int:
    """The unsigned POST a console check may send when a webhook URL is saved (not documented
    for the OA console: assumed, as the notes say, to carry no signature and no event)."""
    async with aiohttp.ClientSession() as session, session.post(
            base_url + path, data=body, headers={"Content-Type": "application/json"}
    ) as response:
        return response.status
