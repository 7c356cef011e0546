"""The contract between channels and conversations: what came in, what goes out."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Channel(enum.StrEnum):
    WEB = "web"
    TELEGRAM = "telegram"
    ZALO = "zalo"  # Zalo Bot Platform
    ZALO_OA = "zalo_oa"  # Zalo Official Account


class Kind(enum.StrEnum):
    TEXT = "text"  # typed text (or a command such as /start)
    CHOICE = "choice"  # a button pressed: Inbound.choice holds its value
    UNSUPPORTED = "unsupported"  # a sticker, photo, voice note, file ...
    GROUP = "group"  # anything said in a group chat: we only talk one to one


@dataclass(frozen=True, slots=True)
class Inbound:
    channel: Channel
    chat_id: str
    text: str | None = None
    choice: str | None = None  # callback data of a pressed button
    update_id: str | None = None  # the channel's id of this update, for replay protection
    user_id: str | None = None
    display_name: str | None = None
    locale: str | None = None  # the language the client reports, if any
    kind: Kind = Kind.TEXT
    # where the message came from when the chat id does not say it (the platform does not
    # vouch for it): the web chat's client address; counts wrong invite codes per source
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Option:
    """One answer offered as a button; typed, its label or its number is accepted too."""

    value: str  # ASCII, under 64 bytes: Telegram's callback data limit
    key: str = ""  # catalogue key of the label ...
    label: str = ""  # ... or a literal label (a village's or a household's name)
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reply:
    key: str  # catalogue key, never a sentence
    params: Mapping[str, object] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    qr: str | None = None  # a payload to show as a QR code (handover confirmation)


def reply_to_dict(reply: Reply) -> dict[str, object]:
    """A JSON-ready form of a reply, to keep beside the update it answered."""
    return {
        "key": reply.key,
        "params": dict(reply.params),
        "options": [
            {"value": o.value, "key": o.key, "label": o.label, "params": dict(o.params)}
            for o in reply.options
        ],
        "qr": reply.qr,
    }


def reply_from_dict(data: Mapping[str, object]) -> Reply:
    options = data.get("options") or []
    assert isinstance(options, list)
    params = data.get("params") or {}
    assert isinstance(params, dict)
    qr = data.get("qr")
    return Reply(
        key=str(data["key"]),
        params=params,
        options=tuple(
            Option(value=str(o["value"]), key=str(o.get("key", "")),
                   label=str(o.get("label", "")), params=dict(o.get("params") or {}))
            for o in options
        ),
        qr=str(qr) if qr else None,
    )


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most limit characters, cut at a line break or a space, never in a word."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:  # one word longer than the limit: no choice but to cut it
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces
