"""`phocap allocate --commit` killed (SIGKILL) at random moments: the plan is recorded whole
or not at all, a second commit finishes the work once, and the ledger still holds."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bot.test_cli import demo_copy, phocap

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stocked(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = demo_copy(demo_template, tmp_path_factory.mktemp("killed-commit"))
    assert phocap(path, "receive", "--unit", "06", "--phones", "60", "--money",
                  "20000000").returncode == 0
    return path


def counts(db: Path) -> tuple[int, int, int, str]:
    with sqlite3.connect(db) as conn:
        plans = conn.execute("SELECT count(*), max(summary) FROM allocation_plans").fetchone()
        # the plan's supports (the demo's gifts were recorded before it)
        supports = conn.execute(
            "SELECT count(*) FROM supports WHERE plan_id IS NOT NULL").fetchone()[0]
        transfers = conn.execute("SELECT count(*) FROM transfers").fetchone()[0]
    return plans[0], supports, transfers, plans[1] or "{}"


@pytest.mark.parametrize("after", [0.8, 1.6, 2.4])
def test_a_killed_commit_leaves_all_or_nothing(stocked: Path, tmp_path: Path,
                                               after: float) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "p.db").write_bytes((stocked / "p.db").read_bytes())
    env = {"PHOCAP_DATABASE_URL": f"sqlite+aiosqlite:///{work}/p.db",
           "PHOCAP_CONFIG": str(work / "none.toml")}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "allocate", "--commit"], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    plans, supports, transfers, summary = counts(work / "p.db")
    if plans == 0:
        assert (supports, transfers) == (0, 0)  # nothing half-written
    else:
        recorded = json.loads(summary)
        assert supports == recorded["whole"] + recorded["partial"]
        assert transfers == recorded["transfers"]
    again = phocap(work, "allocate", "--commit", PHOCAP_LOCALE="en")
    assert again.returncode == (0 if plans == 0 else 1), again.stderr
    plans, supports, transfers, summary = counts(work / "p.db")
    assert plans == 1 and supports == json.loads(summary)["whole"] + \
        json.loads(summary)["partial"]
    assert phocap(work, "ledger", "verify").returncode == 0
