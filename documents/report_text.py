"""The monthly report as chat text: a title, then one block per unit shown.

Numbers: the chat text writes thousands with dots (2.000.000), as Vietnamese write them, and
shares with a decimal comma (93,0%).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping

from core.dates import format_date
from core.figures import Figures, Report
from core.messages import split_text
from core.model import ReceiptSource
from core.money import format_amount
from core.report_runs import ReportNotes

Text = Callable[..., str]

TELEGRAM_LIMIT = 4096
ZALO_LIMIT = 2000


def report_text(report: Report, text: Text, limit: int | None = None,
                blocks: MutableMapping[int, str] | None = None,
                notes: ReportNotes | None = None) -> list[str]:
    """The report as chat messages of at most `limit` characters (None: one message). A unit's
    block is never split unless it alone is longer than the limit. `blocks` keeps each unit's
    block, by unit id, for the next report of the same month in the same language: a run
    writes a commune's block once, not in its own report, its district's and its province's.
    `notes`, the officer's sections II and III, close the report when written."""
    known: MutableMapping[int, str] = {} if blocks is None else blocks
    for f in report.shown():
        if f.unit.id not in known:
            known[f.unit.id] = _unit_block(f, text)
    shown = [_title(report, text)] + [known[f.unit.id] for f in report.shown()]
    if notes is not None and not notes.empty:
        shown.append(notes_text(notes, text))
    if limit is None:
        return ["\n\n".join(shown)]
    pieces: list[str] = []
    for block in shown:
        for part in split_text(block, limit):
            if pieces and len(pieces[-1]) + 2 + len(part) <= limit:
                pieces[-1] += "\n\n" + part
            else:
                pieces.append(part)
    return pieces


def notes_text(notes: ReportNotes, text: Text) -> str:
    """Sections II and III under their titles; a section left empty says so."""
    return "\n\n".join(
        f"{text(title)}\n{body or text('report-notes-empty')}"
        for title, body in (("report-notes-difficulties", notes.difficulties),
                            ("report-notes-proposals", notes.proposals)))


def _title(report: Report, text: Text) -> str:
    month = report.month
    return str(text("reports-text-title", unit=report.root.name,
                    month=f"{month.month:02d}/{month.year}",
                    first=format_date(month.first_day), last=format_date(month.last_day)))


def _unit_block(f: Figures, text: Text) -> str:
    """The unit's name, its people, and each line of goods that has something to say."""
    m, t = f.month, f.to_date
    n = format_amount
    goods: list[tuple[str, dict[str, int]]] = [
        ("reports-text-pledged", {
            "phones": m.pledged_phones, "money": m.pledged_money,
            "offers": m.pledged_offers, "phones_total": t.pledged_phones,
            "money_total": t.pledged_money}),
        ("reports-text-received", {
            "phones": m.received_phones, "money": m.received_money,
            "phones_total": t.received_phones, "money_total": t.received_money}),
        ("reports-text-moved", {
            "in_phones": m.transferred_in_phones, "in_money": m.transferred_in_money,
            "out_phones": m.transferred_out_phones,
            "out_money": m.transferred_out_money}),
        ("reports-text-served", {
            "whole": m.assigned_whole, "partial": m.assigned_partial,
            "partial_money": m.assigned_partial_money, "shop": m.shop_offers,
            "gift": m.direct_gifts, "other": m.other_programmes,
            "served_total": t.served}),
        ("reports-text-handed", {
            "handed": m.handed_over, "confirmed": m.confirmed,
            "handed_total": t.handed_over, "confirmed_total": t.confirmed}),
        ("reports-text-aftercare", {
            "using_30": t.using_30, "answered_30": t.answered_30,
            "using_90": t.using_90, "answered_90": t.answered_90,
            "cases": m.cases_opened, "sessions": m.guidance_sessions, "guided": m.guided}),
        ("reports-text-on-hand", {"phones": t.on_hand_phones, "money": t.on_hand_money}),
    ]
    # no figure because no pilot village below is surveyed yet: said so, not "no estimate"
    say = _unsurveyed(text) if f.unsurveyed else text
    lines = [
        text("reports-text-unit", name=f.unit.name),
        text("reports-text-people", registered=n(m.registered),
             registered_total=n(t.registered), approved=n(m.approved),
             approved_total=n(t.approved)),
        # Compact for a chat: a line of nothing but zeros is left out.
        *(text(key, **{name: n(v) for name, v in params.items()}) for key, params in goods
          if any(params.values())),
        text("reports-text-waiting", waiting=n(f.end.waiting),
             whole="/".join(str(x) for x in f.end.waiting_whole),
             partial="/".join(str(x) for x in f.end.waiting_partial)),
        text("reports-text-coverage",
             start=_percent(f.adult_coverage.start, say),
             end=_percent(f.adult_coverage.end, say),
             change=_percent(f.adult_coverage.change, say, signed=True),
             households_start=_percent(f.household_coverage.start, say),
             households_end=_percent(f.household_coverage.end, say),
             households_change=_percent(f.household_coverage.change, say, signed=True)),
    ]
    sources = [text("gifts-text-source", source_label=f"key:gifts-source-{source.value}",
                    phones=n(getattr(t, f"received_phones_{source.value}")),
                    money=n(getattr(t, f"received_money_{source.value}")))
               for source in ReceiptSource
               if getattr(t, f"received_phones_{source.value}")
               or getattr(t, f"received_money_{source.value}")]
    if t.own_purchases:  # plan VI.2: covered by their own purchase, not by the programme
        lines.append(text("gifts-text-own", own=n(m.own_purchases), own_total=n(t.own_purchases)))
    if sources:  # plan IV: what each source gave, to date
        lines.append(text("gifts-text-sources", sources="; ".join(str(x) for x in sources)))
    if f.no_signal:  # plan VI.6: where a phone cannot be set up on 3G/4G at home
        lines.append(text("gifts-text-no-signal", villages=f.no_signal))
    if f.surveyed or f.unsurveyed:  # the pilot villages' survey: what the figure stands on
        lines.append(text("coverage-text-survey", surveyed=f.surveyed, villages=f.unsurveyed,
                          people=n(f.unsurveyed_uncovered)))
    return "\n".join(str(line) for line in lines)


def _unsurveyed(text: Text) -> Text:
    """The catalogue, saying "survey not done yet" where it would say "no estimate"."""
    def say(key: str, **params: object) -> str:
        return str(text("coverage-unsurveyed" if key == "reports-text-unknown" else key,
                        **params))
    return say


def _percent(share: float | None, text: Text, signed: bool = False) -> str:
    """93,0% (a decimal comma, as Vietnamese write it), or a change in points; the
    catalogue's word when there is no estimate."""
    if share is None:
        return str(text("reports-text-unknown"))
    if signed:  # a change is in percentage points, not a share
        return str(text("reports-text-points", value=f"{share * 100:+.1f}".replace(".", ",")))
    return f"{share * 100:.1f}".replace(".", ",") + "%"
