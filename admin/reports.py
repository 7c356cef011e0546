"""Monthly reports of the official's unit and below: what was built and sent, to whom and when,
each downloadable as it was sent; and the unit's coverage month by month."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

from aiohttp import web
from markupsafe import Markup

from admin.charts import month_chart
from admin.context import (
    NotFound,
    catalogue,
    config,
    locale,
    now,
    path_id,
    render,
    text,
    unit_of_work,
)
from admin.scoping import request_scope
from core.figures import MonthCoverage
from core.report_runs import ReportRun
from documents.report_json import report_from_json
from documents.report_xlsx import report_xlsx

LISTED = 240  # twenty years of a province's, districts' and communes' reports is far more
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def reports_page(request: web.Request) -> web.Response:
    """The list, newest month first, and the coverage chart of the official's unit."""
    cfg = config(request)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        runs = await uow.reports.listing(scope.ids, LISTED)
        points = await uow.views.coverage_by_month(cfg.dataset, scope.unit.id,
                                                   now(request), cfg.tz)
    return render(request, "reports.html", {
        "runs": runs, "units": scope.units, "day": cfg.report_day,
        "chart": coverage_chart(partial(text, request), scope.unit.name, points)
        if points else None,
    })


def coverage_chart(say: Callable[..., str], unit: str, points: list[MonthCoverage]) -> Markup:
    """Coverage of adults and households month by month; `say` words it (key, **params):
    the reports page, the dashboard and the public page draw the same chart."""
    return month_chart(
        [f"{p.month.month:02d}/{p.month.year}" for p in points],
        [(say("admin-reports-chart-adults"), [p.adults for p in points]),
         (say("admin-reports-chart-households"), [p.households for p in points])],
        say("admin-reports-chart-title", unit=unit))


async def _run(request: web.Request) -> ReportRun:
    """The report asked for, if it is the official's unit's or below; else not found."""
    try:
        run_id = path_id(request, "run_id")
    except ValueError:
        raise NotFound from None
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        run = await uow.reports.get(run_id)
    if run is None or not scope.has(run.unit_id):
        raise NotFound
    return run


def _name(run: ReportRun, ext: str) -> str:
    unit = str(run.figures.get("unit", run.unit_id))
    return f'attachment; filename="bao-cao-{unit}-{run.month}.{ext}"'


async def download_xlsx(request: web.Request) -> web.Response:
    """The stored figures laid out as the official table, in the reader's language."""
    run = await _run(request)
    texts, lang = catalogue(request), locale(request)
    report = report_from_json(run.figures, config(request).tz)
    data = report_xlsx(report, lambda key, **p: texts.text(key, lang, **p))
    return web.Response(body=data, headers={"Content-Type": XLSX,
                                            "Content-Disposition": _name(run, "xlsx")})


async def download_json(request: web.Request) -> web.Response:
    run = await _run(request)
    body = json.dumps(run.figures, ensure_ascii=False, indent=2).encode("utf-8")
    return web.Response(body=body, headers={
        "Content-Type": "application/json; charset=utf-8",
        "Content-Disposition": _name(run, "json")})
