"""The list a commune posts (danh sach niem yet) in Decree 30's form, as a printable page,
.docx and .xlsx: the people to be supported in priority order, with name, year of birth,
village, household class, priority group and form of support; never a citizen ID."""

from __future__ import annotations

from datetime import date

from core.money import format_amount
from core.priority import Support as Queue
from core.services.posting_list import PostingList
from documents.decree_form import (
    Block,
    Grid,
    Paper,
    Para,
    Text,
    committee_signer,
    dated,
    form_of,
    in_sentence,
    paper_docx,
    paper_html,
    paper_xlsx,
)

COLUMNS = ("number", "name", "born", "village", "class", "group", "form")
WIDTHS_MM = (10, 38, 15, 22, 40, 15, 25)


def posting_html(data: PostingList, text: Text, locale: str,
                 links: tuple[tuple[str, str], ...] = ()) -> str:
    return paper_html(text, locale, posting_paper(data, text), links)


def posting_docx(data: PostingList, text: Text) -> bytes:
    return paper_docx(posting_paper(data, text))


def posting_paper(data: PostingList, text: Text, on: date | None = None) -> Paper:
    unit = in_sentence(data.commune.name)
    form = form_of(
        text, data.commune, "documents-posting-symbol", text("documents-posting-title"),
        subject=text("documents-posting-subject", unit=unit),
        place_date=dated(text, data.commune, on or data.on),
        recipients=(text("documents-posting-recipients-villages"),
                    text("documents-posting-recipients-office"),
                    text("documents-recipient-archive")),
        signers=(committee_signer(text),))
    rows = _rows(data, text)
    body: list[Block] = [Para(text("documents-posting-intro", unit=unit))]
    if rows:
        body.append(Grid(_headers(text), rows, WIDTHS_MM,
                         (False, False, True, False, False, True, False)))
        body.append(Para(text("documents-posting-total", count=len(rows))))
    else:
        body.append(Para(text("documents-posting-empty")))
    return Paper(form, tuple(body))


def _headers(text: Text) -> tuple[str, ...]:
    return tuple(text(f"documents-posting-col-{c}") for c in COLUMNS)


def _rows(data: PostingList, text: Text) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (str(n), line.name, str(line.born), line.village, text(line.class_key),
         str(line.tier),
         text("documents-posting-form-whole") if line.support is Queue.WHOLE
         else text("documents-posting-form-partial", amount=format_amount(line.amount)))
        for n, line in enumerate(data.lines, start=1))


def posting_xlsx(data: PostingList, text: Text) -> bytes:
    """The same list as a worksheet in the same form."""
    return paper_xlsx(posting_paper(data, text), text("documents-posting-title"))
