"""The form every commune's document takes (Decree 30/2020/ND-CP, Phu luc I and III).

One module for every document of issue 17: the header table (the issuing body in full with its
short rule; the national title and the motto with its rule; "So: .../BB-UBND"; the place and
date for a report), the title, the closing (the recipients, "TM. UY BAN NHAN DAN / CHU TICH" or
"KT. CHU TICH / PHO CHU TICH", or the parties' signatures), dates and amounts as the decree
writes them, in two renderings: printable HTML (documents/templates/decree.html's macros,
A4 with the decree's margins) and .docx (python-docx). Every word comes from the catalogue
(locales/*/documents.toml); a document module builds a `Form` and lays its body between.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import jinja2
import segno
from docx import Document as new_docx
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.i18n import Catalogue
from core.model import Unit
from core.money import format_amount
from core.names import UNIT_WORDS, in_running_text
from documents.spreadsheets import write_text_as_text

Text = Callable[..., str]

FONT = "Times New Roman"
SIZE = 14  # the body's size: the decree allows 13-14
SMALL = 13  # the header's lines and tables
# Margins of Phu luc I: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
# The administrative words a unit's name starts with, beyond the commune's and village's
# (huyen, thanh pho, thi xa, tinh): the place in "Con Minh, ngay ..." goes without them.
_HIGHER_WORDS = ("Huy\u1ec7n ", "Th\u00e0nh ph\u1ed1 ", "Th\u1ecb x\u00e3 ", "T\u1ec9nh ")
BILLION = 10**9
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def bound(catalogue: Catalogue, locale: str) -> Text:
    """The catalogue's texts in one language."""
    def text(key: str, /, **params: object) -> str:
        return catalogue.text(key, locale, **params)
    return text


# ---- dates and amounts ----------------------------------------------------------------------


def decree_day(day: int) -> str:
    """A leading zero only for days under 10: 07, 15."""
    return f"{day:02d}"


def decree_month(month: int) -> str:
    """A leading zero only for months 1 and 2: 02, 9, 12."""
    return f"{month:02d}" if month <= 2 else str(month)


def decree_date(text: Text, d: date) -> str:
    """'ngay 07 thang 12 nam 2023', 'ngay 15 thang 9 nam 2023'."""
    return text("documents-date", day=decree_day(d.day), month=decree_month(d.month),
                year=d.year)


@dataclass(frozen=True, slots=True)
class _Words:
    digits: list[str]
    teens: list[str]
    decades: list[str]
    hundred: str
    ten: str
    tens: str
    odd: str
    one: str
    five: str
    scales: list[str]

    @classmethod
    def of(cls, text: Text) -> _Words:
        def t(name: str) -> str:
            return text(f"documents-words-{name}")

        return cls(t("digits").split(), t("teens").split("|"), t("decades").split("|"),
                   t("hundred"), t("ten"), t("tens"), t("odd"), t("one"), t("five"),
                   t("scales").split("|"))


def amount_in_words(text: Text, amount: int) -> str:
    """'Nam tram nghin dong': the reading rules the catalogue names, capitalised."""
    words = _Words.of(text)
    read = _read_vi if text("documents-words-rules") == "vi" else _read_en
    said = f"{read(words, amount)} {text('documents-words-currency')}"
    return said[:1].upper() + said[1:]


def amount_text(text: Text, amount: int) -> str:
    """'500.000 dong (Nam tram nghin dong)': in figures and in words."""
    return text("documents-amount", figures=format_amount(amount),
                words=amount_in_words(text, amount))


def _read_vi(w: _Words, n: int) -> str:
    """Vietnamese: groups of three read in full after the first ('khong tram linh'), 'muoi'
    for ten and 'muoi' after a tens digit, 'mot' and 'lam' after it; 'nghin ty' beyond."""
    return _read(w, n, lambda g, leading: _group_vi(w, g, leading))


