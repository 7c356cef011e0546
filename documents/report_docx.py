"""The formal monthly report of a commune, a district or the province to the unit above it,
and the final review over a period, in Decree 30's form for a document with a type name
(Phu luc III, mau 1.4), as .docx and as a printable page.

I. the results as tables (people, what was received by source, coverage, each unit);
II. difficulties: the people still waiting at the period's end (a figure the report carries)
and the officer's own text; III. proposals: the officer's text. Nothing else is added: open
cases or villages not yet surveyed are not in the report object, so they are not invented.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from core.dates import format_date
from core.figures import Figures, Month, Report, Tally
from core.model import Level, ReceiptSource, Unit
from core.money import format_amount
from documents.decree_form import (
    Block,
    Form,
    Grid,
    Paper,
    Para,
    Signer,
    Text,
    committee_signer,
    dated,
    decree_month,
    form_of,
    in_sentence,
    paper_docx,
    paper_html,
    paper_xlsx,
    place_name,
)


@dataclass(frozen=True, slots=True)
class Sending:
    """Who the report goes to and who signs it: the unit above (None: say 'the committee
    above'), the date on it (None: left blank), the signer's name, a deputy signing."""

    above: Unit | None = None
    on: date | None = None
    signer: str = ""
    deputy: bool = False
    since: Month | None = None  # a final review: the period's first month


def report_docx(report: Report, text: Text, *, difficulties: str = "", proposals: str = "",
                sending: Sending = Sending()) -> bytes:
    """The report as a Word file; difficulties and proposals are the officer's sections II
    and III (empty: 'Khong co.')."""
    return paper_docx(report_paper(report, text, difficulties, proposals, sending))


def report_form_xlsx(report: Report, text: Text, *, difficulties: str = "",
                     proposals: str = "", sending: Sending = Sending()) -> bytes:
    """The same report as a worksheet in the same form (the figures table of every unit is
    documents/report_xlsx.py's)."""
    return paper_xlsx(report_paper(report, text, difficulties, proposals, sending),
                      text("documents-report-type"))


def report_html(report: Report, text: Text, locale: str, *, difficulties: str = "",
                proposals: str = "", sending: Sending = Sending()) -> str:
    """The same report as a printable A4 page."""
    return paper_html(text, locale, report_paper(report, text, difficulties, proposals, sending))


def report_paper(report: Report, text: Text, difficulties: str, proposals: str,
                 sending: Sending) -> Paper:
    root = report.root
    first = sending.since or report.month
    review = sending.since is not None and sending.since != report.month
    subject = (text("documents-review-subject", first=_month(first), last=_month(report.month))
               if review else
               text("documents-report-subject", month=decree_month(report.month.month),
                    year=report.month.year))
    form = form_of(
        text, root, "documents-report-symbol", text("documents-report-type"), subject=subject,
        place_date=dated(text, root, sending.on) if sending.on else _blank_date(text, root),
        to=text("documents-report-to", recipient=_recipient(text, root, sending.above)),
        recipients=(text("documents-recipient-above"), text("documents-recipient-archive")),
        signers=(committee_signer(text, deputy=sending.deputy, name=sending.signer),))
    if root.level is Level.PROVINCE:
        form = _department(text, root, form, sending)
    unit = in_sentence(root.name)
    period = (format_date(first.first_day), format_date(report.month.last_day))
    by = "-department" if root.level is Level.PROVINCE else ""  # who reports: see _department
    intro = (text(f"documents-review-intro{by}", unit=unit, first=period[0], last=period[1])
             if review else
             text(f"documents-report-intro{by}", unit=unit, month=decree_month(report.month.month),
                  year=report.month.year, first=period[0], last=period[1]))
    body: list[Block] = [Para(intro), *_results(report, text),
                         Para(text("documents-report-difficulties"), bold=True, indent=False),
                         *_difficulties(report, text, difficulties),
                         Para(text("documents-report-proposals"), bold=True, indent=False),
                         *_officer_text(text, proposals)]
    return Paper(form, tuple(body))


def _month(m: Month) -> str:
    return f"{decree_month(m.month)}/{m.year}"


def _blank_date(text: Text, root: Unit) -> str:
    """'Con Minh, ngay ... thang ... nam ...': the date is written when it is signed."""
    blank = text("documents-blank")
    return text("documents-place-date", place=place_name(root),
                date=text("documents-date", day=blank, month=blank, year=blank))


def _department(text: Text, province: Unit, form: Form, sending: Sending) -> Form:
    """The province's report is the Department of Information and Communications' to the
    Provincial People's Committee (plan VI.1: 'So TT&TT tong hop bao cao UBND tinh'): the
    department issues it under the committee's name and its director signs."""
    lines = ((text("documents-for-director"), text("documents-vice-director")) if sending.deputy
             else (text("documents-director"),))
    return replace(
        form, superior=text("documents-province-committee", name=province.name.upper()),
        body=text("documents-department"),
        number=text("documents-number", symbol=text("documents-department-report-symbol")),
        to=text("documents-report-to", recipient=text(
            "documents-report-to-committee", unit=in_sentence(province.name))),
        signers=(Signer(lines, sending.signer),))


def _recipient(text: Text, root: Unit, above: Unit | None) -> str:
    if above is None:
        return text("documents-report-to-above")
    return text("documents-report-to-unit", unit=in_sentence(above.name))


# ---- I. results -------------------------------------------------------------------------------


Pick = Callable[[Tally], int]


def _results(report: Report, text: Text) -> list[Block]:
    total = report.total
    people: list[tuple[str, Pick]] = [
        ("registered", lambda t: t.registered), ("approved", lambda t: t.approved),
        ("whole", lambda t: t.assigned_whole), ("partial", lambda t: t.assigned_partial),
        ("shop", lambda t: t.shop_offers), ("gift", lambda t: t.direct_gifts),
        ("own-purchase", lambda t: t.own_purchases),
        ("handed", lambda t: t.handed_over), ("confirmed", lambda t: t.confirmed),
    ]
    sources: list[tuple[str, Pick]] = [
        ("pledged-phones", lambda t: t.pledged_phones),
        ("pledged-money", lambda t: t.pledged_money),
        ("phones", lambda t: t.received_phones),
        *((f"phones-{s}", _source(f"received_phones_{s}")) for s in SOURCES),
        ("money", lambda t: t.received_money),
        *((f"money-{s}", _source(f"received_money_{s}")) for s in SOURCES),
        ("in-phones", lambda t: t.transferred_in_phones),
        ("in-money", lambda t: t.transferred_in_money),
    ]
    head = (text("documents-report-col-item"), text("documents-report-col-period"),
            text("documents-report-col-to-date"))
    on_hand = [(text("documents-report-row-on-hand-phones"), "",
                format_amount(total.to_date.on_hand_phones)),
               (text("documents-report-row-on-hand-money"), "",
                format_amount(total.to_date.on_hand_money))]
    return [
        Para(text("documents-report-results"), bold=True, indent=False),
        Para(text("documents-report-table-people"), bold=True, indent=False),
        Grid(head, _rows(text, total, people), (105, 30, 30), (False, True, True)),
        Para(text("documents-report-table-sources"), bold=True, indent=False),
        Grid(head, (*_rows(text, total, sources), *on_hand), (105, 30, 30),
             (False, True, True)),
        Para(text("documents-report-table-coverage"), bold=True, indent=False),
        Grid((text("documents-report-col-item"), text("documents-report-col-start"),
              text("documents-report-col-end"), text("documents-report-col-change")),
             _coverage_rows(text, total), (75, 30, 30, 30), (False, True, True, True)),
        Para(text("documents-report-units"), bold=True, indent=False),
        _units(report, text),
        Para(text("documents-report-table-aftercare"), bold=True, indent=False),
        Grid(head, _rows(text, total, AFTERCARE), (105, 30, 30), (False, True, True)),
    ]


# what the plan asks to follow after the handover (III.5, VI.2)
AFTERCARE: tuple[tuple[str, Pick], ...] = (
    ("answered-30", lambda t: t.answered_30), ("using-30", lambda t: t.using_30),
    ("answered-90", lambda t: t.answered_90), ("using-90", lambda t: t.using_90),
    ("cases", lambda t: t.cases_opened), ("sessions", lambda t: t.guidance_sessions),
    ("guided", lambda t: t.guided),
)
SOURCES = tuple(s.value for s in ReceiptSource)  # plan IV: received by source, apart


def _source(field: str) -> Pick:
    return lambda t: int(getattr(t, field))


def _rows(text: Text, f: Figures, picks: Sequence[tuple[str, Pick]]
          ) -> tuple[tuple[str, ...], ...]:
    return tuple((text(f"documents-report-row-{key}"), format_amount(pick(f.month)),
                  format_amount(pick(f.to_date))) for key, pick in picks)


def _coverage_rows(text: Text, f: Figures) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (text(f"documents-report-row-{key}"), percent(text, c.start), percent(text, c.end),
         percent(text, c.change, signed=True))
        for key, c in (("adults", f.adult_coverage), ("households", f.household_coverage)))


def percent(text: Text, share: float | None, signed: bool = False) -> str:
    """'45,3 %' as the catalogue writes a decimal; nothing for an unknown share."""
    if share is None:
        return ""
    tenths = round(share * 1000)
    sign = "-" if tenths < 0 else "+" if signed and tenths > 0 else ""
    whole, tenth = divmod(abs(tenths), 10)
    return sign + text("documents-percent", whole=whole, tenth=tenth)


def _units(report: Report, text: Text) -> Grid:
    rows = tuple(
        (str(n), text("reports-own-row", name=f.unit.name) if f.own else f.unit.name,
         format_amount(f.month.handed_over), format_amount(f.end.waiting),
         percent(text, f.adult_coverage.end))
        for n, f in enumerate(report.rows(), start=1))
    return Grid((text("documents-handover-col-number"), text("documents-report-col-unit"),
                 text("documents-report-col-handed"), text("documents-report-col-waiting"),
                 text("documents-report-col-coverage")), rows, (12, 68, 28, 28, 30),
                (False, False, True, True, True))


# ---- II. and III. -----------------------------------------------------------------------------


def _difficulties(report: Report, text: Text, typed: str) -> list[Block]:
    """What the figures say is still to do, then the officer's own text."""
    total = report.total
    waiting = total.end.waiting
    said: list[Block] = [Para(text("documents-report-waiting", count=format_amount(waiting)))
                         ] if waiting else []
    if total.month.cases_opened:
        said.append(Para(text("documents-report-cases",
                              count=format_amount(total.month.cases_opened))))
    if total.unsurveyed:
        said.append(Para(text("documents-report-unsurveyed",
                              villages=format_amount(total.unsurveyed),
                              people=format_amount(total.unsurveyed_uncovered))))
    if typed.strip() or not said:
        said += _officer_text(text, typed)
    return said


def _officer_text(text: Text, typed: str) -> list[Block]:
    """The officer's lines, each a paragraph; 'Khong co.' when there are none."""
    lines = [line.strip() for line in typed.splitlines() if line.strip()]
    return [Para(line) for line in lines] or [Para(text("documents-report-none"))]
