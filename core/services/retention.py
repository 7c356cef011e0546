"""How long personal data is kept, enforced (Decree 13/2023/ND-CP; README "Personal data").

One function does it all, at the time it is given: the scheduler's hourly tick calls it, and
so does `phocap retention` (tests pass their own clock). What it removes:

- replay records (processed updates) older than the replay window: after it, a platform no
  longer sends the same update again, and the web chat's page has long stopped asking;
- uploaded lists and their rejected-rows files older than the upload window: a preview not
  saved by then is abandoned (the save itself deletes its upload at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core.ports import UnitOfWorkFactory

REPLAYS = timedelta(days=1)  # PHOCAP_REPLAY_HOURS
UPLOADS = timedelta(hours=2)  # PHOCAP_UPLOAD_HOURS


@dataclass(frozen=True, slots=True)
class Retention:
    replays: timedelta = REPLAYS
    uploads: timedelta = UPLOADS


@dataclass(frozen=True, slots=True)
class Pruned:
    replays: int
    uploads: int


async def enforce_retention(
    uow: UnitOfWorkFactory, now: datetime, policy: Retention, uploads: Path | None = None
) -> Pruned:
    """Delete what is kept past its time; how many of each kind went."""
    async with uow() as u:
        replays = await u.chats.forget_updates(now - policy.replays)
        await u.commit()
    files = prune_uploads(uploads, now - policy.uploads) if uploads is not None else 0
    return Pruned(replays, files)


def prune_uploads(folder: Path, before: datetime) -> int:
    """Delete the files in the upload folder last written before this moment."""
    if not folder.is_dir():
        return 0
    cutoff = before.timestamp()
    gone = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            gone += 1
    return gone
