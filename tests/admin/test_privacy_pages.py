"""Decree 13 on the resident's page: download the data, erase it only when confirmed."""

from __future__ import annotations

from tests.admin.conftest import Admin

AN = "N\u00f4ng V\u0103n An"


async def test_the_officer_downloads_then_erases_a_residents_data(admin: Admin) -> None:
    await admin.login("commune")
    own = admin.world.residents["own"]
    download = await admin.client.get(f"/admin/residents/{own}/personal-data.json")
    assert download.status == 200 and "attachment" in download.headers["Content-Disposition"]
    assert (await download.json())["resident"]["full_name"] == AN
    unconfirmed = await admin.post(f"/admin/residents/{own}/erase", {})
    assert unconfirmed.status == 400
    assert admin.runtime.catalogue.text("admin-privacy-confirm-needed", "vi") in \
        await unconfirmed.text()
    done = await admin.post(f"/admin/residents/{own}/erase", {"confirm": "yes"})
    assert done.status == 302
    page = await (await admin.client.get(f"/admin/residents/{own}")).text()
    assert AN not in page and f"#{own}" in page
    listed = await (await admin.client.get("/admin/residents")).text()
    assert AN not in listed
