"""The printable handover record (bien ban ban giao): one self-contained A4 HTML page.

The admin serves it at /admin/handovers/{id}/record to officials of the handover's unit;
`phocap handover record ID --out FILE.html` writes it from the command line. The page is
documents/templates/handover_record.html; this module gives it the record's data and the
catalogue's texts.
"""

from __future__ import annotations

import html
from functools import cache
from typing import Protocol

import jinja2
import segno
from markupsafe import Markup

from core.codes import household_shown
from core.dates import format_date
from core.i18n import Catalogue
from core.model import Handover, SupportKind
from core.money import format_amount
from core.services.handover import HandoverRecord, display_code, local_date

TICK, CROSS = "\u2611", "\u2610"  # ballot box with check / empty ballot box


class _Text(Protocol):
    """A catalogue text, escaped for HTML; params named in `markup` go in unescaped."""

    def __call__(self, key: str, /, markup: dict[str, str] | None = None,
                 **params: object) -> Markup: ...


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("documents", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _texts(catalogue: Catalogue, locale: str) -> _Text:
    def t(key: str, /, markup: dict[str, str] | None = None, **params: object) -> Markup:
        holders = {name: f"\x00{name}\x00" for name in markup or {}}
        text = html.escape(catalogue.text(key, locale, **params, **holders))
        for name, value in (markup or {}).items():
            text = text.replace(holders[name], str(value))
        return Markup(text)  # noqa: S704  (escaped above; `markup` holds HTML we made)

    return t


def render_record(
    catalogue: Catalogue, locale: str, data: HandoverRecord, qr: str | None = None
) -> str:
    """The whole page; qr is the QR's payload (a deep link), else the confirmation code."""
    t = _texts(catalogue, locale)
    handed = local_date(data.handover.handed_at)
    code = display_code(data.handover.code)
    svg = segno.make(qr or code, error="m").svg_inline(scale=4, omitsize=True)
    return _templates().get_template("handover_record.html").render(
        t=t, locale=locale, data=data, handed=handed, handed_text=format_date(handed),
        born=format_date(data.resident.date_of_birth),
        whole=data.support.kind is SupportKind.WHOLE, given=_given(t, data), code=code,
        origin=_origin(t, data),
        household_code=household_shown(data.household.code) if data.household else "",
        missing=", ".join(t(f"handover-item-{m}") for m in data.missing),
        qr_svg=Markup(svg),  # noqa: S704  (segno's own SVG)
        status=_status(t, data.handover), tick=TICK, cross=CROSS,
    )


def _given(t: _Text, data: HandoverRecord) -> Markup:
    if data.support.kind is SupportKind.PARTIAL:
        return t("handover-record-given-partial", amount=format_amount(data.support.amount))
    return t("handover-record-given-whole", model=data.model or "")


def _origin(t: _Text, data: HandoverRecord) -> Markup | None:
    """Where the phone came from, as its receipt says: condition, donor, receipt number."""
    r = data.receipt
    if r is None or data.support.kind is not SupportKind.WHOLE:
        return None
    return t("handover-record-origin", number=r.number,
             condition_label=f"key:pledge-state-{r.condition or 'new'}",
             donor=r.donor_name or "key:handover-donor-anonymous")


def _status(t: _Text, h: Handover) -> Markup:
    if h.confirmation is None:
        return t("handover-record-status-none")
    when = format_date(local_date(h.confirmed_at)) if h.confirmed_at else ""
    return t("handover-record-status", date=when,
             answer_label=f"key:handover-answer-{h.confirmation.value}")
