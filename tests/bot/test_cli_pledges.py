"""'phocap export pledges' through the real command, after pledges made in the chat."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from core.i18n import load_catalogue
from handlers.setup import build_dispatcher
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.handlers.harness import ChatUser, Clock

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
CON_MINH = "X\u00e3 C\u00f4n Minh"
FIELDS = {
    "code",
    "kind",
    "quantity",
    "amount",
    "commune",
    "donor_name",
    "status",
    "condition",
    "model",
    "offer",
    "commune_code",
    "created_at",
}


def phocap(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh SQLite database with the shipped units (init without --demo)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
    environ.update(
        PHOCAP_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        PHOCAP_CONFIG=str(tmp_path / "none.toml"),
        PHOCAP_ADMIN_PASSWORD="test-password-1",
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8",
    )
    done = phocap(environ, tmp_path, "init")
    assert done.returncode == 0, done.stderr
    return environ


async def pledge_in_chat(url: str) -> list[str]:
    """Two pledges through the dispatcher: phones for xa Con Minh, anonymous money anywhere."""
    engine = make_engine(url)
    try:
        dispatcher = build_dispatcher(
            SqlUnitOfWorkFactory(make_sessionmaker(engine)),
            load_catalogue(),
            "2023",
            ZoneInfo("Asia/Ho_Chi_Minh"),
            Clock(),
        )
        donor = ChatUser(dispatcher)
        codes = []
        for answers in (
            ["1", "5", "1", "Nokia C21", "con minh", "Shop Minh Anh", "1"],
            ["2", "2tr", "1", "1", "1"],
        ):
            await donor.say("/pledge")
            for typed in answers:
                await donor.say(typed)
            await donor.press("confirm")
            kind = "phones" if answers[0] == "1" else "money"
            codes.append(str(donor.param(f"pledge-done-{kind}", "code")))
        return codes
    finally:
        await engine.dispose()


def test_export_pledges_lists_what_was_pledged_in_the_chat(
    env: dict[str, str], tmp_path: Path
) -> None:
    phones, money = asyncio.run(pledge_in_chat(env["PHOCAP_DATABASE_URL"]))

    done = phocap(env, tmp_path, "export", "pledges", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["code"] for r in rows] == [phones, money]
    assert all(FIELDS <= set(r) for r in rows)
    first, second = rows
    assert (first["kind"], first["quantity"], first["condition"], first["model"]) == (
        "phones",
        5,
        "new",
        "Nokia C21",
    )
    assert (first["commune"], first["commune_code"], first["donor_name"]) == (
        CON_MINH,
        "02173",
        "Shop Minh Anh",
    )
    assert (first["amount"], first["status"]) == (None, "pledged")
    assert first["created_at"].startswith("2023-09-12T02:30:00")
    assert (second["kind"], second["amount"], second["commune"], second["donor_name"]) == (
        "money",
        2_000_000,
        None,
        None,
    )
    assert "contact" not in first  # the donor's phone number stays out of exports


def test_export_pledges_as_csv_and_xlsx(env: dict[str, str], tmp_path: Path) -> None:
    phones, _ = asyncio.run(pledge_in_chat(env["PHOCAP_DATABASE_URL"]))

    done = phocap(env, tmp_path, "export", "pledges", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff"))))
    assert rows[0]["code"] == phones and rows[0]["commune"] == CON_MINH

    target = tmp_path / "pledges.xlsx"
    done = phocap(env, tmp_path, "export", "pledges", "--format", "xlsx", "--out", str(target))
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(target).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 3  # the header and two pledges
    assert phones in values[1] and CON_MINH in values[1]