def _read(w: _Words, n: int, group_words: Callable[[int, bool], str]) -> str:
    """Groups of three digits with their scales, billions read again as a number."""
    if n == 0:
        return w.digits[0]
    billions, rest = divmod(n, BILLION)
    parts = [f"{_read(w, billions, group_words)} {w.scales[3]}"] if billions else []
    for group, scale in ((rest // 10**6, w.scales[2]), (rest // 1000 % 1000, w.scales[1]),
                         (rest % 1000, "")):
        if group:
            said = group_words(group, not parts)
            parts.append(f"{said} {scale}" if scale else said)
    return " ".join(parts)


def _group_vi(w: _Words, g: int, leading: bool) -> str:
    hundreds, tens, units = g // 100, g // 10 % 10, g % 10
    out = [w.digits[hundreds], w.hundred] if hundreds or not leading else []
    if tens == 0:
        out += ([w.odd] if out else []) + [w.digits[units]] if units else []
    elif tens == 1:
        out += [w.ten, *_unit_after_ten(w, units, after_tens=False)]
    else:
        out += [w.digits[tens], w.tens, *_unit_after_ten(w, units, after_tens=True)]
    return " ".join(out)


def _unit_after_ten(w: _Words, units: int, after_tens: bool) -> list[str]:
    if units == 0:
        return []
    if units == 5:
        return [w.five]
    return [w.one] if units == 1 and after_tens else [w.digits[units]]


def _read_en(w: _Words, n: int) -> str:
    return _read(w, n, lambda g, _leading: _group_en(w, g))


def _group_en(w: _Words, g: int) -> str:
    hundreds, tens, units = g // 100, g // 10 % 10, g % 10
    out = [w.digits[hundreds], w.hundred] if hundreds else []
    if tens == 1:
        out.append(w.teens[units])
    elif tens:
        out.append(w.decades[tens] + (f"-{w.digits[units]}" if units else ""))
    elif units:
        out.append(w.digits[units])
    return " ".join(out)


# ---- the form's parts -------------------------------------------------------------------------


def in_sentence(name: str) -> str:
    """A unit's name inside a sentence: its administrative word in lower case, for a district
    or a province too ('Uy ban nhan dan huyen Na Ri')."""
    for word in _HIGHER_WORDS:
        if name.startswith(word):
            return word.lower() + name[len(word):]
    return in_running_text(name)


def issuing_body(text: Text, unit: Unit) -> str:
    """'UY BAN NHAN DAN XA CON MINH': the body in full, in capitals."""
    return text("documents-body", name=unit.name.upper())


def place_name(unit: Unit) -> str:
    """The place of the date line: the unit's name without its administrative word."""
    for word in (*UNIT_WORDS, *_HIGHER_WORDS):
        if unit.name.startswith(word):
            return unit.name[len(word):]
    return unit.name


@dataclass(frozen=True, slots=True)
class Signer:
    """One signature: the capacity lines above it ('TM. ...', 'CHU TICH'), a hint below them
    ('(Ky, ghi ro ho ten hoac diem chi)'), and the name written under the space to sign."""

    lines: tuple[str, ...]
    name: str = ""
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Form:
    """What the decree puts around a document's body."""

    body: str  # the issuing body, in capitals
    number: str  # 'So: .../BC-UBND'
    title: str  # the type name: 'BIEN BAN', 'BAO CAO'
    subject: str = ""  # the summary under the type name
    superior: str = ""  # the body above the issuing one, where the form needs it
    place_date: str = ""  # reports and letters only: a bien ban has none in its header
    to: str = ""  # 'Kinh gui: ...'
    recipients: tuple[str, ...] = ()  # 'Noi nhan:' and its lines; empty: none
    signers: tuple[Signer, ...] = ()
    recipients_title: str = ""
    nation: str = ""
    motto: str = ""


def committee_signer(text: Text, *, deputy: bool = False, name: str = "") -> Signer:
    """'TM. UY BAN NHAN DAN / CHU TICH', or 'KT. CHU TICH / PHO CHU TICH' for a deputy."""
    lines = ((text("documents-for-chair"), text("documents-vice-chair")) if deputy
             else (text("documents-on-behalf"), text("documents-chair")))
    return Signer(lines, name)


def party_signer(text: Text, key: str, name: str = "") -> Signer:
    """A party to a bien ban: its name in capitals, '(Ky, ghi ro ho ten hoac diem chi)'."""
    return Signer((text(key),), name, text("documents-sign-hint"))


def form_of(text: Text, unit: Unit, symbol_key: str, title: str, *, subject: str = "",
            place_date: str = "", to: str = "", recipients: Sequence[str] = (),
            signers: Sequence[Signer] = ()) -> Form:
    """A Form of the unit, numbered with the symbol of the document's kind."""
    return Form(body=issuing_body(text, unit),
                number=text("documents-number", symbol=text(symbol_key)), title=title,
                subject=subject, place_date=place_date, to=to, recipients=tuple(recipients),
                signers=tuple(signers), recipients_title=text("documents-recipients"),
                nation=text("documents-nation"), motto=text("documents-motto"))


def dated(text: Text, unit: Unit, on: date) -> str:
    """'Con Minh, ngay 07 thang 12 nam 2023'."""
    return text("documents-place-date", place=place_name(unit), date=decree_date(text, on))


# ---- a document: the form around blocks of body ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Para:
    """A paragraph of the body: justified with a first-line indent, unless told otherwise."""

    text: str
    bold: bool = False
    italic: bool = False
    indent: bool = True
    center: bool = False


@dataclass(frozen=True, slots=True)
class Grid:
    """A framed table; `numeric` columns are aligned right."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths_mm: tuple[int, ...]
    numeric: tuple[bool, ...] = ()


@dataclass(frozen=True, slots=True)
class Qr:
    """A QR code with its lines beside it."""

    payload: str
    lines: tuple[str, ...] = ()


Block = Para | Grid | Qr


@dataclass(frozen=True, slots=True)
class Paper:
    """A whole document: its form and its body; the last `keep` blocks of the body are
    printed on the same page as the closing (the signatures never stand alone)."""

    form: Form
    body: tuple[Block, ...]
    keep: int = 1


# ---- printable HTML ---------------------------------------------------------------------------


@cache
def templates() -> jinja2.Environment:
    """The documents' Jinja templates (documents/templates/), escaping everything."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("documents", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def paper_html(text: Text, locale: str, paper: Paper,
               links: Sequence[tuple[str, str]] = ()) -> str:
    """The printable page: A4 at the decree's margins; `links` go in the toolbar that the
    print leaves out (the .docx beside the print view)."""
    split = len(paper.body) - min(paper.keep, len(paper.body))
    return templates().get_template("document.html").render(
        t=text, locale=locale, form=paper.form, body=paper.body[:split],
        kept=paper.body[split:], links=list(links), margins=MARGINS_MM, size=SIZE,
        small=SMALL, svg=_svg, kind=_kind)


