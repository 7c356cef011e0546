"""'phocap allocate' on the demo data: an order a reader can check, written only on --commit."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from pathlib import Path

import pytest
from sqlalchemy import update

from core.services import posting
from storage.db import make_engine, make_sessionmaker
from storage.models import PostingRow
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_cli import demo_copy, phocap
from tests.conftest import SYSTEM


@pytest.fixture(scope="module")
def stocked(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo population, and the province holding 25 phones and 9,000,000 d."""
    path = demo_copy(demo_template, tmp_path_factory.mktemp("allocate"))
    got = phocap(path, "receive", "--unit", "06", "--donor", "Viettel", "--phones", "25",
                 "--model", "Nokia C32", "--money", "9000000")
    assert got.returncode == 0, got.stderr
    return path


def plan(path: Path) -> dict[str, object]:
    result = phocap(path, "allocate", "--json", "--on", "2023-10-02")
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_the_json_lists_every_commune_in_the_order_of_the_plan(stocked: Path) -> None:
    data = plan(stocked)
    province = data["province"]
    assert isinstance(province, dict) and province["code"] == "06"
    assert province["phones"]["available"] == 25 and province["money"]["available"] == 9_000_000
    communes = data["communes"]
    assert isinstance(communes, list) and len(communes) == 8
    whole = partial = 0
    for commune in communes:
        queues = {queue: list(lines)
                  for queue, lines in groupby(commune["entries"], key=lambda e: e["queue"])}
        assert list(queues) == ["whole", "partial"][:len(queues)]  # phones first, once each
        for queue, lines in queues.items():
            # one queue, listed in full: positions 1..n, tiers never going back up, served
            # ones first; the order can be redone from the facts each line carries
            assert [e["position"] for e in lines] == list(range(1, len(lines) + 1)), queue
            assert {e["of_total"] for e in lines} == {len(lines)}
            assert [e["tier"] for e in lines] == sorted(e["tier"] for e in lines)
            waits = [e["waiting"] for e in lines]
            assert waits == sorted(waits)
            assert sum(not w for w in waits) <= commune["stock"][queue]
            assert lines == sorted(lines, key=lambda e: (
                e["tier"], e["household"] != "none", e["approved_at"] is None,
                e["approved_at"] or "", e["resident_id"]))
        # each waiting person stands in each queue they may be served from
        money = {e["resident_id"] for e in queues.get("partial", [])}
        assert money == {e["resident_id"] for e in queues.get("whole", []) if e["waiting"]}
        for e in commune["entries"]:
            assert e["explanation"].startswith("Nh\u00f3m ")
            place = f"th\u1ee9 {e['position']} trong {e['of_total']} ng\u01b0\u1eddi ch\u1edd "
            assert place in e["explanation"]
            assert ("m\u00e1y" if e["queue"] == "whole" else "kinh ph\u00ed") in (
                e["explanation"].split(place)[1][:40])
            assert ("ch\u01b0a \u0111\u1ebfn l\u01b0\u1ee3t" in e["explanation"]) == e["waiting"]
        whole += sum(e["support"] == "whole" for e in commune["entries"])
        partial += sum(e["support"] == "partial" for e in commune["entries"])
    # the province's 25 phones and 9.000.000 d, and the demo's receipts at xa Con Minh (one
    # from each source, bot/data/demo-programme.json): 1 phone and 4.500.000 d
    assert whole == 25 + 1 and partial == (9_000_000 + 4_500_000) // 500_000
    moved = sum(t["phones"] for t in data["transfers"])  # type: ignore[union-attr]
    assert moved == 25


