"""Approving, rejecting, correcting, finding, paging and exporting residents."""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import load_workbook

from core.model import Status
from tests.admin.conftest import START, Admin, add_person

REASON = "\u0110\u00e3 c\u00f3 \u0111i\u1ec7n tho\u1ea1i"  # already has a phone
AN, BINH = "N\u00f4ng V\u0103n An", "L\u00f2 Th\u1ecb B\u00ecnh"
HEADERS = ("M\u00e3 s\u1ed1", "X\u00e3", "Th\u00f4n", "M\u00e3 h\u1ed9", "Ch\u1ee7 h\u1ed9",
           "H\u1ecd v\u00e0 t\u00ean")
ROW_ID = re.compile(r'<tr data-id="(\d+)">')


async def status_of(admin: Admin, resident_id: int) -> tuple[Status, str | None]:
    async with admin.runtime.uow() as uow:
        r = await uow.residents.get(resident_id)
    assert r is not None
    return r.status, r.reject_reason


async def test_approve_one(admin: Admin) -> None:
    await admin.login("commune")
    own = admin.world.residents["own"]
    r = await admin.post(f"/admin/residents/{own}/approve")
    assert (r.status, r.headers["Location"]) == (302, f"/admin/residents/{own}")
    assert (await status_of(admin, own))[0] is Status.APPROVED
    page = await admin.client.get(f"/admin/residents/{own}")
    assert admin.runtime.text("admin-action-approve") in await page.text()


async def test_bulk_approve_takes_every_ticked_row_and_nothing_else(admin: Admin) -> None:
    await admin.login("province")
    w = admin.world.residents
    r = await admin.post("/admin/residents/approve", {"ids": [str(w["own"]), str(w["sibling"])]})
    assert r.status == 302
    assert [(await status_of(admin, w[k]))[0] for k in ("own", "sibling", "own2")] == [
        Status.APPROVED, Status.APPROVED, Status.REGISTERED]


async def test_bulk_approve_with_one_foreign_id_changes_nothing(admin: Admin) -> None:
    await admin.login("commune")
    w = admin.world.residents
    r = await admin.post("/admin/residents/approve", {"ids": [str(w["own"]), str(w["sibling"])]})
    assert r.status == 404
    assert (await status_of(admin, w["own"]))[0] is Status.REGISTERED


async def test_reject_needs_a_reason(admin: Admin) -> None:
    await admin.login("commune")
    own = admin.world.residents["own"]
    r = await admin.post(f"/admin/residents/{own}/reject", {"reason": "   "})
    assert r.status == 400
    assert admin.runtime.text("registry-reject-needs-reason") in await r.text()
    assert await status_of(admin, own) == (Status.REGISTERED, None)
    r = await admin.post(f"/admin/residents/{own}/reject", {"reason": REASON})
    assert r.status == 302
    assert await status_of(admin, own) == (Status.REJECTED, REASON)


async def test_edit_is_checked_and_the_trail_shows_before_and_after(admin: Admin) -> None:
    await admin.login("commune")
    own = admin.world.residents["own"]
    form = {"full_name": "n\u00f4ng v\u0103n an", "date_of_birth": "01/03/1970", "citizen_id": "",
            "phone": "0912 345 678", "has_smartphone": "1"}
    bad = await admin.post(f"/admin/residents/{own}/edit", {**form, "date_of_birth": "01/03/2015"})
    assert bad.status == 400
    assert admin.runtime.text("registry-minor", born="01/03/2015") in await bad.text()
    r = await admin.post(f"/admin/residents/{own}/edit", form)
    assert r.status == 302
    async with admin.runtime.uow() as uow:
        resident = await uow.residents.get(own)
        trail = await uow.audit.for_entity("resident", own)
    assert resident is not None and (resident.phone, resident.has_smartphone) == (
        "+84912345678", True)
    assert (trail[-1].action, trail[-1].before, trail[-1].after) == (
        "update", {"phone": None, "has_smartphone": False},
        {"phone": "+84912345678", "has_smartphone": True})
    page = await (await admin.client.get(f"/admin/residents/{own}")).text()
    # the fields by their Vietnamese column names, yes and no in words (issue 17, item 6)
    say = admin.runtime.text
    assert f"<li>{say('column-phone')}:  \u2192 +84912345678</li>" in page
    assert f"<li>{say('column-has_smartphone')}: {say('export-no')} \u2192 {say('export-yes')}" \
        in page