def _kind(block: Block) -> str:
    return "para" if isinstance(block, Para) else "grid" if isinstance(block, Grid) else "qr"


def _svg(payload: str) -> Markup:
    return Markup(segno.make(payload, error="m").svg_inline(scale=4, omitsize=True))  # noqa: S704  (segno's own SVG)


# ---- .docx ------------------------------------------------------------------------------------


def new_document() -> Document:
    """A4, the decree's margins, Times New Roman 14 with single spacing."""
    doc = new_docx()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    normal = doc.styles["Normal"]
    font = normal.font
    font.name, font.size = FONT, Pt(SIZE)
    # Word picks the East Asian and complex-script fonts apart from the Latin one.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:cs", "w:hAnsi"):
        fonts.set(qn(attr), FONT)
    spacing = normal.paragraph_format
    spacing.space_before, spacing.space_after, spacing.line_spacing = Pt(0), Pt(6), 1.0
    return doc


def docx_bytes(doc: Document) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def add_text(container: Document | _Cell, text: str, *, bold: bool = False,
             italic: bool = False, size: int | None = None, center: bool = False,
             indent: bool = False) -> Paragraph:
    """One paragraph in one run; the body's paragraphs are justified with a first-line indent."""
    p = container.add_paragraph()
    run = p.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    if size is not None:
        run.font.size = Pt(size)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent:
        p.paragraph_format.first_line_indent = Mm(10)
    return p


def _rule(p: Paragraph, width_share: float) -> None:
    """A short line under a paragraph, centred: a bottom border on a narrowed paragraph."""
    pr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"),
                        ("w:color", "000000")):
        bottom.set(qn(attr), value)
    borders.append(bottom)
    pr.append(borders)
    side = Mm(40 * (1 - width_share))
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side


def _ruled(cell: _Cell, width_share: float) -> None:
    """The rule as its own empty paragraph under the cell's last line."""
    p = cell.add_paragraph()
    p.paragraph_format.space_after = Pt(0)
    run = p.add_run("")
    run.font.size = Pt(2)
    _rule(p, width_share)


def _no_borders(table: Table) -> None:
    pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    pr.append(borders)


