"""Monthly reports of the official's unit and below: what was built and sent, to whom and when,
each downloadable as it was sent; and the unit's coverage month by month."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from admin.appkeys import REPORT_BUILDER
from admin.charts import month_chart
from admin.context import (
    NotFound,
    catalogue,
    config,
    locale,
    now,
    path_id,
    query_number,
    render,
    text,
    today,
    unit_of_work,
    who,
)
from admin.scoping import Scope, request_scope
from core.errors import RuleError
from core.figures import Month, MonthCoverage, Report, parse_month
from core.model import Unit
from core.names import in_running_text
from core.ports import UnitOfWork
from core.report_runs import ReportNotes, ReportRun, month_of, previous
from core.services.report_notes import report_sections, save_report_sections
from core.services.reports import REPORTED_LEVELS, monthly_report, send_report
from documents.decree_form import DOCX
from documents.report_docx import Sending, report_docx
from documents.report_json import notes_from_json, report_from_json
from documents.report_xlsx import ReportTable, report_table, report_xlsx, shown

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
        "units_reported": bool(_reported(scope)),
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
    data = report_xlsx(report, lambda key, **p: texts.text(key, lang, **p),
                       notes_from_json(run.figures, run.unit_id))
    return web.Response(body=data, headers={"Content-Type": XLSX,
                                            "Content-Disposition": _name(run, "xlsx")})


async def download_json(request: web.Request) -> web.Response:
    run = await _run(request)
    body = json.dumps(run.figures, ensure_ascii=False, indent=2).encode("utf-8")
    return web.Response(body=body, headers={
        "Content-Type": "application/json; charset=utf-8",
        "Content-Disposition": _name(run, "json")})


# -- a report built on demand: preview, xlsx, sections II and III, send -----------------------

BUILD = "/admin/reports/build"


def _reported(scope: Scope) -> list[Unit]:
    """The units of the scope that have a monthly report, province first, in code order."""
    units = [u for u in scope.units.values() if u.level in REPORTED_LEVELS]
    return sorted(units, key=lambda u: (REPORTED_LEVELS.index(u.level), u.code))


def _asked(request: web.Request, scope: Scope, values: Mapping[str, object]
           ) -> tuple[Unit, Month]:
    """The unit (the official's by default) and month (last month by default) asked for."""
    unit_id = query_number(values.get("unit"))
    unit = scope.get(unit_id) if unit_id is not None else scope.unit
    if unit.level not in REPORTED_LEVELS:
        raise NotFound
    tz = config(request).tz
    current = month_of(now(request), tz)
    raw = str(values.get("month") or "")
    month = parse_month(raw, tz) if raw else previous(current)
    if month.start > current.start:
        raise RuleError("report-build-future", month=f"{month.month:02d}/{month.year}")
    return unit, month


def _link(unit: Unit, month: Month, path: str = BUILD) -> str:
    return f"{path}?{urlencode({'unit': unit.id, 'month': month.label})}"


async def _built(request: web.Request, uow: UnitOfWork, unit: Unit, month: Month
                 ) -> tuple[Report, ReportNotes]:
    report = await monthly_report(uow, config(request).dataset, month, unit.id)
    return report, await report_sections(uow, unit.id, month)


async def build_page(request: web.Request, *, error: str | None = None, status: int = 200,
                     asked: Mapping[str, object] | None = None,
                     typed: ReportNotes | None = None) -> web.Response:
    """Any month's report of any unit in scope, as it stands now: its tables, sections II and
    III to write, the xlsx, and the one button that sends it (once)."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        choices = _reported(scope)
        if not choices:  # a village head: no unit of theirs has a report
            raise NotFound
        unit, month = _asked(request, scope, request.query if asked is None else asked)
        report, notes = await _built(request, uow, unit, month)
        run = await uow.reports.for_unit(unit.id, month.label)
    say = partial(text, request)
    tables = [(say(key), _shown(report_table(report, say, to_date=key.endswith("to-date"))))
              for key in ("reports-sheet-month", "reports-sheet-to-date")]
    return render(request, "report_build.html", {
        "choices": choices, "unit": unit, "unit_name": in_running_text(unit.name),
        "month": month, "tables": tables, "run": run,
        "notes": typed or notes, "error": error, "over": now(request) >= month.end,
        "xlsx": _link(unit, month, BUILD + ".xlsx"),
        "docx": _link(unit, month, BUILD + ".docx"),
        "month_text": f"{month.month:02d}/{month.year}",
    }, status=status)


def _shown(table: ReportTable) -> dict[str, object]:
    """The table with every figure written as the page shows it."""
    fmts = [c.number_format for c in table.columns]
    return {"headers": table.headers,
            "rows": [(head, [shown(v, f) for v, f in zip(values, fmts, strict=True)])
                     for head, values in table.rows],
            "total": (table.total[0],
                      [shown(v, f) for v, f in zip(table.total[1], fmts, strict=True)])}


async def build_xlsx(request: web.Request) -> web.Response:
    """The report as it stands now, with sections II and III, as the official's xlsx."""
    async with unit_of_work(request) as uow:
        unit, month = _asked(request, await request_scope(request, uow), request.query)
        report, notes = await _built(request, uow, unit, month)
    data = report_xlsx(report, partial(text, request), notes)
    name = f'attachment; filename="bao-cao-{unit.code}-{month.label}.xlsx"'
    return web.Response(body=data, headers={"Content-Type": XLSX,
                                            "Content-Disposition": name})


async def build_docx(request: web.Request) -> web.Response:
    """The report as it stands now in Decree 30's form (mau 1.4), with sections II and III,
    as the Word file the commune signs and sends to the unit above."""
    async with unit_of_work(request) as uow:
        unit, month = _asked(request, await request_scope(request, uow), request.query)
        report, notes = await _built(request, uow, unit, month)
        above = await uow.units.get(unit.parent_id) if unit.parent_id else None
    data = report_docx(report, partial(text, request), difficulties=notes.difficulties,
                       proposals=notes.proposals, sending=Sending(above=above, on=today(request)))
    name = f'attachment; filename="bao-cao-{unit.code}-{month.label}.docx"'
    return web.Response(body=data, headers={"Content-Type": DOCX,
                                            "Content-Disposition": name})


async def save_notes(request: web.Request) -> web.Response:
    """POST: sections II and III of the unit's report of the month, before it is sent."""
    form = await request.post()
    async with unit_of_work(request) as uow:
        unit, month = _asked(request, await request_scope(request, uow), form)
    typed = ReportNotes(unit_id=unit.id, month=month.label,
                        difficulties=str(form.get("difficulties", "")),
                        proposals=str(form.get("proposals", "")))
    try:
        async with unit_of_work(request) as uow:
            await save_report_sections(uow, who(request).actor, unit.id, month,
                                       difficulties=typed.difficulties,
                                       proposals=typed.proposals, now=now(request))
            await uow.commit()
    except RuleError as err:
        if err.key.startswith("scope-"):
            raise
        return await build_page(request, error=text(request, err.key, **err.params),
                                status=400, asked=form, typed=typed)
    raise web.HTTPFound(_link(unit, month) + "#notes")


async def send(request: web.Request) -> web.Response:
    """POST: build, store and send the report to the unit's officials, once: a second click,
    here or anywhere, is told when it was sent."""
    form = await request.post()
    async with unit_of_work(request) as uow:
        unit, month = _asked(request, await request_scope(request, uow), form)
    try:
        async with unit_of_work(request) as uow:
            await send_report(uow, who(request).actor, unit.id, month,
                              build=request.app[REPORT_BUILDER](), now=now(request),
                              locale=config(request).locale)
            await uow.commit()
    except RuleError as err:
        if err.key.startswith("scope-"):
            raise
        status = 409 if err.key.startswith("reports-already") else 400
        return await build_page(request, error=text(request, err.key, **err.params),
                                status=status, asked=form)
    raise web.HTTPFound(_link(unit, month) + "#sent")
