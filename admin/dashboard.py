"""The dashboard: the official's unit and each unit under it, towards 100 % coverage.

The figures are the monthly report's, to date (core.services.reports: SQL sums, the same
numbers the province files), so the page and the report never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

from aiohttp import web
from markupsafe import Markup

from admin.audit import ID_CHECKS, scope_query
from admin.charts import bar_chart
from admin.context import WRITERS, config, locale, now, render, text, unit_of_work, who
from admin.reports import coverage_chart
from admin.scoping import Scope, request_scope
from core.figures import Figures, Month, Report
from core.model import Level
from core.money import format_percent
from core.ports import PageViews, UnitOfWork
from core.report_runs import month_of
from core.services.reports import kept_report, monthly_report


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the dashboard's table."""

    figures: Figures
    total: bool  # the official's own unit, everything below it summed

    @property
    def gifts(self) -> int:
        t = self.figures.to_date
        return t.shop_offers + t.direct_gifts + t.other_programmes


async def home(request: web.Request) -> web.Response:
    tz = config(request).tz
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        month = month_of(now(request), tz)
        report, counts = await figures_of(uow, scope, month)
        points = await uow.views.coverage_by_month(scope.unit.dataset, scope.unit.id,
                                                   now(request), tz)
        id_checks = await _id_checks(request, uow.views, scope)
    below = [report.figures[c] for c in report.children.get(scope.unit.id, ())]
    lines = [Line(report.total, True), *(Line(f, False) for f in below)]
    return render(request, "home.html", {
        "unit": scope.unit, "counts": counts, "total": sum(counts.values()), "lines": lines,
        "chart": _coverage_bars(request, lines), "month": month, "percent": percent_of(request),
        "months": coverage_chart(partial(text, request), scope.unit.name, points)
        if points else None,
        "id_checks": id_checks,
    })


async def figures_of(uow: UnitOfWork, scope: Scope, month: Month
                   ) -> tuple[Report, dict[str, int]]:
    """The month so far and the residents by status: above the communes from each commune's
    kept sums (a province's million residents are not summed on each look), a commune or a
    village from its own rows."""
    if scope.unit.level in (Level.PROVINCE, Level.DISTRICT):
        communes = scope.of_level(Level.COMMUNE)
        return await kept_report(uow, month, scope.unit, scope.units.values(), communes, [
            *scope.of_level(Level.PROVINCE), *scope.of_level(Level.DISTRICT), *communes])
    report = await monthly_report(uow, scope.unit.dataset, month, scope.unit.id, scope.ids)
    return report, await uow.views.status_counts(scope.place())


ID_CHECK_DAYS = 30


async def _id_checks(request: web.Request, views: PageViews, scope: Scope) -> int:
    """How many times in the last 30 days a citizen ID held here was typed again: the cases
    the audit page lists for this unit's officers (village heads have no audit page)."""
    if who(request).official.role not in WRITERS:
        return 0
    since = now(request) - timedelta(days=ID_CHECK_DAYS)
    return len(await views.audit_page(
        replace(scope_query(scope), actions=ID_CHECKS, since=since), 1000))


def _coverage_bars(request: web.Request, lines: list[Line]) -> Markup:
    """Adult coverage at the end of this month so far, a bar per unit."""
    return bar_chart(
        [(line.figures.unit.name, line.figures.adult_coverage.end) for line in lines],
        text(request, "admin-dashboard-chart-title"),
        text(request, "coverage-unsurveyed"),  # no figure: no pilot village surveyed yet
        percent_of(request),
    )


def percent_of(request: web.Request) -> Callable[[float | None], str]:
    """format_percent in the page's language."""
    return partial(format_percent, locale=locale(request))
