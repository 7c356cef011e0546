"""/stop: a donor asks for no more reminders of pledges not yet received."""

from __future__ import annotations

from core.messages import Reply
from core.services.reminders import stop_reminders
from handlers import menu
from handlers.dialog import Turn


async def stop_command(turn: Turn, _arg: str) -> list[Reply]:
    """Typed, or pressed on a reminder: remembered for the chat, said once."""
    first = await stop_reminders(turn.uow, turn.chat, turn.now)
    return [Reply("pledge-reminders-stopped" if first else "pledge-reminders-already-stopped"),
            menu.for_turn(turn)]
