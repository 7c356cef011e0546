"""The donor's thank-you letter (thu cam on) with the receipt, in Decree 30's form: the donor,
what was received, the date and the receipt number, a QR to the pledge's public page and the
public log's check code of the receipt (mau 1.4's header; a letter of the receiving unit).

Nobody else's personal data: the letter names the donor and the receiving unit only.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.dates import format_date
from core.model import Pledge, Receipt, Unit
from core.priority import VIETNAM
from documents.decree_form import (
    Block,
    Paper,
    Para,
    Qr,
    Text,
    amount_text,
    committee_signer,
    dated,
    form_of,
    in_sentence,
    paper_docx,
    paper_html,
)


@dataclass(frozen=True, slots=True)
class Thanks:
    pledge: Pledge
    receipt: Receipt
    unit: Unit  # the unit that received it
    check: str  # the hash of the receipt's entry in the public log
    page: str  # the pledge's public page, in full where the site's address is known


def thanks_paper(data: Thanks, text: Text) -> Paper:
    r, unit = data.receipt, in_sentence(data.unit.name)
    donor = data.pledge.donor_name or text("documents-thanks-donor-anonymous")
    received = r.received_at.astimezone(VIETNAM).date()
    form = form_of(
        text, data.unit, "documents-thanks-symbol", text("documents-thanks-title"),
        place_date=dated(text, data.unit, received),
        to=text("documents-thanks-to", donor=donor),
        recipients=(text("documents-recipient-above"), text("documents-recipient-archive")),
        signers=(committee_signer(text),))
    what: list[Block] = []
    if r.phones:
        model = text("documents-thanks-model", model=r.model) if r.model else ""
        what.append(Para(text("documents-thanks-phones", count=r.phones, model=model)))
    if r.money:
        what.append(Para(text("documents-thanks-money", amount=amount_text(text, r.money))))
    if not what:
        what.append(Para(text("documents-thanks-offer")))
    body: list[Block] = [
        Para(text("documents-thanks-body", unit=unit, donor=donor)),
        Para(text("documents-thanks-received", unit=unit)), *what,
        Para(text("documents-thanks-receipt", date=format_date(received), number=r.number)),
        Para(text("documents-thanks-follow", url=data.page)),
        Qr(data.page, (text("documents-thanks-check", check=data.check),)),
        Para(text("documents-thanks-closing")),
    ]
    return Paper(form, tuple(body))


def thanks_html(data: Thanks, text: Text, locale: str,
                links: tuple[tuple[str, str], ...] = ()) -> str:
    return paper_html(text, locale, thanks_paper(data, text), links)


def thanks_docx(data: Thanks, text: Text) -> bytes:
    return paper_docx(thanks_paper(data, text))
