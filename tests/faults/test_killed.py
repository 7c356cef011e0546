"""A `phocap run` process killed (SIGKILL) in the middle of a registration, and right after
the confirming message was answered: after a restart the dialog carries on at the same
question, the resident is saved once, and the same message delivered again changes nothing.
Both databases: SQLite's file and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from storage.db import make_engine
from tests.bot.test_cli import free_port
from tests.journeys.common import CATALOGUE, ROOT, seed

TOKEN = "0123456789abcdef0123456789abcdef"  # the web chat's per-browser token
NAME, BORN, CCCD = "Ho\u00e0ng V\u0103n Th\u00e0o", "14/02/1975", "006075000123"


class Server:
    """`phocap run` in a subprocess, on one database; kill() is SIGKILL, no goodbye."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.port = free_port()
        self.log = tmp_path / "phocap-run.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
        self.env = {**env, "PHOCAP_DATABASE_URL": url, "PHOCAP_PORT": str(self.port),
                    "PHOCAP_CONFIG": str(tmp_path / "none.toml"), "PYTHONPATH": str(ROOT)}
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT,
                                     env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=self.log.open("ab"))

    def start(self) -> None:
        self.spawn()
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("phocap run did not come up")

    async def up(self) -> None:
        """start() for a test whose event loop serves a fake the process talks to."""
        self.spawn()
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                try:
                    if (await http.get(f"http://127.0.0.1:{self.port}/healthz")).status_code \
                            == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("phocap run did not come up")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def say(self, message_id: str, **fields: str) -> list[str]:
        body = {"chat": TOKEN, "id": message_id, "lang": "en", **fields}
        answer = httpx.post(f"http://127.0.0.1:{self.port}/chat/api/messages", json=body,
                            timeout=30)
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return [m["text"] for m in data["messages"]]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        found: str = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
        subprocess.run([sys.executable, "-m", "bot", "init"], cwd=ROOT, check=True,
                       capture_output=True, env={**os.environ, "PHOCAP_DATABASE_URL": found,
                                                 "PHOCAP_CONFIG": str(tmp_path / "n.toml")})
    else:
        found = request.getfixturevalue("pg_url")
    return found


@pytest.fixture
def server(url: str, tmp_path: Path) -> Iterator[Server]:
    code = asyncio.run(seed(url)).invite
    s = Server(url, tmp_path)
    s.env["INVITE"] = code
    s.start()
    yield s
    if s.proc is not None and s.proc.poll() is None:
        s.kill()


def en(key: str, **params: object) -> str:
    return CATALOGUE.text(key, "en", **params)


def residents(url: str) -> list[tuple[str, str]]:
    """What the database holds, read afresh."""
    async def read() -> list[tuple[str, str]]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(text("SELECT full_name, citizen_id FROM residents"))
                return [(r[0], r[1]) for r in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_a_registration_survives_being_killed_and_is_saved_once(server: Server, url: str
                                                               ) -> None:
    s = server
    assert s.say("m1", text=s.env["INVITE"])  # linked as the village head
    s.say("m2", choice="cmd:register")
    s.say("m3", choice="new")
    s.say("m4", choice="skip")  # no household code
    s.say("m5", text=NAME)  # the head's name
    s.say("m6", text="1")  # poor
    s.say("m7", text="3")  # neither policy class
    s.say("m8", choice="no")  # nobody has a smartphone
    asked = s.say("m9", text=NAME)
    assert asked == [en("registration-ask-date-of-birth")]
    s.kill()  # between two answers
    s.start()
    assert s.say("m10", text=BORN) == [en("registration-ask-citizen-id")]  # same dialog
    s.say("m11", text=CCCD)
    s.say("m12", choice="no")  # no smartphone
    s.say("m13", choice="skip")  # no phone number
    s.say("m14", choice="yes")  # consent
    saved = s.say("m15", choice="confirm")
    s.kill()  # right after the answer: the resident was committed with it
    s.start()
    again = s.say("m15", choice="confirm")  # the browser sends it again
    assert again == saved  # a replay: the first answer shown again, nothing done again
    assert residents(url) == [(NAME, CCCD)]


def test_citizen_ids_never_reach_the_log_even_at_debug(url: str, tmp_path: Path) -> None:
    """A registration with a wrong, then a right citizen ID, the service logging everything."""
    code = asyncio.run(seed(url)).invite
    s = Server(url, tmp_path)
    s.env["PHOCAP_LOG_LEVEL"] = "DEBUG"
    s.start()
    try:
        s.say("m1", text=code)
        for n, answer in enumerate(("cmd:register", "new", "skip"), start=2):
            s.say(f"m{n}", choice=answer)
        for n, typed in enumerate((NAME, "1", "3"), start=5):
            s.say(f"m{n}", text=typed)
        s.say("m8", choice="no")
        s.say("m9", text=NAME)
        s.say("m10", text=BORN)
        refused = s.say("m11", text="006 076 000 123")  # the year digits say 1976
        assert refused[-1] == en("registration-ask-citizen-id")
        s.say("m12", text=CCCD)
    finally:
        s.kill()
    logged = s.log.read_text(encoding="utf-8", errors="replace")
    assert "level=debug" in logged  # the log was on, and said a lot
    for shown in (CCCD, "006 076 000 123", "006076000123"):
        assert shown not in logged
