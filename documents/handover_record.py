"""The printable handover record (bien ban ban giao): one self-contained A4 HTML page.

The admin serves it at /admin/handovers/{id}/record to officials of the handover's unit;
`phocap handover record ID --out FILE.html` writes it from the command line.
"""

from __future__ import annotations

import html
import logging
from typing import Protocol

import segno

from core.dates import format_date
from core.i18n import Catalogue
from core.model import SupportKind
from core.money import format_amount
from core.services.handover import HandoverRecord, display_code, local_date

log = logging.getLogger(__name__)

LOCALES = ("vi", "en")
TICK, CROSS = "\u2611", "\u2610"  # ballot box with check / empty ballot box

STYLE = """
@page { size: A4; margin: 18mm 16mm 18mm 20mm; }
* { box-sizing: border-box; }
body { font-family: "Times New Roman", Times, serif; font-size: 13pt; line-height: 1.45;
       color: #000; max-width: 190mm; margin: 0 auto; padding: 8mm; }
.heading { display: flex; justify-content: space-between; text-align: center; }
.heading > div:first-child { width: 40%; }
.heading > div:last-child { width: 58%; }
.heading .nation { font-weight: bold; }
.heading .motto { font-weight: bold; text-decoration: underline; }
.date { text-align: right; font-style: italic; margin: 4mm 0; }
h1 { text-align: center; font-size: 15pt; margin: 6mm 0 1mm; }
.subtitle { text-align: center; font-style: italic; margin-bottom: 5mm; }
p { margin: 1.5mm 0; }
table.checklist { border-collapse: collapse; width: 100%; margin: 2mm 0; }
table.checklist td { border: 1px solid #000; padding: 1.5mm 2mm; }
table.checklist td.mark { width: 28mm; text-align: center; white-space: nowrap; }
.missing { font-weight: bold; }
.confirm { display: flex; align-items: center; gap: 5mm; margin: 4mm 0; }
.confirm svg { width: 34mm; height: 34mm; flex: none; }
.code { font-family: "Courier New", monospace; font-size: 15pt; font-weight: bold;
        letter-spacing: 1px; }
.signatures { display: flex; justify-content: space-around; text-align: center;
              margin-top: 8mm; page-break-inside: avoid; }
.signatures > div { width: 45%; min-height: 40mm; }
.signatures .who { font-weight: bold; }
.signatures .hint { font-style: italic; }
.signatures .name { margin-top: 24mm; font-weight: bold; }
.toolbar { text-align: right; }
@media print { .toolbar { display: none; } body { padding: 0; } }
"""


class _Text(Protocol):
    """A catalogue text, escaped for HTML; params named in `markup` go in unescaped."""

    def __call__(self, key: str, /, markup: dict[str, str] | None = None,
                 **params: object) -> str: ...


def _texts(catalogue: Catalogue, locale: str) -> _Text:
    def t(key: str, /, markup: dict[str, str] | None = None, **params: object) -> str:
        holders = {name: f"\x00{name}\x00" for name in markup or {}}
        text = html.escape(catalogue.text(key, locale, **params, **holders))
        for name, value in (markup or {}).items():
            text = text.replace(holders[name], value)
        return text

    return t


