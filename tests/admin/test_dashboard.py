"""The dashboard: the official's unit and each unit under it, with the report's figures."""

from __future__ import annotations

import re

from core.model import SupportKind
from core.services import registry, survey
from core.services.gifts import record_gift
from tests.admin.conftest import START, Admin
from tests.conftest import SYSTEM


def rows(html: str) -> dict[str, list[str]]:
    """The dashboard's rows: unit name -> its cells' text."""
    table = html.split('id="dashboard"')[1].split("</table>")[0]
    found: dict[str, list[str]] = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        name = re.search(r"<th[^>]*>(.*?)</th>", row, re.S)
        assert name is not None
        found[name.group(1).strip()] = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                      row, re.S)]
    return found


async def test_a_commune_sees_itself_and_its_villages_with_people_served(admin: Admin) -> None:
    w = admin.world
    async with admin.runtime.uow() as u:
        await registry.approve(u, SYSTEM, w.residents["own"], START)
        await record_gift(u, SYSTEM, w.residents["own2"], SupportKind.DIRECT_GIFT,
                          "Cong ty Minh Anh", None, START)
        await survey.mark_survey_done(u, SYSTEM, w.units["village"].id, START)
        await u.commit()
    await admin.login("commune")
    html = await (await admin.client.get("/admin")).text()
    table = rows(html)
    commune, village = w.units["commune"], w.units["village"]
    assert next(iter(table)) == commune.name  # the total first, then the villages
    assert village.name in table and w.units["sibling"].name not in table
    # adults surveyed, registered, approved, whole, partial, gifts, handed over, confirmed,
    # coverage x2, the villages not surveyed
    total = table[commune.name]
    assert total[0] == f"{village.adult_population:,}".replace(",", ".")  # Na Dam alone
    # registered 2, approved 1, no phone or money yet, 1 served by a gift, nothing handed over
    assert total[1:8] == ["2", "1", "0", "0", "1", "0", "0"]
    assert village.adult_population
    share = 100 * (1 - 1 / village.adult_population)  # "own" is still without a phone
    assert total[8] == f"{share:.1f} %".replace(".", ",")  # Vietnamese decimal comma
    async with admin.runtime.uow() as u:
        others = len(await u.units.children(commune.id)) - 1
    unsurveyed = admin.runtime.catalogue.text("coverage-unsurveyed", "vi")
    assert table[village.name][8] != unsurveyed
    assert total[10] == admin.runtime.catalogue.text("coverage-unsurveyed-count", "vi",
                                                     villages=others, people=0)
    for name, cells in table.items():
        if name not in (commune.name, village.name):  # never 100 %: not known yet
            assert cells[8] == cells[9] == unsurveyed
    assert html.count('<svg') == 2 and 'class="chart bars"' in html  # bars, months


async def test_the_province_sees_its_communes_and_nothing_of_another_province(
        admin: Admin) -> None:
    await admin.login("province")
    html = await (await admin.client.get("/admin?lang=en")).text()
    table = rows(html)
    assert admin.world.units["province"].name == next(iter(table))
    assert admin.world.units["foreign"].name not in html
    # nothing surveyed yet: no figure, and every pilot village and its people counted apart
    province = table[admin.world.units["province"].name]
    catalogue = admin.runtime.catalogue
    assert province[-3] == province[-2] == catalogue.text("coverage-unsurveyed", "en")
    assert province[-1] == catalogue.text("coverage-unsurveyed-count", "en", villages=50,
                                          people=3)
