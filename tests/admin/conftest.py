"""An admin app on a migrated database with units, officials of each role and residents."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from admin.appkeys import CLOCK, IMPORT_DIR
from admin.passwords import hash_password
from bot import seed
from bot.runtime import Runtime, open_runtime
from bot.server import make_app
from bot.settings import load_settings
from core.model import Level, Policy, Poverty, Role, Unit
from core.services import registry
from core.services.officials import add_official
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM

PASSWORD = "mat-khau-dung-1"
START = datetime(2023, 9, 12, 2, 30, tzinfo=UTC)
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class World:
    """Who and what the tests act on. 'own' is inside every test official's unit;
    'sibling' is in another commune of the same province; 'foreign' in another province."""

    units: dict[str, Unit]
    logins: dict[str, str]  # role name -> login
    residents: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)
    chats: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)  # whose -> an API token's id


async def _unit(uow: SqlUnitOfWorkFactory, dataset: str, code: str) -> Unit:
    async with uow() as u:
        found = await u.units.by_code(dataset, code)
    assert found is not None
    return found


async def _village_of(uow: SqlUnitOfWorkFactory, commune: Unit, name: str | None = None) -> Unit:
    async with uow() as u:
        kids = [k for k in await u.units.children(commune.id) if k.level is Level.VILLAGE]
    return next(k for k in kids if name is None or k.name.endswith(name))


async def add_person(
    uow: SqlUnitOfWorkFactory, village: Unit, name: str, born: date, code: str,
    poverty: Poverty = Poverty.POOR,
) -> tuple[int, int]:
    async with uow() as u:
        h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(
            village_id=village.id, head_name=name, poverty=poverty, policy=Policy.NONE,
            has_smartphone=False, code=code), START)
        r = await registry.register_resident(u, SYSTEM, h.id, registry.ResidentForm(
            full_name=name, date_of_birth=born, has_smartphone=False), START, START.date())
        await u.commit()
    return r.id, h.id


async def build_world(rt: Runtime) -> World:
    uow = rt.uow
    async with uow() as u:
        await seed.load_default_units(u, SYSTEM, START)
        await u.commit()
    province = await _unit(uow, "2023", "06")
    commune = await _unit(uow, "2023", "02173")  # xa Con Minh
    sibling = await _unit(uow, "2023", "02071")  # xa Nghia Ta
    foreign_commune = await _unit(uow, "2025", "02185")
    village = await _village_of(uow, commune, "D\u0103m")  # Na Dam
    units = {"province": province, "commune": commune, "village": village,
             "sibling": sibling, "sibling_village": await _village_of(uow, sibling),
             "foreign": foreign_commune, "foreign_village": await _village_of(uow, foreign_commune)}
    logins = {"province": "tinh", "commune": "xa", "village_head": "thon", "sibling": "xa2"}
    hashed = hash_password(PASSWORD)
    async with uow() as u:
        for role, unit, login in ((Role.PROVINCE, province, "tinh"),
                                  (Role.COMMUNE, commune, "xa"),
                                  (Role.VILLAGE_HEAD, village, "thon"),
                                  (Role.COMMUNE, sibling, "xa2")):
            await add_official(u, SYSTEM, f"Can Bo {login.rstrip('2').title()}", role, unit.id,
                               START, login=login, password_hash=hashed)
        outsider = await add_official(u, SYSTEM, "Can Bo Ngoai", Role.COMMUNE,
                                      foreign_commune.id, START)
        await u.commit()
    world = World(units, logins)
    async with uow() as u:  # an API token of the sibling commune's officer, made last
        sibling_officer = await u.officials.by_login("xa2")
        assert sibling_officer is not None
        added = await u.accounts.add_token(sibling_officer.id, "0" * 64, "xa2", START)
        world.tokens["sibling"] = added.id
        await u.commit()
    async with uow() as u:  # a linked chat for the village head, and one elsewhere
        village_head = await u.officials.by_login("thon")
        assert village_head is not None
        for key, official_id in (("own", village_head.id), ("foreign", outsider.id)):
            chat = await u.chats.get_or_create("web", f"chat-{key}", START)
            chat.official_id = official_id
            await u.chats.save(chat)
            world.chats[key] = chat.id
        await u.commit()
    people = {
        "own": (village, "N\u00f4ng V\u0103n An", "HX-001"),
        "own2": (village, "L\u00f2 Th\u1ecb B\u00ecnh", "HX-002"),
        "sibling": (units["sibling_village"], "Ho\u00e0ng V\u0103n C\u01b0\u1eddng", "HX-003"),
        "foreign": (units["foreign_village"], "Tri\u1ec7u Th\u1ecb Dung", "HX-004"),
    }
    for i, (key, (where, name, code)) in enumerate(people.items()):
        world.residents[key], world.households[key] = await add_person(
            uow, where, name, date(1970 + i, 3, 1), code)
    return world


@dataclass
class Admin:
    client: TestClient
    clock: Clock
    world: World
    runtime: Runtime
    import_dir: Path

    async def csrf(self, path: str = "/admin/account") -> str:
        page = await self.client.get(path)
        found = CSRF.search(await page.text())
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    async def login(self, who: str, password: str = PASSWORD) -> ClientResponse:
        token = await self.csrf("/admin/login")
        return await self.client.post("/admin/login", data={
            "login": self.world.logins.get(who, who), "password": password, "_csrf": token},
            allow_redirects=False)

    async def post(self, path: str, data: dict[str, object] | None = None,
                   token: str | None = None, **kw: object) -> ClientResponse:
        form = dict(data or {})
        form["_csrf"] = token if token is not None else await self.csrf()
        return await self.client.post(path, data=form, allow_redirects=False, **kw)

    async def logout(self) -> None:
        await self.post("/admin/logout")


@pytest.fixture
def admin_env() -> dict[str, str]:
    """More PHOCAP_* settings for the admin app; a test parametrizes it to change them."""
    return {}


@pytest.fixture
async def admin(database_url: str, tmp_path: Path, admin_env: dict[str, str]
                ) -> AsyncIterator[Admin]:
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url, **admin_env},
                             toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as rt:
        world = await build_world(rt)
        app = make_app(rt)
        clock = Clock(START)
        app[CLOCK] = clock
        app[IMPORT_DIR] = tmp_path / "imports"
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield Admin(client, clock, world, rt, tmp_path / "imports")
