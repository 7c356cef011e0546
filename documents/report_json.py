"""The monthly report as JSON: what a report's row stores, and back to a Report again.

Dates in ISO form; counts of zero left out (a count not listed is 0).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import fields
from datetime import tzinfo
from operator import attrgetter
from typing import Any

from core.figures import Coverage, Figures, Report, Standing, Tally, parse_month
from core.model import Level, Unit
from core.report_runs import ReportNotes


def report_json(report: Report, parts: MutableMapping[int, dict[str, object]] | None = None
                ) -> dict[str, object]:
    """Every figure of every unit the report shows (as the text: a province's or district's
    down to communes, a commune's down to villages), dates in ISO form, counts of zero left
    out (see _tally_json). Villages stay out of the province's: its stored copy would hold
    all forty thousand of a country for nothing that its text or table shows; each
    commune's report has its own. `parts` keeps each
    unit's entry for the next report of the same month, as report_text's blocks do."""
    month = report.month
    known: MutableMapping[int, dict[str, object]] = {} if parts is None else parts
    units: list[dict[str, object]] = []
    for f in report.shown():
        entry = known.get(f.unit.id)
        if entry is None:
            entry = known[f.unit.id] = _unit_json(report, f)
        # Below the root, a unit's parent is in the report too; the root's is not.
        units.append({**entry, "parent": None} if f.unit.id == report.root.id else entry)
    return {
        "month": month.label,
        "first_day": month.first_day.isoformat(),
        "last_day": month.last_day.isoformat(),
        "start": month.start.isoformat(),
        "end": month.end.isoformat(),
        "unit": report.root.code,
        "units": units,
    }


def _unit_json(report: Report, f: Figures) -> dict[str, object]:
    parent = report.figures.get(f.unit.parent_id) if f.unit.parent_id is not None else None
    out: dict[str, object] = {
        "code": f.unit.code,
        "name": f.unit.name,
        "level": f.unit.level.value,
        "parent": parent.unit.code if parent is not None else None,
        "adults": f.adults,
        "households": f.households,
        "month": _tally_json(f.month),
        "to_date": _tally_json(f.to_date),
        "start": _standing_json(f.start),
        "end": _standing_json(f.end),
        "coverage": {
            "adults": {"start": f.adult_coverage.start, "end": f.adult_coverage.end,
                       "change": f.adult_coverage.change},
            "households": {"start": f.household_coverage.start, "end": f.household_coverage.end,
                           "change": f.household_coverage.change},
        },
        "survey": {"surveyed": f.surveyed, "unsurveyed": f.unsurveyed,
                   "unsurveyed_uncovered": f.unsurveyed_uncovered, "no_signal": f.no_signal},
    }
    if f.unit.level is not Level.VILLAGE:
        own = report.own[f.unit.id]
        out["own"] = {"month": _tally_json(own.month), "to_date": _tally_json(own.to_date)}
    return out


_TALLY_FIELDS = tuple(f.name for f in fields(Tally))
_TALLY_VALUES = attrgetter(*_TALLY_FIELDS)


def _tally_json(t: Tally) -> dict[str, int]:
    """The counts that are not zero: most of a village's are, and ten thousand stored
    reports a month would otherwise be three quarters zeros. A count not listed is 0."""
    out = {name: v for name, v in zip(_TALLY_FIELDS, _TALLY_VALUES(t), strict=True) if v}
    for name, v in (("served", t.served), ("on_hand_phones", t.on_hand_phones),
                    ("on_hand_money", t.on_hand_money)):
        if v:
            out[name] = v
    return out


def _standing_json(s: Standing) -> dict[str, object]:
    return {"uncovered_adults": s.uncovered_adults,
            "uncovered_households": s.uncovered_households,
            "waiting": s.waiting, "waiting_whole": list(s.waiting_whole),
            "waiting_partial": list(s.waiting_partial)}


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
    survey = u.get("survey", {})  # absent from reports stored before it was counted
    return Figures(
        unit=unit, adults=u["adults"], households=u["households"],
        month=_tally(u["month"]), to_date=_tally(u["to_date"]),
        start=_standing(u["start"]), end=_standing(u["end"]),
        adult_coverage=Coverage(shares["adults"]["start"], shares["adults"]["end"]),
        household_coverage=Coverage(shares["households"]["start"],
                                    shares["households"]["end"]),
        surveyed=int(survey.get("surveyed", 0)), unsurveyed=int(survey.get("unsurveyed", 0)),
        unsurveyed_uncovered=int(survey.get("unsurveyed_uncovered", 0)),
        no_signal=int(survey.get("no_signal", 0)))


def _own_from_json(unit: Unit, own: Mapping[str, Any]) -> Figures:
    """The unit alone: its own events; people always hang on villages, so none waits here."""
    return Figures(unit=unit, adults=None, households=None,
                   month=_tally(own.get("month", {})), to_date=_tally(own.get("to_date", {})),
                   start=Standing(), end=Standing(), adult_coverage=Coverage(None, None),
                   household_coverage=Coverage(None, None), own=True)


def notes_json(notes: ReportNotes) -> dict[str, object]:
    """The officer's sections II and III as a stored report keeps them (key "notes")."""
    return {"difficulties": notes.difficulties, "proposals": notes.proposals}


def notes_from_json(data: Mapping[str, Any], unit_id: int) -> ReportNotes | None:
    """The sections a stored report was sent with, None when it had none."""
    found = data.get("notes")
    if not isinstance(found, Mapping):
        return None
    return ReportNotes(unit_id=unit_id, month=str(data["month"]),
                       difficulties=str(found.get("difficulties", "")),
                       proposals=str(found.get("proposals", "")))
