"""'phocap invite' as an official runs it, and the code it prints linking a chat."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.codes import looks_like_code
from core.i18n import load_catalogue
from handlers.setup import build_dispatcher
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.handlers.harness import ChatUser

ROOT = Path(__file__).resolve().parents[2]


def phocap(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PHOCAP_LOCALE"}
    environ |= {"PHOCAP_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/p.db",
                "PHOCAP_CONFIG": str(folder / "none.toml"), **env}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("invite")
    result = phocap(folder, "init")
    assert result.returncode == 0, result.stderr
    return folder


async def test_printed_code_links_a_chat_as_village_head(initialised: Path) -> None:
    # the village by its name typed without diacritics ("Na Dam" is N\u00e0 D\u0103m)
    result = phocap(initialised, "invite", "--role", "village_head", "--unit", "na dam",
                    "--name", "ma van long", PHOCAP_LOCALE="en")
    assert result.returncode == 0, result.stderr
    *before, code = result.stdout.strip().splitlines()
    assert looks_like_code(code)
    assert "Ma Van Long (village head, N\u00e0 D\u0103m), valid until" in before[-1]
    engine = make_engine(f"sqlite+aiosqlite:///{initialised}/p.db")
    try:
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        dispatcher = build_dispatcher(uow, load_catalogue(), "2023",
                                      ZoneInfo("Asia/Ho_Chi_Minh"))
        user = ChatUser(dispatcher, chat_id="new-head")
        assert await user.say(f"/start {code}") == ["link-done", "menu-village_head"]
        assert await user.say("/register") == ["registration-ask-household"]
        again = ChatUser(dispatcher, chat_id="someone-else")
        assert await again.say(f"/start {code}") == ["link-code-used"]
    finally:
        await engine.dispose()


def test_commune_invite_by_code_and_unknown_unit_refused(initialised: Path) -> None:
    ok = phocap(initialised, "invite", "--role", "commune", "--unit", "02173",
                "--name", "Luong Thi Hanh")
    assert ok.returncode == 0, ok.stderr
    assert looks_like_code(ok.stdout.strip().splitlines()[-1])
    # a village code where a commune is needed is not found at that level
    wrong = phocap(initialised, "invite", "--role", "commune", "--unit", "02173-01",
                   "--name", "Luong Thi Hanh", PHOCAP_LOCALE="en")
    assert wrong.returncode == 1
    assert "02173-01" in wrong.stderr and wrong.stdout == ""
