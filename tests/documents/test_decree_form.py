"""The shared form of Decree 30: dates, amounts in words, the header and the closing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document

from core.i18n import load_catalogue
from core.model import Level, Unit
from documents.decree_form import (
    Grid,
    Paper,
    Para,
    amount_in_words,
    amount_text,
    committee_signer,
    dated,
    decree_date,
    form_of,
    issuing_body,
    paper_docx,
    paper_html,
    place_name,
)

CATALOGUE = load_catalogue()


def vi(key: str, /, **params: object) -> str:
    return CATALOGUE.text(key, "vi", **params)


def en(key: str, /, **params: object) -> str:
    return CATALOGUE.text(key, "en", **params)


# Worked out by hand from the reading rules: groups of three after the first are read in
# full ("khong tram", "linh"), 'muoi' for ten, 'muoi' after a tens digit with 'mot' for 1
# and 'lam' for 5, 'ty' for a thousand million.
AMOUNTS = [
    (0, "Kh\u00f4ng \u0111\u1ed3ng"),
    (500_000, "N\u0103m tr\u0103m ngh\u00ecn \u0111\u1ed3ng"),
    (1_250_000,
     "M\u1ed9t tri\u1ec7u hai tr\u0103m n\u0103m m\u01b0\u01a1i ngh\u00ecn \u0111\u1ed3ng"),
    (1_000_000_000, "M\u1ed9t t\u1ef7 \u0111\u1ed3ng"),
    (21_000, "Hai m\u01b0\u01a1i m\u1ed1t ngh\u00ecn \u0111\u1ed3ng"),
    (1_005_000, "M\u1ed9t tri\u1ec7u kh\u00f4ng tr\u0103m linh n\u0103m ngh\u00ecn \u0111\u1ed3ng"),
    (2_000_015, "Hai tri\u1ec7u kh\u00f4ng tr\u0103m m\u01b0\u1eddi l\u0103m \u0111\u1ed3ng"),
    (115_000, "M\u1ed9t tr\u0103m m\u01b0\u1eddi l\u0103m ngh\u00ecn \u0111\u1ed3ng"),
    (11, "M\u01b0\u1eddi m\u1ed9t \u0111\u1ed3ng"),
    (1_000_000_005, "M\u1ed9t t\u1ef7 kh\u00f4ng tr\u0103m linh n\u0103m \u0111\u1ed3ng"),
]


@pytest.mark.parametrize(("amount", "words"), AMOUNTS)
def test_amounts_are_read_as_vietnamese_officials_write_them(amount: int, words: str) -> None:
    assert amount_in_words(vi, amount) == words


def test_an_amount_is_written_in_figures_then_in_words() -> None:
    assert amount_text(vi, 500_000) == (
        "500.000 \u0111\u1ed3ng (N\u0103m tr\u0103m ngh\u00ecn \u0111\u1ed3ng)")
    assert amount_text(en, 1_250_000) == (
        "1.250.000 dong (One million two hundred fifty thousand dong)")
    assert amount_in_words(en, 21_000) == "Twenty-one thousand dong"
    assert amount_in_words(en, 0) == "Zero dong"


@pytest.mark.parametrize(("day", "text"), [
    (date(2023, 12, 7), "ng\u00e0y 07 th\u00e1ng 12 n\u0103m 2023"),
    (date(2023, 9, 15), "ng\u00e0y 15 th\u00e1ng 9 n\u0103m 2023"),
    (date(2024, 2, 15), "ng\u00e0y 15 th\u00e1ng 02 n\u0103m 2024"),
    (date(2024, 1, 31), "ng\u00e0y 31 th\u00e1ng 01 n\u0103m 2024"),
    (date(2023, 10, 1), "ng\u00e0y 01 th\u00e1ng 10 n\u0103m 2023"),
])
def test_dates_have_a_leading_zero_only_for_days_under_ten_and_months_one_and_two(
    day: date, text: str,
) -> None:
    assert decree_date(vi, day) == text


COMMUNE = Unit(id=1, code="02173", name="X\u00e3 C\u00f4n Minh", level=Level.COMMUNE,
               parent_id=2, dataset="2023")
DISTRICT = Unit(id=2, code="060", name="Huy\u1ec7n Na R\u00ec", level=Level.DISTRICT,
                parent_id=3, dataset="2023")


def test_the_body_is_written_in_full_in_capitals_and_the_place_without_its_kind() -> None:
    # in full, in capitals, on two lines as the form sets it
    assert issuing_body(vi, COMMUNE) == (
        "\u1ee6Y BAN NH\u00c2N D\u00c2N\nX\u00c3 C\u00d4N MINH")
    assert place_name(COMMUNE) == "C\u00f4n Minh" and place_name(DISTRICT) == "Na R\u00ec"
    assert dated(vi, COMMUNE, date(2023, 12, 7)) == (
        "C\u00f4n Minh, ng\u00e0y 07 th\u00e1ng 12 n\u0103m 2023")


def test_the_signer_is_on_behalf_of_the_committee_or_for_the_chair() -> None:
    assert committee_signer(vi).lines == (
        "TM. \u1ee6Y BAN NH\u00c2N D\u00c2N", "CH\u1ee6 T\u1ecaCH")
    assert committee_signer(vi, deputy=True).lines == (
        "KT. CH\u1ee6 T\u1ecaCH", "PH\u00d3 CH\u1ee6 T\u1ecaCH")


def _paper() -> Paper:
    form = form_of(vi, COMMUNE, "documents-report-symbol", vi("documents-report-type"),
                   subject="<b>x</b>", place_date=dated(vi, COMMUNE, date(2023, 9, 15)),
                   recipients=(vi("documents-recipient-above"),),
                   signers=(committee_signer(vi, name="N\u00f4ng V\u0103n A"),))
    return Paper(form, (Para("one"), Grid(("a", "b"), (("1", "2"),), (20, 20), (False, True)),
                        Para("last")))


def test_the_page_escapes_the_text_and_keeps_the_last_paragraph_with_the_closing() -> None:
    page = paper_html(vi, "vi", _paper())
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    keep = page[page.index('<div class="keep">'):]
    assert "<p" in keep and "last" in keep and "one" not in keep
    assert keep.index("last") < keep.index('<table class="closing">')
    assert ".keep { break-inside: avoid;" in page


def test_the_docx_has_the_header_table_the_body_and_the_recipients_beside_the_signer() -> None:
    doc = Document(io.BytesIO(paper_docx(_paper())))
    left, right = doc.tables[0].rows[0].cells
    assert left.paragraphs[0].text == issuing_body(vi, COMMUNE)
    assert left.paragraphs[-1].text == "S\u1ed1: \u2026/BC-UBND"
    assert [p.text for p in right.paragraphs if p.text] == [
        vi("documents-nation"), vi("documents-motto"),
        "C\u00f4n Minh, ng\u00e0y 15 th\u00e1ng 9 n\u0103m 2023"]
    recipients, signer = doc.tables[-1].rows[0].cells
    assert [p.text for p in recipients.paragraphs] == [
        "N\u01a1i nh\u1eadn:", "- Nh\u01b0 tr\u00ean;"]
    assert [p.text for p in signer.paragraphs if p.text] == [
        "TM. \u1ee6Y BAN NH\u00c2N D\u00c2N", "CH\u1ee6 T\u1ecaCH", "N\u00f4ng V\u0103n A"]
    grid = doc.tables[1]
    assert grid.rows[1].cells[1].text == "2"
    # the grid is the kept block before 'last': its paragraphs keep with what follows
    last = next(p for p in doc.paragraphs if p.text == "last")
    assert last.paragraph_format.keep_with_next