def add_header(doc: Document, form: Form) -> None:
    """The header table, then the type name and the summary with its short rule."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    left, right = table.rows[0].cells
    left.width, right.width = Mm(70), Mm(95)
    left.paragraphs[0].text = ""
    first = left.paragraphs[0]
    if form.superior:
        first.add_run(form.superior).font.size = Pt(SMALL)
        first.alignment = WD_ALIGN_PARAGRAPH.CENTER
        first = left.add_paragraph()
    body = first.add_run(form.body)
    body.bold, body.font.size = True, Pt(SMALL)
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    first.paragraph_format.space_after = Pt(0)
    _ruled(left, 0.45)
    add_text(left, form.number, size=SMALL, center=True)
    nation = right.paragraphs[0]
    run = nation.add_run(form.nation)
    run.bold, run.font.size = True, Pt(12)
    nation.alignment = WD_ALIGN_PARAGRAPH.CENTER
    nation.paragraph_format.space_after = Pt(0)
    motto = add_text(right, form.motto, bold=True, center=True)
    motto.paragraph_format.space_after = Pt(0)
    _ruled(right, 0.75)
    if form.place_date:
        add_text(right, form.place_date, italic=True, center=True)
    title = add_text(doc, form.title, bold=True, center=True)
    title.paragraph_format.space_before = Pt(12)
    title.paragraph_format.space_after = Pt(0)
    if form.subject:
        subject = add_text(doc, form.subject, bold=True, center=True)
        subject.paragraph_format.space_after = Pt(0)
    rule = doc.add_paragraph()
    rule.paragraph_format.space_after = Pt(12)
    _rule(rule, 0.3)
    if form.to:
        add_text(doc, form.to, center=True)


def start_document(form: Form) -> Document:
    """A new document with the form's header and title."""
    doc = new_document()
    doc.core_properties.title = f"{form.title} {form.subject}".strip()
    add_header(doc, form)
    return doc


def add_table(doc: Document, headers: Sequence[str], rows: Sequence[Sequence[str]],
              widths_mm: Sequence[int], numeric: Sequence[bool] = ()) -> Table:
    """A framed table, its header bold and repeated on every page, SMALL type."""
    table: Table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0]
    _repeat_header(head)
    for cell, label, width in zip(head.cells, headers, widths_mm, strict=True):
        cell.width = Mm(width)
        _cell_text(cell, label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    right = list(numeric) + [False] * (len(headers) - len(numeric))
    for values in rows:
        row = table.add_row()  # type: ignore[no-untyped-call]  # python-docx 1.2 leaves it untyped
        _no_split(row)
        for cell, value, width, is_number in zip(row.cells, values, widths_mm, right,
                                                 strict=True):
            cell.width = Mm(width)
            _cell_text(cell, value, align=WD_ALIGN_PARAGRAPH.RIGHT if is_number
                       else WD_ALIGN_PARAGRAPH.LEFT)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)
    return table


def _cell_text(cell: _Cell, value: str, *, bold: bool = False,
               align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.LEFT) -> None:
    p = cell.paragraphs[0]
    run = p.add_run(value)
    run.bold = bold or None
    run.font.size = Pt(SMALL)
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)


def _repeat_header(row: _Row) -> None:
    pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    pr.append(el)


def _no_split(row: _Row) -> None:
    pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    pr.append(el)


def add_closing(doc: Document, form: Form, last: Sequence[Paragraph]) -> Table:
    """The recipients and the signatures, kept on one page with the last paragraphs of the
    body: each of those keeps with the next, and the closing's one row never splits."""
    for p in last:
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.keep_together = True
    columns = ([form.recipients] if form.recipients else []) + list(form.signers)
    table: Table = doc.add_table(rows=1, cols=len(columns))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    row = table.rows[0]
    _no_split(row)
    cells = list(row.cells)
    if form.recipients:
        _recipients(cells.pop(0), form)
    for cell, signer in zip(cells, form.signers, strict=True):
        _signature(cell, signer)
    return table


def _recipients(cell: _Cell, form: Form) -> None:
    """'Noi nhan:' bold italic 12, its lines 11, as Phu luc I sets them."""
    cell.width = Mm(70)
    p = cell.paragraphs[0]
    run = p.add_run(form.recipients_title)
    run.bold, run.italic, run.font.size = True, True, Pt(12)
    for line in form.recipients:
        q = cell.add_paragraph()
        q.add_run(line).font.size = Pt(11)
        q.paragraph_format.space_after = Pt(0)
        q.paragraph_format.keep_with_next = True


def _signature(cell: _Cell, signer: Signer) -> None:
    first = True
    for line in signer.lines:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        p.add_run(line).bold = True
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        p.paragraph_format.keep_with_next = True
    if signer.hint:
        add_text(cell, signer.hint, italic=True, center=True).paragraph_format.keep_with_next = True
    for _ in range(4):  # room to sign
        cell.add_paragraph().paragraph_format.keep_with_next = True
    add_text(cell, signer.name, bold=True, center=True)


