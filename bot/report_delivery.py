"""The monthly report's Builder, as core.services.reports stores and sends it: the sums read
through uow.views, the figures rolled up by core.figures, the JSON and chat text laid out by
documents/."""

from __future__ import annotations

from core.figures import Month, Rollup, roll_up
from core.i18n import Catalogue
from core.model import Unit
from core.ports import UnitOfWork
from core.report_runs import ReportNotes
from core.services.reports import Builder, Built
from documents.report_json import notes_json, report_json
from documents.report_text import report_text


def report_builder(catalogue: Catalogue, dataset: str) -> Builder:
    """Figures and text of a unit's month. The sums are read once per builder and month, in
    the first claiming transaction, and every unit's report is cut from them: make one
    builder per run, so that a run's reports agree with each other and a later run reads
    afresh."""
    rollups: dict[str, Rollup] = {}
    blocks: dict[tuple[str, str], dict[int, str]] = {}  # (month, locale) -> unit -> text
    parts: dict[str, dict[int, dict[str, object]]] = {}  # month -> unit -> its JSON entry
    written: dict[str, dict[int, ReportNotes]] = {}  # month -> unit -> sections II and III

    async def build(uow: UnitOfWork, unit: Unit, month: Month) -> Built:
        if month.label not in rollups:
            rollups[month.label] = roll_up(await uow.views.report_input(dataset, month))
            # the few units whose officers wrote sections II and III, read once for all
            written[month.label] = await uow.reports.notes(month.label)
        report = rollups[month.label].report(unit.id)
        notes = written[month.label].get(unit.id)
        texts: dict[str, str] = {}

        def text(locale: str) -> str:
            # One message; each channel splits it at line breaks to its own limit.
            if locale not in texts:  # officials of a unit often share a language
                texts[locale] = report_text(
                    report, lambda key, **p: catalogue.text(key, locale, **p),
                    blocks=blocks.setdefault((month.label, locale), {}), notes=notes)[0]
            return texts[locale]

        figures = report_json(report, parts.setdefault(month.label, {}))
        if notes is not None and not notes.empty:
            figures["notes"] = notes_json(notes)  # the stored copy is what was sent
        return Built(figures, text)

    return build
