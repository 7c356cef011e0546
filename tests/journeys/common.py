"""What the journey tests share: catalogue texts as patterns, a seeded database, the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.seed import load_default_units
from core.i18n import load_catalogue
from core.model import Role
from core.services.linking import create_invite
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM

CATALOGUE = load_catalogue()
ROOT = Path(__file__).resolve().parents[2]
VILLAGE = "02173-01"  # Na Dam, xa Con Minh
HEAD_NAME = "Ma V\u0103n Long"
CON_MINH = "X\u00e3 C\u00f4n Minh"
CON_MINH_IN_TEXT = "x\u00e3 C\u00f4n Minh"  # inside a sentence (issue 17, item 6)
TELEGRAM_LIMIT = 4096

# The two adults of the new household, as a village head types them, and as stored.
THAO = "ho\u00e0ng v\u0103n th\u00e0o"
THAO_STORED = "Ho\u00e0ng V\u0103n Th\u00e0o"
THAO_ID = "006075000123"  # born in Bac Kan, a man, 1975
MAI = "n\u00f4ng th\u1ecb mai"
MAI_STORED = "N\u00f4ng Th\u1ecb Mai"
MAI_ID = "006180000456"  # a woman, 1980

_MARK = "\x00{}\x00"


def pattern(key: str, locale: str = "vi", /, **known: object) -> re.Pattern[str]:
    """The catalogue text of key as a regex: the params given are filled in, every other
    field matches anything (and is captured under its own name)."""
    fields = CATALOGUE.fields(key, locale)
    assert fields or CATALOGUE.has(key), f"no catalogue text {key!r}"
    params: dict[str, object] = {n: _MARK.format(n) for n in fields}
    params.update(known)
    rendered = CATALOGUE.text(key, locale, **params)
    seen: set[str] = set()

    def group(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in seen:
            return f"(?P={name})"
        seen.add(name)
        return f"(?P<{name}>.*?)"

    regex = re.sub(r"\\x00(\w+)\\x00", group, re.escape(rendered).replace("\x00", "\\x00"))
    return re.compile(regex, re.DOTALL)


def match(key: str, text: str, locale: str = "vi", /, **known: object) -> dict[str, str]:
    """The free fields of key's text in text; fails naming the key and the text."""
    found = pattern(key, locale, **known).fullmatch(text)
    assert found is not None, f"expected the text of {key!r}, got:\n{text}"
    return found.groupdict()


def label(key: str, locale: str = "vi") -> str:
    return CATALOGUE.text(key, locale)


@dataclass(frozen=True)
class Seeded:
    invite: str  # the village head's invite code, as printed ("K7QF-M2XP")
    village_id: int


async def seed(database_url: str) -> Seeded:
    """The shipped units and an invite for the village head of Na Dam."""
    engine = make_engine(database_url)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    now = datetime.now(UTC)
    try:
        async with uow() as u:
            await load_default_units(u, SYSTEM, now)
            village = await u.units.by_code("2023", VILLAGE)
            assert village is not None
            _, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, village.id, HEAD_NAME, now)
            await u.commit()
    finally:
        await engine.dispose()
    return Seeded(code, village.id)


def export(database_url: str, tmp_path: Path, what: str) -> list[dict[str, Any]]:
    """`phocap export <what> --format json` in a subprocess on the same database."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
    environ.update(
        PHOCAP_DATABASE_URL=database_url,
        PHOCAP_CONFIG=str(tmp_path / "absent.toml"),
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", what, "--format", "json"],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert isinstance(rows, list)
    return rows