def paper_docx(paper: Paper) -> bytes:
    """The same document as a Word file."""
    doc = start_document(paper.form)
    split = len(paper.body) - min(paper.keep, len(paper.body))
    kept: list[Paragraph] = []
    for n, block in enumerate(paper.body):
        made = _docx_block(doc, block)
        if n >= split:
            kept += made
    add_closing(doc, paper.form, kept)
    return docx_bytes(doc)


def _docx_block(doc: Document, block: Block) -> list[Paragraph]:
    """Adds one block; returns its paragraphs (those a page break must not part from the
    closing, when the block is kept)."""
    if isinstance(block, Para):
        return [add_text(doc, block.text, bold=block.bold, italic=block.italic,
                         center=block.center, indent=block.indent and not block.center)]
    if isinstance(block, Grid):
        table = add_table(doc, block.headers, [list(r) for r in block.rows], block.widths_mm,
                          block.numeric)
        return [p for row in table.rows for c in row.cells for p in c.paragraphs]
    picture = io.BytesIO()
    segno.make(block.payload, error="m").save(picture, kind="png", scale=5)
    p = doc.add_paragraph()
    p.add_run().add_picture(io.BytesIO(picture.getvalue()), width=Mm(30))
    return [p, *(add_text(doc, line) for line in block.lines)]


# ---- .xlsx ------------------------------------------------------------------------------------


def paper_xlsx(paper: Paper, sheet_title: str) -> bytes:
    """The same document as a worksheet, for an official who keeps tables in Excel: the
    header table in two halves, the title, the body's paragraphs as merged rows and its
    tables framed, then the recipients beside the signer. A QR has no place in a cell: its
    lines stand alone."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet_title[:31]
    width = max([len(b.headers) for b in paper.body if isinstance(b, Grid)] + [4])
    sheet = _Sheet(ws, width)
    form = paper.form
    half = max(width // 2, 1)
    sheet.pair((form.superior + "\n" if form.superior else "") + form.body,
               f"{form.nation}\n{form.motto}", half, bold=True)
    sheet.pair(form.number, form.place_date, half, italic_right=True)
    sheet.line("")
    for line in (form.title, form.subject, form.to):
        if line:
            sheet.line(line, bold=line is not form.to, center=True)
    for block in paper.body:
        if isinstance(block, Grid):
            sheet.grid(block)
        else:
            for line in (block.text,) if isinstance(block, Para) else block.lines:
                sheet.line(line, bold=isinstance(block, Para) and block.bold)
    sheet.line("")
    signers = "\n\n".join("\n".join((*s.lines, s.hint, "\n\n", s.name)).strip()
                          for s in form.signers)
    recipients = "\n".join((form.recipients_title, *form.recipients)) if form.recipients else ""
    sheet.pair(recipients, signers, half, bold=True)
    write_text_as_text(ws)  # names come from officials' and donors' lists
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


class _Sheet:
    """Rows written one after the other across `width` columns."""

    def __init__(self, ws: Worksheet, width: int) -> None:
        self.ws, self.width, self.row = ws, width, 1
        for n in range(1, width + 1):
            ws.column_dimensions[get_column_letter(n)].width = 40 if n == 2 else 14

    def line(self, value: str, *, bold: bool = False, center: bool = False) -> None:
        self._merged(self.row, 1, self.width, value, bold=bold, center=center)
        self.row += 1

    def pair(self, left: str, right: str, half: int, *, bold: bool = False,
             italic_right: bool = False) -> None:
        self._merged(self.row, 1, half, left, bold=bold, center=True)
        self._merged(self.row, half + 1, self.width, right, bold=bold and not italic_right,
                     center=True, italic=italic_right)
        lines = max(left.count("\n"), right.count("\n")) + 1
        self.ws.row_dimensions[self.row].height = 16 * lines
        self.row += 1

    def grid(self, grid: Grid) -> None:
        thin = Side(style="thin")
        box = Border(left=thin, right=thin, top=thin, bottom=thin)
        for r, values in enumerate((grid.headers, *grid.rows)):
            for c, value in enumerate(values, start=1):
                cell = self.ws.cell(self.row, c, value)
                cell.border = box
                cell.font = Font(bold=r == 0)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            self.row += 1

    def _merged(self, row: int, first: int, last: int, value: str, *, bold: bool = False,
                center: bool = False, italic: bool = False) -> None:
        cell = self.ws.cell(row, first, value)
        cell.font = Font(bold=bold, italic=italic)
        cell.alignment = Alignment(horizontal="center" if center else "left",
                                   vertical="top", wrap_text=True)
        if last > first:
            self.ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
