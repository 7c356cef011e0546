"""Queueing notifications in the same transaction as the event they report.

The sender (bot/outbox.py) delivers them after commit, with retries; a dedupe key makes
sure one event is announced once, however often the code that reports it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.messages import Reply, reply_to_dict
from core.model import ChatState, OutboxMessage
from core.ports import UnitOfWork


async def enqueue(
    uow: UnitOfWork, chat: ChatState, reply: Reply, dedupe_key: str, now: datetime,
    default_locale: str = "vi",
) -> bool:
    """Queue a message to one chat; False if this dedupe key was queued before."""
    return await uow.outbox.add(_message(chat, reply, dedupe_key, now, default_locale))


async def enqueue_all(
    uow: UnitOfWork, messages: Sequence[tuple[ChatState, Reply, str]], now: datetime,
    default_locale: str = "vi",
) -> set[str]:
    """enqueue() for many (chat, reply, dedupe key) in one statement: what a monthly run
    sends to ten thousand officials. The dedupe keys queued."""
    return await uow.outbox.add_all([_message(chat, reply, key, now, default_locale)
                                     for chat, reply, key in messages])


def _message(chat: ChatState, reply: Reply, dedupe_key: str, now: datetime,
             default_locale: str) -> OutboxMessage:
    return OutboxMessage(
        id=0, channel=chat.channel, chat_id=chat.chat_id,
        locale=chat.locale or default_locale, reply=reply_to_dict(reply),
        dedupe_key=dedupe_key, created_at=now, not_before=now,
    )


async def notify_official(
    uow: UnitOfWork, official_id: int, reply: Reply, dedupe_key: str, now: datetime
) -> bool:
    """Queue a message to the chat the official used last (Telegram one day, Zalo the next)."""
    chats = await uow.chats.linked_to(official_id)
    if not chats:
        return False
    return await enqueue(uow, chats[0], reply, dedupe_key, now)


async def enqueue_replies(
    uow: UnitOfWork, channel: str, chat_id: str, locale: str, replies: Sequence[Reply],
    key: str, now: datetime,
) -> int:
    """Queue the answers to one update, in order, under dedupe keys `key:0`, `key:1` ...: an
    update handled twice (a crash between the dispatcher's commit and this one) queues them
    once. How many were new."""
    queued = 0
    for i, reply in enumerate(replies):
        message = OutboxMessage(
            id=0, channel=channel, chat_id=chat_id, locale=locale, reply=reply_to_dict(reply),
            dedupe_key=f"{key}:{i}"[:120], created_at=now, not_before=now)
        queued += await uow.outbox.add(message)
    return queued
