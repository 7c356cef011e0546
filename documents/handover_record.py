"""The handover record (bien ban ban giao) in Decree 30's form for a bien ban (Phu luc III,
mau 1.9), as a printable A4 page and as .docx.

The admin serves it at /admin/handovers/{id}/record (and .docx) to officials of the
handover's unit; `phocap handover record ID --out FILE.html|.docx` writes it from the command
line. A whole phone's record has the device and its set-up checklist; a money support's has
the amount in figures and in words and no device.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from core.dates import format_date
from core.i18n import Catalogue
from core.model import SupportKind
from core.priority import VIETNAM
from core.services.handover import HandoverRecord, display_code
from documents.decree_form import (
    Block,
    Grid,
    Paper,
    Para,
    Qr,
    Text,
    amount_text,
    bound,
    decree_date,
    form_of,
    in_sentence,
    paper_docx,
    paper_html,
    party_signer,
    place_name,
)


@dataclass(frozen=True, slots=True)
class PlanRef:
    """The provincial plan the record cites; unset parts are left as '...' to fill in."""

    number: str = ""
    on: date | None = None


def render_record(catalogue: Catalogue, locale: str, data: HandoverRecord,
                  qr: str | None = None, *, plan: PlanRef = PlanRef(),
                  links: tuple[tuple[str, str], ...] = ()) -> str:
    """The printable page; qr is the QR's payload (a deep link), else the confirmation code."""
    text = bound(catalogue, locale)
    return paper_html(text, locale, record_paper(text, data, qr, plan), links)


def record_docx(catalogue: Catalogue, locale: str, data: HandoverRecord,
                qr: str | None = None, *, plan: PlanRef = PlanRef()) -> bytes:
    """The same record as a Word file."""
    return paper_docx(record_paper(bound(catalogue, locale), data, qr, plan))


def record_paper(text: Text, data: HandoverRecord, qr: str | None, plan: PlanRef) -> Paper:
    whole = data.support.kind is SupportKind.WHOLE
    signers = (
        party_signer(text, "documents-handover-sign-receiver", data.resident.full_name),
        party_signer(text, "documents-handover-sign-witness",
                     data.village_head.name if data.village_head else ""),
        party_signer(text, "documents-handover-sign-giver",
                     data.official.name if data.official else ""),
    )
    form = form_of(
        text, data.commune, "documents-handover-symbol", text("documents-handover-title"),
        subject=text("documents-handover-subject-whole" if whole
                     else "documents-handover-subject-partial"),
        signers=signers)
    body = (*_opening(text, data, plan), *_parties(text, data),
            Para(text("documents-handover-agreed")),
            *(_device(text, data, qr) if whole else _money(text, data, qr)),
            Para(text("documents-handover-closing")))
    return Paper(form, body)


def _opening(text: Text, data: HandoverRecord, plan: PlanRef) -> list[Block]:
    """Time and place, then the legal basis."""
    handed = _local(data.handover.handed_at)
    blank = text("documents-blank")
    return [
        Para(text("documents-handover-opening", hour=f"{handed:%H}", minute=f"{handed:%M}",
                  date=decree_date(text, handed.date()),
                  village=place_name(data.village) if data.village else blank,
                  commune=in_sentence(data.commune.name))),
        Para(text("documents-handover-basis", number=plan.number or blank,
                  date=format_date(plan.on) if plan.on else blank), italic=True),
        Para(text("documents-handover-parties")),
    ]


def _parties(text: Text, data: HandoverRecord) -> list[Block]:
    r, blank = data.resident, text("documents-blank")
    giver = data.official
    village = data.village
    parts: list[Block] = [
        Para(text("documents-handover-giver", unit=in_sentence(data.unit.name)), bold=True),
        Para(text("documents-handover-giver-official", name=giver.name,
                  title=text("documents-handover-official-title",
                             unit=in_sentence(data.unit.name)))
             if giver else text("documents-handover-giver-unnamed")),
        Para(text("documents-handover-receiver", name=r.full_name), bold=True),
        Para(text("documents-handover-born", date=format_date(r.date_of_birth))),
        Para(text("documents-handover-id", number=r.citizen_id or blank)),
        Para(text("documents-handover-village",
                  village=place_name(village) if village else blank,
                  commune=in_sentence(data.commune.name))),
    ]
    if data.class_key:
        parts.append(Para(text("documents-handover-class", class_label=f"key:{data.class_key}")))
    if data.tier is not None:
        parts.append(Para(text("documents-handover-group", tier=data.tier)))
    head = data.village_head
    village_name = place_name(village) if village else blank
    parts.append(Para(text("documents-handover-witness", name=head.name, village=village_name)
                      if head else text("documents-handover-witness-unnamed",
                                        village=village_name), bold=True))
    return parts


def _device(text: Text, data: HandoverRecord, qr: str | None) -> list[Block]:
    h, receipt, blank = data.handover, data.receipt, text("documents-blank")
    source = (text("documents-handover-source", number=receipt.number,
                   donor=receipt.donor_name or text("handover-donor-anonymous"))
              if receipt else text("documents-handover-source-unknown"))
    condition = receipt.condition if receipt and receipt.condition else "new"
    rows = tuple(
        (str(n), text(f"handover-item-{item}"),
         text("documents-handover-done" if done else "documents-handover-not-done"))
        for n, (item, done) in enumerate(h.checklist.items(), start=1))
    code = display_code(h.code)
    return [
        Para(text("documents-handover-device"), bold=True, indent=False),
        Para(text("documents-handover-model", model=data.model or blank)),
        Para(text("documents-handover-serial", serial=h.serial or blank)),
        Para(text("documents-handover-condition", condition_label=f"key:pledge-state-{condition}")),
        Para(source),
        Para(text("documents-handover-checklist"), bold=True, indent=False),
        Grid((text("documents-handover-col-number"), text("documents-handover-col-item"),
              text("documents-handover-col-result")), rows, (12, 110, 40)),
        Qr(qr or code, (text("documents-handover-code", code=code),)),
    ]


def _money(text: Text, data: HandoverRecord, qr: str | None) -> list[Block]:
    code = display_code(data.handover.code)
    return [
        Para(text("documents-handover-money"), bold=True, indent=False),
        Para(text("documents-handover-money-amount",
                  amount=amount_text(text, data.support.amount))),
        Para(text("documents-handover-money-purpose")),
        Qr(qr or code, (text("documents-handover-code", code=code),)),
    ]


def _local(moment: datetime) -> datetime:
    """The handover's time where it happened (a naive time is UTC, as storage keeps them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM)

