"""What a running phocap holds: settings, the database, the catalogue. Built in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from core.i18n import Catalogue, load_catalogue
from core.ports import UnitOfWorkFactory
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    catalogue: Catalogue

    @property
    def locale(self) -> str:
        return self.settings.locale

    def text(self, key: str, /, **params: object) -> str:
        return self.catalogue.text(key, self.settings.locale, **params)


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    engine = make_engine(settings.database_url)
    try:
        yield Runtime(
            settings=settings,
            engine=engine,
            uow=SqlUnitOfWorkFactory(make_sessionmaker(engine)),
            catalogue=load_catalogue(),
        )
    finally:
        await engine.dispose()
