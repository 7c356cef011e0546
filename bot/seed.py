"""The shipped data: units of 2023 and 2025, their mapping, the demo population."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from core.demo import demo_population, load_demo_names
from core.errors import RuleError
from core.model import Actor, Gender, Level, Policy, Poverty, Role, Unit
from core.ports import UnitOfWork
from core.services import registry
from core.services.linking import reissue_invite
from core.services.officials import add_official
from core.services.units import UnitImport, UnitRecord, import_mapping, import_units

DATA = resources.files("bot.data")
DEMO_DAY = date(2023, 9, 1)


def read_unit_file(path: Path | str | None = None, name: str = "units-2023.json") -> tuple[
    str, list[UnitRecord]
]:
    """A units file (JSON: {dataset, units: [...]}) as records; the shipped one by default."""
    raw = Path(path).read_text(encoding="utf-8") if path else (DATA / name).read_text("utf-8")
    data = json.loads(raw)
    return str(data["dataset"]), [_unit_record(u) for u in data["units"]]


def _unit_record(u: dict[str, Any]) -> UnitRecord:
    return UnitRecord(
        code=str(u["code"]),
        name=str(u["name"]),
        level=Level(u["level"]),
        parent=u.get("parent"),
        adults=u.get("adults"),
        households=u.get("households"),
        address=u.get("address"),
        sample=bool(u.get("sample", False)),
        pilot=bool(u["pilot"]) if "pilot" in u else None,
        no_signal=bool(u["no_signal"]) if "no_signal" in u else None,
    )


async def load_default_units(uow: UnitOfWork, actor: Actor, now: datetime) -> list[UnitImport]:
    """Both shipped datasets and the 2025 mapping; idempotent."""
    results = []
    for name in ("units-2023.json", "units-2025.json"):
        dataset, records = read_unit_file(name=name)
        results.append(await import_units(uow, actor, dataset, records, now))
    mapping = json.loads((DATA / "unit-mapping-2025.json").read_text("utf-8"))
    await import_mapping(
        uow,
        mapping["from_dataset"],
        mapping["to_dataset"],
        ((m["from"], m["to"]) for m in mapping["mapping"]),
    )
    return results


async def load_demo(uow: UnitOfWork, actor: Actor, dataset: str, now: datetime) -> int:
    """Register the deterministic demo population; most adults approved. Returns residents added."""
    villages = [u for u in await uow.units.all(dataset) if u.level is Level.VILLAGE]
    by_code = {u.code: u for u in villages}
    names = load_demo_names(DATA / "demo-names.json")
    households = demo_population(await _with_communes(uow, villages), names, today=DEMO_DAY)
    added = 0
    for n, demo in enumerate(households):
        place = by_code[demo.village_code]
        household = await registry.register_household(
            uow,
            actor,
            registry.HouseholdForm(
                village_id=place.id,
                code=demo.code,
                head_name=demo.head_name,
                poverty=Poverty(demo.poverty),
                policy=Policy(demo.policy),
                has_smartphone=any(p.has_smartphone for p in demo.members),
            ),
            now,
        )
        for i, person in enumerate(demo.members):
            added += await _add_demo_person(uow, actor, household.id, person, now, n + i)
    return added


async def _with_communes(uow: UnitOfWork, villages: Iterable[Unit]) -> list[tuple[str, str]]:
    """(commune code, village code) for each village, as the generator wants them."""
    pairs = []
    for v in villages:
        commune = await uow.units.get(v.parent_id or 0)
        assert commune is not None
        pairs.append((commune.code, v.code))
    return pairs


async def _add_demo_person(
    uow: UnitOfWork, actor: Actor, household_id: int, person: Any, now: datetime, n: int
) -> int:
    form = registry.ResidentForm(
        full_name=person.full_name,
        date_of_birth=person.date_of_birth,
        has_smartphone=person.has_smartphone,
        citizen_id=person.citizen_id,
        gender=Gender(person.gender),
        phone=person.phone,
    )
    try:
        resident = await registry.register_resident(uow, actor, household_id, form, now, DEMO_DAY)
    except RuleError:  # minors and the odd generated duplicate are not registered
        return 0
    if n % 10 != 9:  # one in ten stays waiting for the commune's approval
        await registry.approve(uow, actor, resident.id, now)
    return 1


DEMO_VILLAGE = "02173-01"  # Na Dam, xa Con Minh: the commune of the shipped sample list
DEMO_HEAD_LOGIN = "truongthon-demo"


async def demo_village_head(
    uow: UnitOfWork, actor: Actor, dataset: str, name: str, now: datetime
) -> tuple[str, Unit]:
    """A fresh invite code for the demo village head (created on first use), and the village."""
    village = await uow.units.by_code(dataset, DEMO_VILLAGE)
    if village is None:
        raise RuleError("units-not-found", text=DEMO_VILLAGE)
    head = await uow.officials.by_login(DEMO_HEAD_LOGIN)
    if head is None:
        head = await add_official(uow, actor, name, Role.VILLAGE_HEAD, village.id, now,
                                  login=DEMO_HEAD_LOGIN)
    return await reissue_invite(uow, actor, head, now), village
