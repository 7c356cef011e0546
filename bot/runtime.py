"""What a running phocap holds: settings, the database, the catalogue. Built in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from core.i18n import Catalogue, load_catalogue
from core.ports import UnitOfWorkFactory
from core.services.retention import Retention
from documents.spreadsheets import ReadLimits
from documents.table_reader import ReaderLimits, TableReader
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


def make_table_reader(settings: Settings) -> TableReader:
    """The worker that reads uploaded and imported lists, within the settings' limits."""
    return TableReader(ReaderLimits(
        seconds=settings.import_seconds, memory_mb=settings.import_memory_mb,
        table=ReadLimits(settings.import_max_rows, settings.import_max_columns)))


def retention(settings: Settings) -> Retention:
    """How long replay records and uploads are kept, from the settings."""
    return Retention(replays=timedelta(hours=settings.replay_hours),
                     uploads=timedelta(hours=settings.upload_hours))
