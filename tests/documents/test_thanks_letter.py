"""The donor's thank-you letter: its parts in order, the amount in words, the QR and the check
code; printed with its signature on the page of its last line; and served from the public
pledge page (one receipt of that pledge only, nobody's personal data)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from docx import Document

from bot.runtime import open_runtime
from bot.server import make_app
from bot.settings import load_settings
from core.i18n import load_catalogue
from core.model import Level, Pledge, PledgeKind, PledgeStatus, Receipt, Unit
from core.services.pledges import PledgeForm, make_pledge
from core.services.receiving import ReceiptForm, record_receipt
from documents.decree_form import bound
from documents.thanks_letter import Thanks, thanks_docx, thanks_html
from tests.bot.test_webchat_browser import chromium
from tests.conftest import SYSTEM
from tests.documents.printing import pages_keeping_the_signature
from tests.documents.test_handover_record import _in_order
from tests.documents.test_report_docx import _all_text
from tests.handover_setup import CON_MINH, units

VI = bound(load_catalogue(), "vi")
COMMUNE = Unit(id=7, code="02173", name="X\u00e3 C\u00f4n Minh", level=Level.COMMUNE,
               parent_id=2, dataset="2023")
CHECK = "ab" * 32
PAGE = "https://phocap.example/public/pledge/UH-ABC123"


def _thanks(phones: int = 2, money: int = 1_250_000) -> Thanks:
    pledge = Pledge(id=1, code="UH-ABC123", kind=PledgeKind.PHONES,
                    status=PledgeStatus.RECEIVED, created_at=datetime(2023, 9, 1, tzinfo=UTC),
                    donor_name="C\u00f4ng ty ABC")
    receipt = Receipt(id=5, number="BN-02173-2023-5", unit_id=7,
                      received_at=datetime(2023, 9, 5, 18, tzinfo=UTC),  # the 6th in Vietnam
                      phones=phones, money=money, model="Nokia C32")
    return Thanks(pledge, receipt, COMMUNE, CHECK, PAGE)


def test_the_letter_has_the_donor_what_came_the_receipt_the_qr_and_the_check_code() -> None:
    doc = Document(io.BytesIO(thanks_docx(_thanks(), VI)))
    text = _all_text(doc)
    _in_order(text, [
        "\u1ee6Y BAN NH\u00c2N D\u00c2N\nX\u00c3 C\u00d4N MINH", "S\u1ed1: \u2026/UBND",
        VI("documents-nation"), VI("documents-motto"),
        "C\u00f4n Minh, ng\u00e0y 06 th\u00e1ng 9 n\u0103m 2023",
        "TH\u01af C\u1ea2M \u01a0N", "K\u00ednh g\u1eedi: C\u00f4ng ty ABC",
        "C\u00f4ng ty ABC", "- 2 \u0111i\u1ec7n tho\u1ea1i th\u00f4ng minh (Nokia C32);",
        # the amount in figures and in words, read by hand
        "1.250.000 \u0111\u1ed3ng (M\u1ed9t tri\u1ec7u hai tr\u0103m n\u0103m m\u01b0\u01a1i "
        "ngh\u00ecn \u0111\u1ed3ng)",
        "06/09/2023", "BN-02173-2023-5", PAGE,
        "M\u00e3 ki\u1ec3m tra", CHECK, VI("documents-thanks-closing"),
        "N\u01a1i nh\u1eadn:", "TM. \u1ee6Y BAN NH\u00c2N D\u00c2N", "CH\u1ee6 T\u1ecaCH",
    ])
    assert len(doc.inline_shapes) == 1  # the QR


async def test_the_printed_letter_keeps_its_signature_with_its_last_line() -> None:
    page = thanks_html(_thanks(), VI, "vi")
    assert page.count("<svg") == 1
    async with chromium() as browser:
        counts = await pages_keeping_the_signature(browser, page, range(0, 60, 4))
    assert len(counts) >= 2


async def test_the_public_pledge_page_offers_each_receipts_letter(
    database_url: str, tmp_path: Path, now: datetime,
) -> None:
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url,
                                      "PHOCAP_PUBLIC_URL": "https://phocap.example"},
                             toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as rt:
        commune = (await units(rt.uow, now))[CON_MINH]
        async with rt.uow() as u:
            chat = await u.chats.get_or_create("web", "donor-9", now)
            mine = await make_pledge(u, SYSTEM, PledgeForm(
                PledgeKind.MONEY, amount=500_000, donor_name="C\u00f4ng ty ABC"),
                "web", chat.id, now)
            other = await make_pledge(u, SYSTEM, PledgeForm(
                PledgeKind.MONEY, amount=21_000, donor_name="B\u00e0 Kh\u00e1c"), "web",
                chat.id, now)
            got = await record_receipt(u, SYSTEM, ReceiptForm(
                commune.id, money=500_000, pledge_code=mine.code), now)
            elsewhere = await record_receipt(u, SYSTEM, ReceiptForm(
                commune.id, money=21_000, pledge_code=other.code), now)
            entries = await u.ledger.all()
            await u.commit()
        [entry] = [e for e in entries if e.payload.get("number") == got.number]
        async with TestClient(TestServer(make_app(rt), host="127.0.0.1")) as client:
            pledge_page = await (await client.get(f"/public/pledge/{mine.code}")).text()
            letter_path = f"/public/pledge/{mine.code}/thanks/{got.id}"
            assert letter_path in pledge_page and f"{letter_path}.docx" in pledge_page
            letter = await client.get(letter_path)
            assert letter.status == 200
            body = await letter.text()
            _in_order(body, ["TH\u01af C\u1ea2M \u01a0N", "C\u00f4ng ty ABC",
                             "500.000 \u0111\u1ed3ng (N\u0103m tr\u0103m ngh\u00ecn "
                             "\u0111\u1ed3ng)", got.number,
                             f"https://phocap.example/public/pledge/{mine.code}", entry.hash])
            assert "B\u00e0 Kh\u00e1c" not in body and elsewhere.number not in body
            word = await client.get(f"{letter_path}.docx")
            assert word.status == 200
            assert entry.hash in _all_text(Document(io.BytesIO(await word.read())))
            # another pledge's receipt under this code, or a number nobody has: not found
            for wrong in (f"/public/pledge/{mine.code}/thanks/{elsewhere.id}",
                          f"/public/pledge/{mine.code}/thanks/999999",
                          f"/public/pledge/UH-NOBODY/thanks/{got.id}.docx"):
                assert (await client.get(wrong)).status == 404, wrong
