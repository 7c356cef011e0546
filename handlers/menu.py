"""What each kind of user is offered: the public (donors), village heads, officials."""

from __future__ import annotations

from core.messages import Option, Reply
from core.model import Role
from handlers.dialog import Turn

MENUS: dict[str, tuple[str, ...]] = {
    "public": ("pledge", "help", "lang"),
    "village_head": ("register", "list", "survey-done", "bought", "pledge", "help", "lang"),
    "official": ("handover", "pledge", "help", "lang"),
}


def audience(turn: Turn) -> str:
    if turn.role is None:
        return "public"
    return "village_head" if turn.role is Role.VILLAGE_HEAD else "official"


def for_turn(turn: Turn) -> Reply:
    """The menu as buttons; each is also a command that can be typed (/pledge)."""
    who = audience(turn)
    options = tuple(Option(value=f"cmd:{name}", key=f"menu-{name}") for name in MENUS[who])
    return Reply(f"menu-{who}", options=options)
