"""The one HTTP client of the channels: POST with retries over one shared aiohttp session.

The session is opened with the app (http_session_ctx, a cleanup_ctx) and handed to every
channel at start: one connection pool and one DNS cache for Telegram, Zalo and Zalo OA.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from aiohttp import web

CALL_TIMEOUT: Final = 15.0
# Concurrent calls over all channels; aiohttp's default of 100 would queue a busy Telegram
# behind itself (PTB's own default of 1 even more so).
CONNECTIONS: Final = 256

HTTP = web.AppKey("http", aiohttp.ClientSession)


async def http_session_ctx(app: web.Application) -> AsyncIterator[None]:
    """The shared session, open from before the channels start until after they stop."""
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=CONNECTIONS)
    ) as session:
        app[HTTP] = session
        yield


def setup_http(app: web.Application) -> None:
    """Call before any channel is set up: cleanup contexts start in order, end in reverse."""
    app.cleanup_ctx.append(http_session_ctx)


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
    parameters = body.get("parameters")
    if raw is None and isinstance(parameters, dict):
        raw = parameters.get("retry_after")
    try:
        return float(str(raw)) if raw is not None else None
    except ValueError:  # an HTTP date: rare; the exponential delay will do
        return None


async def post_once(
    session: aiohttp.ClientSession, url: str, seconds: float, **kwargs: Any
) -> Answer:
    return await call_once(session, "POST", url, seconds, **kwargs)


async def call_once(
    session: aiohttp.ClientSession, method: str, url: str, seconds: float, **kwargs: Any
) -> Answer:
    """One request (GET or POST); the answer's JSON object, or {} when it has none."""
    try:
        async with session.request(method, url, timeout=aiohttp.ClientTimeout(total=seconds),
                                   **kwargs) as response:
            try:
                parsed: object = await response.json(content_type=None)
            except ValueError:
                parsed = None
            body: Mapping[str, Any] = parsed if isinstance(parsed, dict) else {}
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