async def test_a_duplicate_citizen_id_is_named_not_saved(admin: Admin) -> None:
    await admin.login("province")
    w = admin.world.residents
    form = {"full_name": "L\u00f2 Th\u1ecb B\u00ecnh", "date_of_birth": "01/03/1971",
            "citizen_id": "006171000123", "phone": "", "has_smartphone": ""}
    assert (await admin.post(f"/admin/residents/{w['own2']}/edit", form)).status == 302
    r = await admin.post(f"/admin/residents/{w['sibling']}/edit", {
        **form, "full_name": "Ho\u00e0ng V\u0103n C\u01b0\u1eddng", "date_of_birth": "01/03/1972",
        "citizen_id": "006172000123"})
    assert r.status == 302
    clash = await admin.post(f"/admin/residents/{w['sibling']}/edit", {
        **form, "full_name": "Ho\u00e0ng V\u0103n C\u01b0\u1eddng", "date_of_birth": "01/03/1971"})
    assert clash.status == 400
    assert "L\u00f2 Th\u1ecb B\u00ecnh" in await clash.text()


async def test_search_without_diacritics_finds_the_vietnamese_name(admin: Admin) -> None:
    await admin.login("commune")
    for query in ("nong van", "N\u00d4NG V\u0102N", "an", "van an"):
        page = await (await admin.client.get("/admin/residents", params={"q": query})).text()
        assert "N\u00f4ng V\u0103n An" in page, query
        assert "L\u00f2 Th\u1ecb B\u00ecnh" not in page
    none = await (await admin.client.get("/admin/residents", params={"q": "ong van"})).text()
    assert "N\u00f4ng V\u0103n An" not in none  # a prefix of a word, not any part of it


async def test_keyset_pages_show_every_row_once(admin: Admin) -> None:
    village = admin.world.units["village"]
    letters = "abcdefghiklmnopqrstuvxy"
    for i in range(60):
        name = f"Ma Van {letters[i // 20].upper()}{letters[i % 20]}"
        await add_person(admin.runtime.uow, village, name, date(1980, 1, 1 + i % 28),
                         f"PG-{i:03d}")
    await admin.login("commune")
    seen: list[int] = []
    url: str | None = "/admin/residents"
    while url:
        text = await (await admin.client.get(url)).text()
        seen.extend(int(x) for x in ROW_ID.findall(text))
        found = re.search(r'href="(\?[^"]*after=\d+[^"]*)" rel="next"', text)
        url = "/admin/residents" + found.group(1).replace("&amp;", "&") if found else None
    async with admin.runtime.uow() as uow:
        expected = [r.id for r in await uow.residents.in_units([admin.world.units["commune"].id])]
    assert len(expected) == 62
    assert seen == expected  # in order, every row once, two pages


async def test_export_is_an_xlsx_with_vietnamese_headers(admin: Admin) -> None:
    await admin.login("commune")
    r = await admin.client.get("/admin/residents.xlsx", params={"status": "registered"})
    assert r.status == 200
    assert r.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(await r.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == (*HEADERS, "Ng\u00e0y sinh")
    names = {row[5] for row in rows[1:]}
    assert names == {AN, BINH}  # the commune's, not the sibling's
    assert {row[14] for row in rows[1:]} == {"Ch\u1edd duy\u1ec7t"}
    assert rows[1][15].date() == START.date() and rows[1][16] is None