def test_a_preview_writes_nothing_and_a_commit_writes_once(stocked: Path) -> None:
    first, second = plan(stocked), plan(stocked)
    assert first["fingerprint"] == second["fingerprint"]  # nothing changed in between
    stale = phocap(stocked, "allocate", "--commit", "--fingerprint", "0" * 64,
                   "--on", "2023-10-02", PHOCAP_LOCALE="en")
    assert stale.returncode == 1 and "changed" in stale.stderr
    done = phocap(stocked, "allocate", "--commit", "--fingerprint", str(first["fingerprint"]),
                  "--on", "2023-10-02", PHOCAP_LOCALE="en")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Allocation plan 1 recorded:")
    again = phocap(stocked, "allocate", "--commit", "--on", "2023-10-02", PHOCAP_LOCALE="en")
    assert again.returncode == 1 and "Nothing to allocate" in again.stderr
    assert phocap(stocked, "ledger", "verify").returncode == 0


def test_the_province_commits_its_distribution_and_a_commune_its_own_list(
        demo_template: Path, tmp_path: Path) -> None:
    """--unit commits one unit's part (issue 14): the province's 25 phones and 9,000,000 d go
    to communes with nobody named; then xa Con Minh commits its list from what it now holds."""
    path = demo_copy(demo_template, tmp_path)
    got = phocap(path, "receive", "--unit", "06", "--donor", "Viettel", "--phones", "25",
                 "--model", "Nokia C32", "--money", "9000000")
    assert got.returncode == 0, got.stderr
    whole_plan = plan(path)
    ran = phocap(path, "allocate", "--commit", "--json", "--unit", "06", "--on", "2023-10-02")
    assert ran.returncode == 0, ran.stderr
    distribution = json.loads(ran.stdout)
    assert distribution["committed"]["whole"] == distribution["committed"]["partial"] == 0
    moved = [t for t in whole_plan["transfers"] if t["from"] == "06"]  # type: ignore[union-attr]
    assert distribution["committed"]["transfers"] == len(moved) > 0
    [con_minh] = [c for c in whole_plan["communes"]  # type: ignore[union-attr]
                  if c["code"] == "02173"]
    planned = [(e["resident_id"], e["support"]) for e in con_minh["entries"] if not e["waiting"]]
    # the list is posted first (issue 18): refused while its period runs, committed after
    post(path, "02173", datetime.now(UTC))
    early = phocap(path, "allocate", "--commit", "--unit", "Con Minh", "--on", "2023-10-02",
                   PHOCAP_LOCALE="en")
    assert early.returncode == 1 and "posted for objections until" in early.stderr
    post(path, "02173", datetime.now(UTC) - timedelta(days=8), again=True)
    ran = phocap(path, "allocate", "--commit", "--json", "--unit", "Con Minh",
                 "--on", "2023-10-02")
    assert ran.returncode == 0, ran.stderr
    mine = json.loads(ran.stdout)
    # the list as the whole plan had it: the distribution sent what the plan meant to send
    assert mine["committed"]["transfers"] == 0
    assert mine["committed"]["whole"] + mine["committed"]["partial"] == len(planned) > 0
    again = phocap(path, "allocate", "--commit", "--unit", "02173", "--on", "2023-10-02",
                   PHOCAP_LOCALE="en")
    assert again.returncode == 1 and "Nothing to allocate" in again.stderr
    assert phocap(path, "ledger", "verify").returncode == 0


def post(path: Path, commune: str, at: datetime, again: bool = False) -> None:
    """Post the commune's list at `at` (again: its posting moved back to `at`, as if posted
    then), as the admin does; the CLI has no posting command."""
    async def run() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}/p.db")
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        try:
            async with uow() as u:
                unit = await u.units.by_code("2023", commune)
                assert unit is not None
                current = await u.postings.current(unit.id)
                if again and current is not None:
                    await u.session.execute(update(PostingRow).where(
                        PostingRow.id == current.id).values(
                        opened_at=at, closes_at=at + timedelta(days=7)))
                else:
                    await posting.open_posting(u, SYSTEM, unit, date(2023, 10, 2), at)
                await u.commit()
        finally:
            await engine.dispose()
    asyncio.run(run())
