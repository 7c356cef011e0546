"""A first start ends with what its reader must not miss, framed: where to sign in, the login,
the password shown only this once (issue 16, item 8)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bot.cli.serve import framed
from core.i18n import load_catalogue
from tests.bot.test_cli import ROOT, free_port, phocap

PASSWORD = "mat-khau-chao-1"
TOP, BOTTOM, SIDE = "\u250c", "\u2514", "\u2502"


def test_framed_lines_make_one_box_of_equal_lines() -> None:
    box = framed(["ab", "", "c\u00f4n minh"]).splitlines()
    assert box[0] == TOP + "\u2500" * 10 + "\u2510"
    assert box[1] == SIDE + " ab       " + SIDE
    assert box[2] == SIDE + " " * 10 + SIDE
    assert box[3] == SIDE + " c\u00f4n minh " + SIDE
    assert box[4] == BOTTOM + "\u2500" * 10 + "\u2518"


def test_init_ends_with_the_password_in_a_box(tmp_path: Path) -> None:
    result = phocap(tmp_path, "init", PHOCAP_ADMIN_PASSWORD=PASSWORD, PHOCAP_LOCALE="en")
    assert result.returncode == 0
    lines = result.stdout.rstrip("\n").splitlines()
    assert lines[-1].startswith(BOTTOM)
    box = lines[next(i for i, line in enumerate(lines) if line.startswith(TOP)):]
    assert len({len(line) for line in box}) == 1  # a closed frame
    text = load_catalogue().text
    assert box[1:-1] == [SIDE + " " + line.ljust(len(box[0]) - 4) + " " + SIDE for line in (
        text("cli-welcome-admin", "en", url="http://127.0.0.1:8080/admin"),
        text("cli-welcome-login", "en", login="admin"),
        text("cli-welcome-password", "en", password=PASSWORD))]
    again = phocap(tmp_path, "init", PHOCAP_LOCALE="en")  # the password is not shown twice
    assert PASSWORD not in again.stdout
    assert text("cli-welcome-password-kept", "en") in again.stdout


def test_run_init_prints_the_box_after_the_servers_and_schedulers_lines(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PHOCAP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/p.db",
           "PHOCAP_PORT": str(port), "PHOCAP_CONFIG": str(tmp_path / "none.toml"),
           "PHOCAP_ADMIN_PASSWORD": PASSWORD, "PHOCAP_LOCALE": "en"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--init"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 170
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith(BOTTOM):
                break
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert lines and lines[-1].startswith(BOTTOM), lines
    top = next(i for i, line in enumerate(lines) if line.startswith(TOP))
    before = "\n".join(lines[:top])
    assert f"http://127.0.0.1:{port}" in before  # the server's line came first
    assert "Scheduler started" in before and "executed successfully" in before
    assert any(PASSWORD in line for line in lines[top:])
    assert PASSWORD not in before
