"""Lists counted up to a bound (issue 21): past admin.paging.COUNTED rows the residents and
households lists say "of more than N" instead of counting a province's million, and the
residents list goes on past its last numbered page from the last row seen.

With COUNTED set to 50 (one page) and the hand-made commune of test_residents_lists (62
residents and 62 households in xa Con Minh): page 1 says "1-50 of more than 50"; its "next"
carries the 50th resident's id, and that page holds the 12 left, with no "next" after them.
"""

from __future__ import annotations

import re

import pytest

from admin import residents
from tests.admin.conftest import Admin
from tests.admin.test_residents_lists import ROW, body_rows, fill_commune, get, shown

AFTER = re.compile(r'href="\?after=(\d+)" rel="next"')


async def test_past_the_count_the_list_goes_on_from_the_last_row(
        admin: Admin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(residents, "COUNTED", 50)
    await fill_commune(admin)
    await admin.login("commune")
    first = await get(admin, "/admin/residents")
    assert shown(admin, "lists-rows-shown-over", first=1, last=50, total=50) in first
    assert shown(admin, "lists-narrow-hint") in first
    ids = [int(i) for i in ROW.findall(first)]
    assert len(ids) == 50
    cursor = AFTER.findall(first)
    assert cursor == [str(ids[-1])]
    rest = await get(admin, "/admin/residents", after=cursor[0])
    later = [int(i) for i in ROW.findall(rest)]
    assert len(later) == 12 and min(later) > max(ids)
    assert not AFTER.findall(rest) and 'rel="first"' in rest
    # the filters go along: near-poor are the first 12 added, all on the first page
    near = await get(admin, "/admin/residents", poverty="near_poor", after=ids[-1])
    assert ROW.findall(near) == []


async def test_the_households_list_says_more_than(admin: Admin,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(residents, "COUNTED", 50)
    await fill_commune(admin)
    await admin.login("commune")
    homes = await get(admin, "/admin/households")
    assert shown(admin, "lists-rows-shown-over", first=1, last=50, total=50) in homes
    assert len(body_rows(homes)) == 50
    # under the bound, the count is whole as before
    monkeypatch.setattr(residents, "COUNTED", 100)
    homes = await get(admin, "/admin/households")
    assert shown(admin, "lists-rows-shown", first=1, last=50, total=62) in homes
