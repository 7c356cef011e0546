"""The allocation page for real lists (issue 16, item 4): a commune's list filtered and paged,
its rank column, the tiers' legend, the print view and the export of the filter shown; the
province's summary per commune first; another commune's list is not found.

The hand-made commune: xa Con Minh holds 2 phones and no money, and 55 approved adults wait,
each of a poor household of their own with no policy family (whole-phone tier 3, money tier
1): the phone queue holds 55 (the first 2 reached), the money queue the 53 not given a phone,
so the list has 55 + 53 = 108 lines: pages 1-50, 51-100, 101-108.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from openpyxl import load_workbook

from admin.allocation import summarise
from core.page_views import AuditQuery
from core.services import allocation, registry
from core.services.audit import READ_LIST
from core.services.receiving import ReceiptForm, record_receipt
from tests.admin.conftest import START, Admin, add_person
from tests.conftest import SYSTEM

ROW = re.compile(r'<tr class="(?:waiting|given)" data-id="(\d+)"')
RANK = re.compile(r'<td class="num rank">([^<]+)</td>')
ADDED = 53  # with the world's own two: 55 in xa Con Minh


async def fill_commune(admin: Admin) -> None:
    w = admin.world
    for i in range(ADDED):
        await add_person(admin.runtime.uow, w.units["village"],
                         f"Ma V\u0103n {chr(65 + i // 26)}{chr(97 + i % 26)}",
                         date(1960, 1 + i % 12, 1 + i // 12), f"T-{i:03d}")
    async with admin.runtime.uow() as u:
        for resident in await u.residents.in_units([w.units["commune"].id, w.units["sibling"].id]):
            await registry.approve(u, SYSTEM, resident.id, START)
        await record_receipt(u, SYSTEM, ReceiptForm(w.units["commune"].id, phones=2), START)
        await u.commit()


def shown(admin: Admin, key: str, **params: object) -> str:
    return admin.runtime.catalogue.text(key, "vi", **params)


async def page(admin: Admin, **params: object) -> str:
    got = await admin.client.get("/admin/allocation", params=params)
    assert got.status == 200
    return await got.text()


async def test_a_communes_list_is_paged_with_the_right_numbers(admin: Admin) -> None:
    await fill_commune(admin)
    await admin.login("commune")
    first = await page(admin)
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=108) in first
    assert len(ROW.findall(first)) == 50
    assert RANK.findall(first)[:2] == ["1/55", "2/55"]
    last = await page(admin, page=3)
    assert shown(admin, "lists-rows-shown", first=101, last=108, total=108) in last
    assert len(ROW.findall(last)) == 8
    assert RANK.findall(last)[-1] == "53/53"  # the money queue's last
    beyond = await page(admin, page=99)  # past the end: the last page
    assert shown(admin, "lists-rows-shown", first=101, last=108, total=108) in beyond


async def test_the_filter_keeps_the_tier_queue_and_status_asked(admin: Admin) -> None:
    await fill_commune(admin)
    await admin.login("commune")
    given = await page(admin, queue="whole", status="given")
    assert RANK.findall(given) == ["1/55", "2/55"]
    assert shown(admin, "lists-rows-shown", first=1, last=2, total=2) in given
    waiting = await page(admin, queue="whole", status="waiting", page=2)
    assert shown(admin, "lists-rows-shown", first=51, last=53, total=53) in waiting
    money = await page(admin, tier=1)  # tier 1 is only the money queue's here
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=53) in money
    assert shown(admin, "export-value-queue-whole") not in money.split("<tbody>")[-1]
    nobody = await page(admin, tier=2)
    assert shown(admin, "admin-allocation-nobody") in nobody
    for bad in ({"tier": "9"}, {"queue": "gift"}, {"status": "x"}, {"tier": "1x"}):
        assert (await admin.client.get("/admin/allocation", params=bad)).status == 400


async def test_the_legend_names_the_plans_eight_tiers_in_words(admin: Admin) -> None:
    await admin.login("commune")
    html = await page(admin)
    for queue in ("whole", "partial"):
        for tier in range(1, 5):
            assert shown(admin, f"alloc-legend-{queue}-{tier}") in html


async def test_the_print_view_holds_every_line_of_the_filter_on_one_page(admin: Admin) -> None:
    await fill_commune(admin)
    await admin.login("commune")
    printed = await page(admin, queue="whole", print="1")
    assert len(ROW.findall(printed)) == 55
    assert 'id="row-count"' not in printed and "commit-list" not in printed


async def test_the_export_carries_the_filter_shown(admin: Admin) -> None:
    await fill_commune(admin)
    await admin.login("commune")
    got = await admin.client.get("/admin/allocation.xlsx",
                                 params={"queue": "whole", "status": "given"})
    assert got.status == 200
    sheet = load_workbook(io.BytesIO(await got.read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == (shown(admin, "column-commune"), shown(admin, "column-village"))
    assert len(rows) == 3  # the header and the two people reached by the two phones
    by_title = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [r[shown(admin, "column-rank")] for r in by_title] == [1, 2]
    assert {r[shown(admin, "column-queue")] for r in by_title} == {
        shown(admin, "export-value-queue-whole")}
    assert {r[shown(admin, "column-tier")] for r in by_title} == {3}
    as_csv = await admin.client.get("/admin/allocation.csv", params={"tier": "1"})
    lines = list(csv.DictReader(io.StringIO((await as_csv.read()).decode("utf-8-sig"))))
    # the CSV as every list leaves: the same Vietnamese titles and words as the workbook
    queue, rank = shown(admin, "column-queue"), shown(admin, "column-rank")
    assert len(lines) == 53
    assert {x[queue] for x in lines} == {shown(admin, "export-value-queue-partial")}
    assert [x[rank] for x in lines[:3]] == ["1", "2", "3"]
    async with admin.runtime.uow() as u:  # names left the programme: the trail says so
        trail = await u.views.audit_page(AuditQuery(
            unit_ids=(admin.world.units["commune"].id,), action=READ_LIST), 10)
    assert [(x.entry.after or {}).get("rows") for x in trail] == [53, 2]


async def test_the_province_sees_each_commune_then_drills_into_one(admin: Admin) -> None:
    await fill_commune(admin)
    await admin.login("province")
    html = await page(admin)
    summary = html.split('id="summary"')[1].split("</table>")[0]
    con_minh = summary.split(f'data-commune="{admin.world.units["commune"].id}"')[1]
    cells = re.findall(r'<td class="num">([^<]*)</td>', con_minh.split("</tr>")[0])
    assert cells == ["55", "2", "2", "53", "0", "0"]
    nghia_ta = summary.split(f'data-commune="{admin.world.units["sibling"].id}"')[1]
    assert re.findall(r'<td class="num">([^<]*)</td>', nghia_ta.split("</tr>")[0]) == [
        "1", "0", "0", "1", "0", "0"]
    assert not ROW.findall(html)  # no one is listed before a commune is chosen
    drilled = await page(admin, commune=admin.world.units["commune"].id)
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=108) in drilled


async def test_another_communes_list_is_not_found(admin: Admin) -> None:
    await fill_commune(admin)
    await admin.login("sibling")
    for path in ("/admin/allocation", "/admin/allocation.xlsx", "/admin/allocation.csv"):
        got = await admin.client.get(path, params={"commune": admin.world.units["commune"].id})
        assert got.status == 404, path
    own = await page(admin)
    assert shown(admin, "lists-rows-shown", first=1, last=2, total=2) in own
    await admin.logout()
    await admin.login("province")
    foreign = await admin.client.get("/admin/allocation",
                                     params={"commune": admin.world.units["foreign"].id})
    assert foreign.status == 404


async def test_each_summary_line_is_that_communes_own_preview(admin: Admin) -> None:
    """The summary plans a page of communes at once; each line must be what the commune's own
    page (preview for that commune alone) says, each from its own stock."""
    await fill_commune(admin)
    w = admin.world
    communes = sorted([w.units["commune"], w.units["sibling"]], key=lambda c: c.id)
    async with admin.runtime.uow() as u:
        await record_receipt(u, SYSTEM, ReceiptForm(w.units["sibling"].id, phones=1), START)
        await u.commit()
    async with admin.runtime.uow() as u:
        together = await allocation.own_lists(u, w.units["commune"].dataset, START.date(),
                                              communes, 500_000)
        alone = [(await allocation.preview(u, c.dataset, START.date(), 500_000, unit=c)
                  ).written_lists[0] for c in communes]
    assert together == alone
    # by hand: Con Minh 55 waiting, its 2 phones reach 2, the 53 others wait for money;
    # Nghia Ta 1 waiting, its 1 phone reaches them, nobody waits for money
    lines = {c.commune.id: summarise(c) for c in together}
    assert {k: (s.phone_queue, s.phones, s.phones_given, s.money_queue, s.money_given)
            for k, s in lines.items()} == {w.units["commune"].id: (55, 2, 2, 53, 0),
                                           w.units["sibling"].id: (1, 1, 1, 0, 0)}