def render_record(
    catalogue: Catalogue, locale: str, data: HandoverRecord, qr: str | None = None
) -> str:
    """The whole page; qr is the QR's payload (a deep link), else the confirmation code."""
    t = _texts(catalogue, locale)

    h, s, r = data.handover, data.support, data.resident
    handed = local_date(h.handed_at)
    code = display_code(h.code)
    whole = s.kind is SupportKind.WHOLE
    body = [
        '<div class="toolbar"><button onclick="window.print()">'
        f'{t("handover-record-print")}</button></div>',
        '<div class="heading">',
        f'<div><strong>{t("handover-record-authority", unit=data.unit.name).upper()}</strong>'
        "</div>",
        f'<div><div class="nation">{t("handover-record-nation")}</div>'
        f'<div class="motto">{t("handover-record-motto")}</div></div>',
        "</div>",
        '<p class="date">' + t("handover-record-place-date", place=data.commune.name,
                               day=f"{handed.day:02d}", month=f"{handed.month:02d}",
                               year=handed.year) + "</p>",
        f'<h1>{t("handover-record-title" if whole else "handover-record-title-partial")}</h1>',
        f'<p class="subtitle">{t("handover-record-subtitle", support=f"S-{s.id}")}</p>',
        f'<p>{t("handover-record-intro", date=format_date(handed), unit=data.unit.name)}</p>',
        *_parties(t, data),
        f'<p><strong>{t("handover-record-content")}</strong></p>',
        f"<p>{_given(t, data)}</p>",
        f'<p>{t("handover-record-serial", serial=h.serial or "-")}</p>',
        *_checklist(t, data),
        *_confirmation(t, data, code, qr or code),
        f'<p>{t("handover-record-closing")}</p>',
        '<div class="signatures">',
        _signature(t, "handover-record-sign-receiver", r.full_name),
        _signature(t, "handover-record-sign-giver", data.official.name if data.official else ""),
        "</div>",
    ]
    title = t("handover-record-title") + f" - S-{s.id}"
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(locale)}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{STYLE}</style></head>"
        f'<body>{"".join(body)}</body></html>\n'
    )


def _parties(t: _Text, data: HandoverRecord) -> list[str]:
    r, hh = data.resident, data.household
    authority = t("handover-record-authority", unit=data.unit.name)
    giver = t("handover-record-giver", {"unit": authority})
    lines = [f"<p><strong>{giver}</strong></p>"]
    if data.official is not None:
        lines.append(f'<p>{t("handover-record-giver-official", name=data.official.name)}</p>')
    lines.append(f'<p><strong>{t("handover-record-receiver", name=r.full_name)}</strong></p>')
    lines.append(f'<p>{t("handover-record-born", date=format_date(r.date_of_birth))}</p>')
    if hh is not None:
        lines.append(f'<p>{t("handover-record-household", code=hh.code, head=hh.head_name)}</p>')
    village = data.village.name if data.village else "-"
    lines.append(f'<p>{t("handover-record-address", village=village, commune=data.commune.name)}'
                 "</p>")
    return lines


def _given(t: _Text, data: HandoverRecord) -> str:
    if data.support.kind is SupportKind.PARTIAL:
        return t("handover-record-given-partial", amount=format_amount(data.support.amount))
    return t("handover-record-given-whole", model=data.model or "")


def _checklist(t: _Text, data: HandoverRecord) -> list[str]:
    rows = [
        f'<tr><td>{t(f"handover-item-{item}")}</td><td class="mark">'
        f'{TICK if done else CROSS} '
        f'{t("handover-record-done" if done else "handover-record-not-done")}</td></tr>'
        for item, done in data.handover.checklist.items()
    ]
    lines = [f'<p><strong>{t("handover-record-checklist")}</strong></p>',
             f'<table class="checklist">{"".join(rows)}</table>']
    if data.missing:
        names = ", ".join(t(f"handover-item-{m}") for m in data.missing)
        lines.append(f'<p class="missing">{t("handover-record-missing", {"missing": names})}</p>')
    return lines


def _confirmation(t: _Text, data: HandoverRecord, code: str, payload: str) -> list[str]:
    h = data.handover
    if h.confirmation is None:
        status = t("handover-record-status-none")
    else:
        when = format_date(local_date(h.confirmed_at)) if h.confirmed_at else ""
        status = t("handover-record-status", date=when,
                   answer_label=f"key:handover-answer-{h.confirmation.value}")
    svg = segno.make(payload, error="m").svg_inline(scale=4, omitsize=True)
    return [
        '<div class="confirm">', svg, "<div>",
        f'<p>{t("handover-record-code", {"code": _code_html(code)})}</p>',
        f'<p>{t("handover-record-qr-hint")}</p>',
        f"<p>{status}</p>",
        "</div></div>",
    ]


def _code_html(code: str) -> str:
    return f'<span class="code">{html.escape(code)}</span>'


def _signature(t: _Text, who: str, name: str) -> str:
    return (f'<div><div class="who">{t(who)}</div><div class="hint">'
            f'{t("handover-record-sign-hint")}</div><div class="name">{html.escape(name)}</div>'
            "</div>")


# ---- the route -------------------------------------------------------------------------------
