"""Every list leaves the same way: the page's rows under its current filter, as .xlsx or
.csv, with the catalogue's column titles and words, times in the official's local time,
and the read kept in the audit trail.

A list is capped at MAX_ROWS rows: past it the official is asked to narrow the filter
(a province's whole register is not one spreadsheet, and the rows are held in memory
while the file is written; the workbook itself is written row by row)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web

from admin.context import catalogue, config, locale, now, who
from core.errors import RuleError
from core.ports import UnitOfWork
from core.services.audit import record_list_read
from documents.lists import When
from documents.spreadsheets import rows_to_worded_csv, rows_to_xlsx

MAX_ROWS = 50_000
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
ROUTE_FORMAT = "{fmt:xlsx|csv}"  # the tail of every export's route: /admin/pledges.xlsx
SOURCE = "admin-export"


def export_links(path: str, filters: Mapping[str, str]) -> dict[str, str]:
    """The page's export links, one per format, carrying its filter."""
    query = f"?{urlencode(filters)}" if filters else ""
    return {fmt: f"{path}.{fmt}{query}" for fmt in FORMATS}


def check_size(rows: int, limit: int = MAX_ROWS) -> None:
    """Refuse a list longer than the cap (counted while it is read, so it stops early)."""
    if rows > limit:
        raise RuleError("admin-export-too-many", limit=limit)


def local_time(request: web.Request) -> When:
    """Excel keeps no zone: a time as Vietnam saw it."""
    tz = config(request).tz

    def shown(value: datetime | None) -> datetime | None:
        return value.astimezone(tz) if value else None

    return shown


async def audit_export(uow: UnitOfWork, request: web.Request, entity: str, unit_id: int,
                       filters: Mapping[str, object], rows: int) -> None:
    """The trail's line for a list taken away: who, which list and filter, how many rows."""
    await record_list_read(uow, who(request).actor, now(request), unit_id, SOURCE, filters,
                           rows, entity)


def send(request: web.Request, name: str, rows: Sequence[Mapping[str, object]],
         columns: Sequence[str]) -> web.Response:
    """The rows as the file the route asked for, named '<name>-<local time>.<format>'."""
    check_size(len(rows))
    fmt = request.match_info["fmt"]
    texts, lang = catalogue(request), locale(request)

    def text(key: str, **params: object) -> str:
        return texts.text(key, lang, **params)

    data = (rows_to_xlsx if fmt == "xlsx" else rows_to_worded_csv)(rows, columns, text)
    stamp = now(request).astimezone(config(request).tz).strftime("%Y%m%d-%H%M")
    return web.Response(body=data, headers={
        "Content-Type": FORMATS[fmt],
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt}"',
        "Cache-Control": "no-store",  # personal data: no copy kept on the way
    })
