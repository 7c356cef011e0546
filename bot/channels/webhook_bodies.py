"""What a webhook's body may be: bounded in size, a JSON object, never trusted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

MAX_BODY: Final = 1024 * 1024


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


def as_object(value: object) -> Mapping[str, Any]:
    """A JSON object, or an empty one for anything else: bodies are not to be trusted."""
    return value if isinstance(value, dict) else {}
