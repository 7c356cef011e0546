"""A report built from the web for any month and unit in scope (issue 16 item 3): the preview's
tables, the xlsx, sections II and III written by the officer (issue 17 item 2), and the send
button under the scheduler's exactly-once rule."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.i18n import load_catalogue
from storage.models import AuditRow, OutboxRow, ReportRunRow
from tests.admin.conftest import Admin

TEXTS = load_catalogue()
OCTOBER = datetime(2023, 10, 5, 3, 0, tzinfo=UTC)  # September is over; its report not yet sent
HARD = "Th\u00f4n N\u00e0 D\u0103m ch\u01b0a c\u00f3 s\u00f3ng 4G."  # a difficulty, typed
ASK = "\u0110\u1ec1 ngh\u1ecb t\u1ec9nh b\u1ed5 sung 10 m\u00e1y."  # a proposal


def vi(key: str, **params: object) -> str:
    return TEXTS.text(key, "vi", **params)


async def count(admin: Admin, row: type, *where: object) -> int:
    async with admin.runtime.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(row).where(*where)) or 0)


async def link_commune_officer(admin: Admin) -> int:
    """The commune officer links a chat, so that a report sent reaches someone."""
    async with admin.runtime.uow() as u:
        officer = await u.officials.by_login("xa")
        assert officer is not None
        chat = await u.chats.get_or_create("webchat", "chat-xa", OCTOBER)
        chat.official_id = officer.id
        await u.chats.save(chat)
        await u.commit()
    return officer.id


async def in_october(admin: Admin, who: str) -> int:
    """Signed in as `who` on 5 October 2023; the world's commune's id."""
    admin.clock.at = OCTOBER
    assert (await admin.login(who)).status == 302
    return admin.world.units["commune"].id


def total_row(html: str, table_id: str) -> list[str]:
    """The cells of a preview table's totals row, as the page writes them."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, table_id
    row = re.search(r'<tr class="total">(.*?)</tr>', table.group(0), re.S)
    assert row
    return [c.strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)]


