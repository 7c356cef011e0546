"""The monthly report as core.services.reports stores and sends it: SQL sums, JSON, chat text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import tzinfo
from typing import Any, cast

from bot.reports import report_json, report_text
from core.figures import (
    Coverage,
    Figures,
    Month,
    Report,
    Rollup,
    Standing,
    Tally,
    parse_month,
    roll_up,
)
from core.i18n import Catalogue
from core.model import Level, Unit
from core.ports import UnitOfWork
from core.services.reports import Builder, Built
from storage.report_queries import report_input
from storage.uow import SqlUnitOfWork


def report_builder(catalogue: Catalogue, dataset: str) -> Builder:
    """Figures and text of a unit's month. The sums are read once per builder and month, in
    the first claiming transaction, and every unit's report is cut from them: make one
    builder per run, so that a run's reports agree with each other and a later run reads
    afresh."""
    rollups: dict[str, Rollup] = {}
    blocks: dict[tuple[str, str], dict[int, str]] = {}  # (month, locale) -> unit -> text
    parts: dict[str, dict[int, dict[str, object]]] = {}  # month -> unit -> its JSON entry

    async def build(uow: UnitOfWork, unit: Unit, month: Month) -> Built:
        if month.label not in rollups:
            session = cast(SqlUnitOfWork, uow).session  # the SQL sums need the session itself
            rollups[month.label] = roll_up(await report_input(session, dataset, month))
        report = rollups[month.label].report(unit.id)
        texts: dict[str, str] = {}

        def text(locale: str) -> str:
            # One message; each channel splits it at line breaks to its own limit.
            if locale not in texts:  # officials of a unit often share a language
                texts[locale] = report_text(
                    report, lambda key, **p: catalogue.text(key, locale, **p),
                    blocks=blocks.setdefault((month.label, locale), {}))[0]
            return texts[locale]

        return Built(report_json(report, parts.setdefault(month.label, {})), text)

    return build


def report_from_json(data: Mapping[str, Any], tz: tzinfo) -> Report:
    """A stored report (report_json's output) as a Report again, to lay out as xlsx exactly
    as it was sent, whatever changed in the database since."""
    month = parse_month(str(data["month"]), tz)
    rows = list(data["units"])
    ids = {str(u["code"]): i for i, u in enumerate(rows, start=1)}
    units = {ids[str(u["code"])]: Unit(
        id=ids[str(u["code"])], dataset="", code=str(u["code"]), name=str(u["name"]),
        level=Level(u["level"]), parent_id=ids.get(str(u["parent"])) if u["parent"] else None)
        for u in rows}
    figures, own = {}, {}
    children: dict[int, list[int]] = {}
    for u in rows:
        unit = units[ids[str(u["code"])]]
        figures[unit.id] = _figures_from_json(unit, u)
        own[unit.id] = _own_from_json(unit, u.get("own") or {})
        if unit.parent_id in units:
            children.setdefault(unit.parent_id, []).append(unit.id)
    root = units[ids[str(data["unit"])]]
    return Report(month, root, figures, own, {k: tuple(v) for k, v in children.items()})


def _tally(data: Mapping[str, Any]) -> Tally:
    return Tally(**{f.name: int(data.get(f.name, 0)) for f in fields(Tally)})


def _standing(data: Mapping[str, Any]) -> Standing:
    return Standing(int(data["uncovered_adults"]), int(data["uncovered_households"]),
                    tuple(data["waiting_whole"]), tuple(data["waiting_partial"]))


def _figures_from_json(unit: Unit, u: Mapping[str, Any]) -> Figures:
    shares = u["coverage"]
    return Figures(
        unit=unit, adults=u["adults"], households=u["households"],
        month=_tally(u["month"]), to_date=_tally(u["to_date"]),
        start=_standing(u["start"]), end=_standing(u["end"]),
        adult_coverage=Coverage(shares["adults"]["start"], shares["adults"]["end"]),
        household_coverage=Coverage(shares["households"]["start"],
                                    shares["households"]["end"]))


def _own_from_json(unit: Unit, own: Mapping[str, Any]) -> Figures:
    """The unit alone: its own events; people always hang on villages, so none waits here."""
    return Figures(unit=unit, adults=None, households=None,
                   month=_tally(own.get("month", {})), to_date=_tally(own.get("to_date", {})),
                   start=Standing(), end=Standing(), adult_coverage=Coverage(None, None),
                   household_coverage=Coverage(None, None), own=True)
