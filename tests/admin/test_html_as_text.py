"""HTML and script typed into a donor's name, a phone model or a shop's offer are shown as
text on the admin pages and on the public pledge page, never run. (A resident's name cannot
hold markup at all: core.names refuses the characters, tests/core/test_names.py.)"""

from __future__ import annotations

from markupsafe import escape

from core.model import PledgeKind
from core.services.pledges import PledgeForm, make_pledge
from tests.admin.conftest import START, Admin
from tests.conftest import SYSTEM

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"


async def test_markup_in_names_and_pledges_is_shown_as_text(admin: Admin) -> None:
    uow = admin.runtime.uow
    async with uow() as u:
        phones = await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.PHONES, quantity=1, condition="new", model=IMG,
            commune_id=admin.world.units["commune"].id, donor_name=f"{SCRIPT} Shop"),
            None, None, START)
        offer = await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.OFFER, offer=f"{IMG} -20%", donor_name=f"{IMG} Shop"), None, None, START)
        await u.commit()
    assert phones.donor_name == f"{SCRIPT} Shop" and phones.model == IMG  # kept as typed

    await admin.login("province")
    pages = ["/admin/pledges",
             f"/admin/pledges/{phones.code}", f"/admin/pledges/{offer.code}",
             f"/public/pledge/{phones.code}"]
    for path in pages:
        answer = await admin.client.get(path)
        assert answer.status == 200, path
        page = await answer.text()
        assert SCRIPT not in page and IMG not in page, path
        assert str(escape(SCRIPT)) in page or str(escape(IMG)) in page, path  # as text
    quiet = await (await admin.client.get(f"/public/pledge/{offer.code}")).text()
    assert SCRIPT not in quiet and IMG not in quiet  # the public page names no shop's offer