def header_row(html: str, table_id: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table
    return [c.strip() for c in re.findall(r"<th>(.*?)</th>", table.group(0).split("</thead>")[0])]


async def test_the_commune_previews_last_month_by_default_with_its_figures(admin: Admin) -> None:
    admin.clock.at = OCTOBER
    assert (await admin.login("commune")).status == 302
    page = await admin.client.get("/admin/reports/build")
    assert page.status == 200
    html = await page.text()
    commune = admin.world.units["commune"]
    assert vi("report-build-heading", unit="x\u00e3 C\u00f4n Minh", month="09/2023") in html
    # the world registered two people of xa Con Minh (village Na Dam) on 12/09/2023
    headers = header_row(html, "month")
    registered = headers.index(vi("reports-col-registered"))
    assert total_row(html, "month")[registered] == "2"
    assert total_row(html, "month")[2] == commune.code
    assert total_row(html, "to-date")[registered] == "2"
    # not sent yet, and the button is there
    assert vi("report-build-not-sent") in html and 'action="/admin/reports/send"' in html


async def test_units_outside_the_scope_and_months_to_come_are_refused(admin: Admin) -> None:
    admin.clock.at = OCTOBER
    assert (await admin.login("commune")).status == 302
    sibling = admin.world.units["sibling"]
    r = await admin.client.get(f"/admin/reports/build?unit={sibling.id}&month=2023-09")
    assert r.status == 404
    r = await admin.client.get(f"/admin/reports/build.xlsx?unit={sibling.id}&month=2023-09")
    assert r.status == 404
    r = await admin.client.get("/admin/reports/build?month=2023-11")
    assert r.status == 400
    assert vi("report-build-future", month="11/2023") in await r.text()
    r = await admin.client.get("/admin/reports/build?month=2023-13")
    assert r.status == 400
    for action in ("notes", "send"):
        r = await admin.post(f"/admin/reports/{action}", {
            "unit": sibling.id, "month": "2023-09", "difficulties": HARD, "proposals": ""})
        assert r.status == 404, action
    assert await count(admin, AuditRow, AuditRow.entity.in_(("report", "report-notes"))) == 0
    assert await count(admin, ReportRunRow) == 0


async def test_the_province_may_build_a_commune_report_and_a_village_head_none(
    admin: Admin,
) -> None:
    commune = await in_october(admin, "province")
    html = await (await admin.client.get(
        f"/admin/reports/build?unit={commune}&month=2023-09")).text()
    assert f'<option value="{commune}" selected>' in html
    assert f'<option value="{admin.world.units["sibling"].id}"' in html
    assert f'<option value="{admin.world.units["foreign"].id}"' not in html
    await admin.logout()
    assert (await admin.login("village_head")).status == 302
    assert (await admin.client.get("/admin/reports/build")).status == 404
    r = await admin.post("/admin/reports/send", {"unit": commune, "month": "2023-09"})
    assert r.status == 403


async def test_sections_two_and_three_are_saved_audited_once_and_in_the_xlsx(
    admin: Admin,
) -> None:
    commune = await in_october(admin, "commune")
    form = {"unit": commune, "month": "2023-09", "difficulties": HARD + "\r\n", "proposals": ASK}
    forged = await admin.post("/admin/reports/notes", form, token="forged")
    assert forged.status == 403
    assert await count(admin, AuditRow, AuditRow.entity == "report-notes") == 0

    saved = await admin.post("/admin/reports/notes", form)
    assert saved.status == 302
    assert saved.headers["Location"].startswith(f"/admin/reports/build?unit={commune}")
    again = await admin.post("/admin/reports/notes", form)  # a double click
    assert again.status == 302
    assert await count(admin, AuditRow, AuditRow.entity == "report-notes",
                       AuditRow.unit_id == commune) == 1

    html = await (await admin.client.get(
        f"/admin/reports/build?unit={commune}&month=2023-09")).text()
    assert f">{HARD}</textarea>" in html and f">{ASK}</textarea>" in html

    r = await admin.client.get(f"/admin/reports/build.xlsx?unit={commune}&month=2023-09")
    assert r.status == 200
    sheet = load_workbook(io.BytesIO(await r.read())).worksheets[0]
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    at = cells.index(vi("report-notes-difficulties"))
    assert cells[at + 1] == HARD  # the line break typed at the end is not kept
    assert cells[at + 3] == ASK and cells[at + 2] == vi("report-notes-proposals")

    # the formal report (Decree 30, mau 1.4) carries the same sections, in order
    r = await admin.client.get(f"/admin/reports/build.docx?unit={commune}&month=2023-09")
    assert r.status == 200 and r.headers["Content-Disposition"].endswith('.docx"')
    doc = Document(io.BytesIO(await r.read()))
    paragraphs = [p.text for p in doc.paragraphs]
    hard_at, ask_at = paragraphs.index(HARD), paragraphs.index(ASK)
    assert 0 < hard_at < ask_at
    header = [cell.text for row in doc.tables[0].rows for cell in row.cells]
    assert any("/BC-UBND" in cell for cell in header)  # the report's number, in the header

    too_long = await admin.post("/admin/reports/notes", {**form, "proposals": "x" * 4001})
    assert too_long.status == 400
    page = await too_long.text()
    assert vi("report-notes-too-long", limit=4000) in page
    assert "x" * 4001 in page  # what was typed is given back


async def test_send_is_once_the_second_click_says_when_and_the_sections_go_with_it(
    admin: Admin,
) -> None:
    officer = await link_commune_officer(admin)
    commune = await in_october(admin, "commune")
    await admin.post("/admin/reports/notes", {"unit": commune, "month": "2023-09",
                                              "difficulties": HARD, "proposals": ""})

    sent = await admin.post("/admin/reports/send", {"unit": commune, "month": "2023-09"})
    assert sent.status == 302
    key = f"report:{commune}:2023-09:{officer}"
    assert await count(admin, OutboxRow, OutboxRow.dedupe_key == key) == 1
    async with admin.runtime.engine.connect() as conn:
        reply, = (await conn.execute(select(OutboxRow.reply).where(
            OutboxRow.dedupe_key == key))).one()
        figures, trigger = (await conn.execute(select(
            ReportRunRow.figures, ReportRunRow.trigger).where(
            ReportRunRow.unit_id == commune, ReportRunRow.month == "2023-09"))).one()
    assert HARD in str(reply) and vi("report-notes-difficulties") in str(reply)
    assert figures["notes"] == {"difficulties": HARD, "proposals": ""}
    assert trigger == "web:xa"
    assert await count(admin, AuditRow, AuditRow.entity == "report",
                       AuditRow.action == "send") == 1

    page = await (await admin.client.get(sent.headers["Location"])).text()
    assert vi("report-build-was-sent", when="05/10/2023 10:00", names="Can Bo Xa") in page
    assert 'action="/admin/reports/send"' not in page

    admin.clock.advance(minutes=3)
    again = await admin.post("/admin/reports/send", {"unit": commune, "month": "2023-09"})
    assert again.status == 409
    assert vi("reports-already-sent", unit=admin.world.units["commune"].name, month="09/2023",
              when="05/10/2023 10:00") in await again.text()
    assert await count(admin, OutboxRow, OutboxRow.dedupe_key.startswith("report:")) == 1
    assert await count(admin, ReportRunRow) == 1

    late = await admin.post("/admin/reports/notes", {"unit": commune, "month": "2023-09",
                                                     "difficulties": "", "proposals": ASK})
    assert late.status == 400
    assert vi("report-notes-after-sent", unit="x\u00e3 C\u00f4n Minh", month="09/2023",
              when="05/10/2023 10:00") in await late.text()


async def test_a_month_not_over_is_previewed_but_not_sent(admin: Admin) -> None:
    await link_commune_officer(admin)
    commune = await in_october(admin, "commune")
    html = await (await admin.client.get("/admin/reports/build?month=2023-10")).text()
    assert vi("report-build-not-over", month="10/2023") in html
    assert 'action="/admin/reports/send"' not in html
    r = await admin.post("/admin/reports/send", {"unit": commune, "month": "2023-10"})
    assert r.status == 400
    assert vi("report-send-month-not-over", month="10/2023") in await r.text()
    assert await count(admin, ReportRunRow) == 0
