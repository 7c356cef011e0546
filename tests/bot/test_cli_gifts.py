"""'phocap gift' through the real command: by citizen ID or record id, refused with a message."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_cli_receiving import TEXTS, env, phocap, seed

__all__ = ["env"]  # the fixture: a fresh database with the shipped units
CITIZEN_ID = "006070001234"  # the seeded resident's


async def support_of(url: str, citizen_id: str) -> tuple[str, str | None, str | None] | None:
    engine = make_engine(url)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
            resident = await u.residents.by_citizen_id(citizen_id)
            assert resident is not None
            s = await u.supports.active_for(resident.id)
            return (s.kind.value, s.giver, s.note) if s else None
    finally:
        await engine.dispose()


def test_a_direct_gift_by_citizen_id(env: dict[str, str], tmp_path: Path) -> None:
    asyncio.run(seed(env["PHOCAP_DATABASE_URL"]))
    wrong = phocap(env, tmp_path, "gift", "--resident", "006099999999", "--kind", "direct",
                   "--giver", "UBND xa")
    assert wrong.returncode == 1
    assert TEXTS.text("gifts-resident-unknown", "vi") in wrong.stderr
    assert "006099999999" not in wrong.stderr + wrong.stdout  # no citizen ID said back
    no_giver = phocap(env, tmp_path, "gift", "--resident", CITIZEN_ID, "--kind", "direct")
    assert no_giver.returncode == 1
    assert TEXTS.text("gifts-giver-missing", "vi") in no_giver.stderr
    assert asyncio.run(support_of(env["PHOCAP_DATABASE_URL"], CITIZEN_ID)) is None

    done = phocap(env, tmp_path, "gift", "--resident", CITIZEN_ID, "--kind", "direct",
                  "--giver", "Hoi Chu thap do", "--what", "Samsung A05")
    assert done.returncode == 0, done.stderr
    assert "Hoang Van An" in done.stdout and CITIZEN_ID not in done.stdout
    assert asyncio.run(support_of(env["PHOCAP_DATABASE_URL"], CITIZEN_ID)) == (
        "direct_gift", "Hoi Chu thap do", "Samsung A05")
    twice = phocap(env, tmp_path, "gift", "--resident", CITIZEN_ID, "--kind", "offer",
                   "--giver", "FPT Shop")
    assert twice.returncode == 1  # one person, one support
    assert TEXTS.text("support-already-served", "vi") in twice.stderr


async def sources(url: str) -> list[tuple[str, str | None]]:
    engine = make_engine(url)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
            found = []
            for number in ("BN-A", "BN-B"):
                receipt = await u.receipts.by_number(number)
                found.append((number, receipt.source.value if receipt and receipt.source
                              else None))
            return found
    finally:
        await engine.dispose()


def test_receive_records_the_source_of_a_receipt(env: dict[str, str], tmp_path: Path) -> None:
    done = phocap(env, tmp_path, "receive", "--unit", "06", "--money", "5tr", "--number",
                  "BN-A", "--source", "state_budget")
    assert done.returncode == 0, done.stderr
    plain = phocap(env, tmp_path, "receive", "--unit", "06", "--phones", "1", "--number",
                   "BN-B")
    assert plain.returncode == 0, plain.stderr
    wrong = phocap(env, tmp_path, "receive", "--unit", "06", "--phones", "1", "--source",
                   "lottery")
    assert wrong.returncode == 2  # argparse names the choices
    assert asyncio.run(sources(env["PHOCAP_DATABASE_URL"])) == [
        ("BN-A", "state_budget"), ("BN-B", None)]
