"""Every admin route, for every role, on its own unit and on another: the status it answers.

The table is checked against the router, so that a route added without an entry fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import FormData

from admin.context import Access
from admin.routes import ROUTES
from tests.admin.conftest import Admin, World

ROLES = ("anonymous", "village_head", "commune", "province")
BAD_CSV = (
    "H\u1ecd v\u00e0 t\u00ean,Ng\u00e0y sinh,Th\u00f4n,M\u00e3 h\u1ed9\n"
    "N\u00f4ng V\u0103n Ba,01/02/1960,N\u00e0 D\u0103m,PX-01\n"
    "Ai \u0110\u00f3,01/02/2020,N\u00e0 D\u0103m,PX-02\n"
)


@dataclass(frozen=True)
class Req:
    path: str
    data: Callable[[World], object] | None = None  # a form (dict or FormData), built late
    json_api: bool = False


@dataclass(frozen=True)
class Case:
    own: Callable[[World], Req]
    ok: int  # for an official allowed to use the route, on their own unit
    other: Callable[[World], Req] | None = None  # None: the route names no unit
    anonymous: int | None = None  # for public routes only
    roles_ok: dict[str, int] = field(default_factory=dict)  # a different answer for a role


def upload(w: World, commune: str) -> FormData:
    form = FormData()
    form.add_field("commune", str(w.units[commune].id))
    form.add_field("file", BAD_CSV.encode("utf-8"), filename="ds.csv", content_type="text/csv")
    return form


def edit_form(_: World) -> dict[str, object]:
    return {"full_name": "N\u00f4ng V\u0103n An", "date_of_birth": "01/03/1970",
            "citizen_id": "", "phone": "0912345678", "has_smartphone": ""}


def rid(key: str) -> Callable[[World], int]:
    return lambda w: w.residents[key]


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/admin/static/{name}"): Case(lambda w: Req("/admin/static/admin.css"), 200,
                                          anonymous=200),
    ("GET", "/admin/login"): Case(lambda w: Req("/admin/login"), 200, anonymous=200),
    ("POST", "/admin/login"): Case(
        lambda w: Req("/admin/login", lambda w: {"login": "nobody", "password": "x"}), 401,
        anonymous=401),
    ("GET", "/admin"): Case(lambda w: Req("/admin"), 200),
    ("GET", "/admin/"): Case(lambda w: Req("/admin/"), 200),
    ("GET", "/admin/password"): Case(lambda w: Req("/admin/password"), 200),
    ("POST", "/admin/password"): Case(
        lambda w: Req("/admin/password", lambda w: {"old": "wrong", "new": "x", "again": "x"}),
        400),
    ("GET", "/admin/account"): Case(lambda w: Req("/admin/account"), 200),
    ("POST", "/admin/account/tokens"): Case(
        lambda w: Req("/admin/account/tokens", lambda w: {"label": "test"}), 200),
    # own: the token the line above made, the first after the world's last (the sibling
    # officer's); other: that officer's token, which nobody else can revoke
    ("POST", "/admin/account/tokens/{token_id}/revoke"): Case(
        lambda w: Req(f"/admin/account/tokens/{w.tokens['sibling'] + 1}/revoke", lambda w: {}),
        302, other=lambda w: Req(f"/admin/account/tokens/{w.tokens['sibling']}/revoke",
                                 lambda w: {})),
    ("GET", "/admin/residents"): Case(
        lambda w: Req("/admin/residents"), 200,
        other=lambda w: Req(f"/admin/residents?unit={w.units['foreign'].id}")),
    ("GET", "/admin/residents.{fmt}"): Case(
        lambda w: Req("/admin/residents.xlsx"), 200,
        other=lambda w: Req(f"/admin/residents.csv?unit={w.units['foreign'].id}")),
    ("POST", "/admin/residents/approve"): Case(
        lambda w: Req("/admin/residents/approve", lambda w: {"ids": str(w.residents["own"])}),
        302,
        other=lambda w: Req("/admin/residents/approve",
                            lambda w: {"ids": str(w.residents["foreign"])})),
    ("GET", "/admin/residents/{resident_id}"): Case(
        lambda w: Req(f"/admin/residents/{w.residents['own']}"), 200,
        other=lambda w: Req(f"/admin/residents/{w.residents['foreign']}")),
    ("GET", "/admin/residents/{resident_id}/edit"): Case(
        lambda w: Req(f"/admin/residents/{w.residents['own']}/edit"), 200,
        other=lambda w: Req(f"/admin/residents/{w.residents['foreign']}/edit")),
    ("POST", "/admin/residents/{resident_id}/edit"): Case(
        lambda w: Req(f"/admin/residents/{w.residents['own']}/edit", edit_form), 302,
        other=lambda w: Req(f"/admin/residents/{w.residents['foreign']}/edit", edit_form)),
    ("POST", "/admin/residents/{resident_id}/approve"): Case(
        lambda w: Req(f"/admin/residents/{w.residents['own']}/approve", lambda w: {}), 302,
        other=lambda w: Req(f"/admin/residents/{w.residents['foreign']}/approve",
                            lambda w: {})),
    ("POST", "/admin/residents/{resident_id}/reject"): Case(
        lambda w: Req(f"/admin/residents/{w.residents['own2']}/reject",
                      lambda w: {"reason": "co dien thoai"}), 302,
        other=lambda w: Req(f"/admin/residents/{w.residents['foreign']}/reject",
                            lambda w: {"reason": "x"})),
    # a gift without its giver: refused with a message (400) by whoever gets past the door
    ("POST", "/admin/residents/{resident_id}/gift"): Case(
        lambda w: Req(f"/admin/residents/{w.residents['own']}/gift",
                      lambda w: {"kind": "direct", "giver": ""}), 400,
        other=lambda w: Req(f"/admin/residents/{w.residents['foreign']}/gift",
                            lambda w: {"kind": "direct", "giver": "UBND"})),
    ("GET", "/admin/villages"): Case(lambda w: Req("/admin/villages"), 200),
    ("POST", "/admin/villages/{village_id}"): Case(
        lambda w: Req(f"/admin/villages/{w.units['village'].id}",
                      lambda w: {"adults": "459", "households": "170"}), 302,
        other=lambda w: Req(f"/admin/villages/{w.units['foreign_village'].id}",
                            lambda w: {"adults": "1"})),
    ("POST", "/admin/villages/{village_id}/survey-done"): Case(
        lambda w: Req(f"/admin/villages/{w.units['village'].id}/survey-done", lambda w: {}),
        302, other=lambda w: Req(f"/admin/villages/{w.units['foreign_village'].id}/survey-done",
                                 lambda w: {})),
    ("GET", "/admin/residents/{resident_id}/personal-data.json"): Case(
        lambda w: Req(f"/admin/residents/{w.residents['own2']}/personal-data.json"), 200,
        other=lambda w: Req(f"/admin/residents/{w.residents['foreign']}/personal-data.json")),
    ("POST", "/admin/residents/{resident_id}/erase"): Case(
        lambda w: Req(f"/admin/residents/{w.residents['own2']}/erase",
                      lambda w: {"confirm": "yes"}), 302,
        other=lambda w: Req(f"/admin/residents/{w.residents['foreign']}/erase",
                            lambda w: {"confirm": "yes"})),
    ("GET", "/admin/households"): Case(
        lambda w: Req(f"/admin/households?village={w.units['village'].id}"), 200,
        other=lambda w: Req(f"/admin/households?village={w.units['foreign_village'].id}")),
    ("GET", "/admin/households.{fmt}"): Case(
        lambda w: Req(f"/admin/households.xlsx?village={w.units['village'].id}"), 200,
        other=lambda w: Req(f"/admin/households.csv?village={w.units['foreign_village'].id}")),
    ("GET", "/admin/households/{household_id}"): Case(
        lambda w: Req(f"/admin/households/{w.households['own']}"), 200,
        other=lambda w: Req(f"/admin/households/{w.households['foreign']}")),
    ("POST", "/admin/households/{household_id}/class"): Case(
        lambda w: Req(f"/admin/households/{w.households['own']}/class",
                      lambda w: {"poverty": "near_poor", "policy": "merit"}), 302,
        other=lambda w: Req(f"/admin/households/{w.households['foreign']}/class",
                            lambda w: {"poverty": "near_poor", "policy": "merit"})),
    ("GET", "/admin/units.json"): Case(lambda w: Req("/admin/units.json?q=con+minh"), 200),
    ("GET", "/admin/import"): Case(lambda w: Req("/admin/import"), 200),
    ("POST", "/admin/import"): Case(
        lambda w: Req("/admin/import", lambda w: upload(w, "commune")), 200,
        other=lambda w: Req("/admin/import", lambda w: upload(w, "foreign"))),
    ("POST", "/admin/import/save"): Case(lambda w: Req("/admin/import/save", lambda w: {}),
                                         200),
    ("GET", "/admin/import/rejects"): Case(lambda w: Req("/admin/import/rejects"), 200),
    # the progress of this session's saving: none is under way here (tests/admin/test_import_jobs)
    ("GET", "/admin/import/job"): Case(lambda w: Req("/admin/import/job"), 404),
    ("GET", "/admin/officials"): Case(lambda w: Req("/admin/officials"), 200),
    ("GET", "/admin/officials.{fmt}"): Case(lambda w: Req("/admin/officials.csv"), 200),
    ("GET", "/admin/invitations"): Case(lambda w: Req("/admin/invitations"), 200),
    ("GET", "/admin/invitations.{fmt}"): Case(
        lambda w: Req("/admin/invitations.xlsx"), 200),
    # no invitation in this world (the scoping of real ones: test_invitations.py)
    ("POST", "/admin/invitations/{invite_id}/revoke"): Case(
        lambda w: Req("/admin/invitations/999999/revoke", lambda w: {}), 404),
    ("POST", "/admin/officials/invite"): Case(
        lambda w: Req("/admin/officials/invite", lambda w: {
            "name": "Ma Van Moi", "where": f"village_head:{w.units['village'].id}"}), 200,
        other=lambda w: Req("/admin/officials/invite", lambda w: {
            "name": "Ma Van Moi", "where": f"village_head:{w.units['foreign_village'].id}"})),
    ("POST", "/admin/officials/account"): Case(
        lambda w: Req("/admin/officials/account", lambda w: {
            "name": "Ma Van Moi", "login": "moi",
            "where": f"village_head:{w.units['village'].id}"}),
        200,
        other=lambda w: Req("/admin/officials/account", lambda w: {
            "name": "Ma Van Moi", "login": "moi2",
            "where": f"village_head:{w.units['foreign_village'].id}"})),
    ("POST", "/admin/chats/{chat_id}/unlink"): Case(
        lambda w: Req(f"/admin/chats/{w.chats['own']}/unlink", lambda w: {}), 302,
        other=lambda w: Req(f"/admin/chats/{w.chats['foreign']}/unlink", lambda w: {})),
    ("GET", "/admin/audit"): Case(lambda w: Req("/admin/audit"), 200),
    ("GET", "/admin/audit.{fmt}"): Case(lambda w: Req("/admin/audit.xlsx"), 200),
    # reports: tests/admin/test_reports_page.py checks one of another unit is not found
    ("GET", "/admin/reports"): Case(lambda w: Req("/admin/reports"), 200),
    ("GET", "/admin/reports/{run_id}.xlsx"): Case(lambda w: Req("/admin/reports/999.xlsx"), 404),
    # a report built on demand: a village head's unit has none
    ("GET", "/admin/reports/build"): Case(
        lambda w: Req(f"/admin/reports/build?unit={w.units['commune'].id}&month=2023-08"), 200,
        other=lambda w: Req(f"/admin/reports/build?unit={w.units['foreign'].id}"),
        roles_ok={"village_head": 404}),
    ("GET", "/admin/reports/build.xlsx"): Case(
        lambda w: Req(f"/admin/reports/build.xlsx?unit={w.units['commune'].id}"), 200,
        other=lambda w: Req(f"/admin/reports/build.xlsx?unit={w.units['foreign'].id}"),
        roles_ok={"village_head": 404}),
    ("GET", "/admin/reports/build.docx"): Case(
        lambda w: Req(f"/admin/reports/build.docx?unit={w.units['commune'].id}"), 200,
        other=lambda w: Req(f"/admin/reports/build.docx?unit={w.units['foreign'].id}"),
        roles_ok={"village_head": 404}),
    ("POST", "/admin/reports/notes"): Case(
        lambda w: Req("/admin/reports/notes", lambda w: {
            "unit": w.units["commune"].id, "month": "2023-08", "difficulties": "Thi\u1ebfu",
            "proposals": ""}), 302,
        other=lambda w: Req("/admin/reports/notes", lambda w: {
            "unit": w.units["foreign"].id, "month": "2023-08", "difficulties": "x"})),
    ("POST", "/admin/reports/send"): Case(
        lambda w: Req("/admin/reports/send", lambda w: {
            "unit": w.units["commune"].id, "month": "2023-08"}), 302,
        other=lambda w: Req("/admin/reports/send", lambda w: {
            "unit": w.units["foreign"].id, "month": "2023-08"})),
    # after the handover: village heads too mark tasks and record guidance sessions
    ("GET", "/admin/aftercare"): Case(lambda w: Req("/admin/aftercare"), 200),
    ("POST", "/admin/aftercare/tasks"): Case(
        lambda w: Req("/admin/aftercare/tasks", lambda w: {"handover": 999999,
                                                           "item": "zalo"}), 400),
    ("POST", "/admin/aftercare/sessions"): Case(
        lambda w: Req("/admin/aftercare/sessions", lambda w: {
            "village": w.units["village"].id, "held_on": "10/09/2023", "led_by": "Doan TN"}),
        302,
        other=lambda w: Req("/admin/aftercare/sessions", lambda w: {
            "village": w.units["foreign_village"].id, "held_on": "10/09/2023",
            "led_by": "Doan TN"})),
    ("GET", "/admin/cases.{fmt}"): Case(lambda w: Req("/admin/cases.xlsx"), 200),
    ("GET", "/admin/reports/{run_id}.json"): Case(lambda w: Req("/admin/reports/999.json"), 404),
    ("GET", "/admin/pledges"): Case(lambda w: Req("/admin/pledges"), 200),
    ("GET", "/admin/pledges.{fmt}"): Case(lambda w: Req("/admin/pledges.xlsx"), 200),
    ("GET", "/admin/receipts.{fmt}"): Case(lambda w: Req("/admin/receipts.csv"), 200),
    ("GET", "/admin/pledges/{code}"): Case(lambda w: Req("/admin/pledges/UH-XXXXXX"), 404),
    ("POST", "/admin/receipts"): Case(
        lambda w: Req("/admin/receipts", lambda w: {"unit": w.units["commune"].id, "phones": "1"}),
        302, other=lambda w: Req("/admin/receipts", lambda w: {
            "unit": w.units["foreign"].id, "phones": "1"}),
        roles_ok={"province": 302}),
    ("GET", "/admin/stock"): Case(lambda w: Req("/admin/stock"), 200),
    ("GET", "/admin/stock.{fmt}"): Case(lambda w: Req("/admin/stock.xlsx"), 200),
    ("GET", "/api/v1/pledges"): Case(lambda w: Req("/api/v1/pledges", json_api=True), 200),
    ("GET", "/admin/handovers"): Case(lambda w: Req("/admin/handovers"), 200),
    ("GET", "/admin/handovers.{fmt}"): Case(lambda w: Req("/admin/handovers.csv"),
                                                      200),
    # no handover in this world: the ids below exist nowhere (the scoping of real ones is in
    # test_handovers_page.py); what is checked here is who gets past the door
    ("POST", "/admin/handovers"): Case(
        lambda w: Req("/admin/handovers", lambda w: {"support": "999999"}), 404),
    ("GET", "/admin/handovers/{handover_id}/record"): Case(
        lambda w: Req("/admin/handovers/999999/record"), 404),
    ("GET", "/admin/handovers/{handover_id}/record.docx"): Case(
        lambda w: Req("/admin/handovers/999999/record.docx"), 404),
    ("POST", "/admin/handovers/{handover_id}/paper"): Case(
        lambda w: Req("/admin/handovers/999999/paper", lambda w: {}), 404),
    ("POST", "/admin/cases/{case_id}/close"): Case(
        lambda w: Req("/admin/cases/999999/close", lambda w: {"resolution": "x"}), 404),
    ("GET", "/admin/allocation"): Case(
        lambda w: Req("/admin/allocation"), 200,
        other=lambda w: Req(f"/admin/allocation?commune={w.units['foreign'].id}")),
    ("GET", "/admin/allocation.{fmt}"): Case(
        lambda w: Req("/admin/allocation.xlsx"), 200,
        other=lambda w: Req(f"/admin/allocation.csv?commune={w.units['foreign'].id}")),
    # the posting list of the official's own commune, never of another unit's
    ("GET", "/admin/allocation/posting/{commune_id}"): Case(
        lambda w: Req(f"/admin/allocation/posting/{w.units['commune'].id}"), 200,
        other=lambda w: Req(f"/admin/allocation/posting/{w.units['foreign'].id}"),
        roles_ok={"village_head": 404}),  # a village head's unit is the village
    ("GET", "/admin/allocation/posting/{commune_id}.{kind}"): Case(
        lambda w: Req(f"/admin/allocation/posting/{w.units['commune'].id}.docx"), 200,
        other=lambda w: Req(f"/admin/allocation/posting/{w.units['foreign'].id}.xlsx"),
        roles_ok={"village_head": 404}),
    # each official records their own unit's part (a commune its list, the province its
    # distribution); a fingerprint from no preview is refused (409)
    ("POST", "/admin/allocation/commit"): Case(
        lambda w: Req("/admin/allocation/commit", lambda w: {"fingerprint": "x"}), 409),
    # the posting page: a commune's own (others read it by ?commune=); the forms change only
    # the commune officer's own posting (the commune posts its list, then an objection to
    # its first line is recorded); anyone else is refused (409)
    ("GET", "/admin/posting"): Case(
        lambda w: Req("/admin/posting"), 200,
        other=lambda w: Req(f"/admin/posting?commune={w.units['foreign'].id}")),
    ("POST", "/admin/posting/open"): Case(lambda w: Req("/admin/posting/open", lambda w: {}), 409,
                                          roles_ok={"commune": 200}),
    ("POST", "/admin/posting/objections"): Case(
        lambda w: Req("/admin/posting/objections", lambda w: {"number": "1", "reason": "x"}), 409,
        roles_ok={"commune": 200}),
    ("POST", "/admin/posting/objections/{objection_id}/answer"): Case(
        lambda w: Req("/admin/posting/objections/999999/answer",
                      lambda w: {"verdict": "kept", "answer": "x"}), 409),
    ("GET", "/api/v1/residents"): Case(
        lambda w: Req("/api/v1/residents", json_api=True), 200,
        other=lambda w: Req(f"/api/v1/residents?unit={w.units['foreign'].id}", json_api=True)),
    ("GET", "/api/v1/residents/{resident_id}"): Case(
        lambda w: Req(f"/api/v1/residents/{w.residents['own']}", json_api=True), 200,
        other=lambda w: Req(f"/api/v1/residents/{w.residents['foreign']}", json_api=True)),
    ("POST", "/api/v1/residents/{resident_id}/approve"): Case(
        lambda w: Req(f"/api/v1/residents/{w.residents['own']}/approve", lambda w: None,
                      json_api=True), 200,
        other=lambda w: Req(f"/api/v1/residents/{w.residents['foreign']}/approve",
                            lambda w: None, json_api=True)),
    ("GET", "/api/v1/households"): Case(
        lambda w: Req(f"/api/v1/households?village={w.units['village'].id}", json_api=True),
        200,
        other=lambda w: Req(f"/api/v1/households?village={w.units['foreign_village'].id}",
                            json_api=True)),
    ("GET", "/api/v1/stats"): Case(
        lambda w: Req("/api/v1/stats", json_api=True), 200,
        other=lambda w: Req(f"/api/v1/stats?unit={w.units['foreign'].id}", json_api=True)),
    ("GET", "/admin/channels"): Case(lambda w: Req("/admin/channels"), 200,
                                     roles_ok={"commune": 403, "village_head": 403}),
    # last: it ends the session
    ("POST", "/admin/logout"): Case(lambda w: Req("/admin/logout", lambda w: {}), 302),
}


def registered_routes(admin: Admin) -> set[tuple[str, str]]:
    out = set()
    for route in admin.client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if path.startswith(("/admin", "/api/v1")) and route.method != "HEAD":
            out.add((route.method, path))
    return out


def expected(role: str, access: Access, case: Case, req: Req, other: bool) -> int:
    if role == "anonymous":
        if access is Access.PUBLIC:
            return case.anonymous or case.ok
        return 401 if req.json_api else 302
    if access in (Access.WRITE, Access.MANAGE) and role == "village_head":
        return 403
    if other:
        return 404
    return case.roles_ok.get(role, case.ok)


async def send(admin: Admin, method: str, req: Req, token: str) -> tuple[int, str]:
    data = req.data(admin.world) if req.data else None
    if method == "GET":
        r = await admin.client.get(req.path, allow_redirects=False)
    elif req.json_api:
        r = await admin.client.post(req.path, headers={"X-CSRF-Token": token},
                                    allow_redirects=False)
    else:
        if isinstance(data, FormData):
            data.add_field("_csrf", token)
        else:
            data = {**(data or {}), "_csrf": token}  # type: ignore[dict-item]
        r = await admin.client.post(req.path, data=data, allow_redirects=False)
    return r.status, r.headers.get("Location", "")


def test_the_table_names_every_admin_route(admin: Admin) -> None:
    assert set(CASES) == registered_routes(admin)
    assert {(r.method, re.sub(r":[^}]+\}", "}", r.path)) for r in ROUTES} == set(CASES)


@pytest.mark.parametrize("role", ROLES)
async def test_every_route_answers_each_role_as_the_table_says(admin: Admin, role: str) -> None:
    access = {(r.method, re.sub(r":[^}]+\}", "}", r.path)): r.access for r in ROUTES}
    if role != "anonymous":
        assert (await admin.login(role)).status == 302
    token = await admin.csrf("/admin/account" if role != "anonymous" else "/admin/login")
    wrong: list[str] = []
    for (method, path), case in CASES.items():
        for other, make in ((True, case.other), (False, case.own)):
            if make is None:
                continue
            req = make(admin.world)
            want = expected(role, access[method, path], case, req, other)
            status, location = await send(admin, method, req, token)
            if status != want:
                wrong.append(f"{method} {req.path} ({'other' if other else 'own'}): "
                             f"{status}, expected {want}")
            elif want == 302 and role == "anonymous":
                assert location.startswith("/admin/login"), (req.path, location)
    assert wrong == []


async def test_nobody_revokes_another_officials_token(admin: Admin) -> None:
    await admin.login("commune")
    r = await admin.post(f"/admin/account/tokens/{admin.world.tokens['sibling']}/revoke")
    assert r.status == 404
    async with admin.runtime.uow() as uow:
        sibling = await uow.officials.by_login("xa2")
        assert sibling is not None
        assert [t.id for t in await uow.views.tokens_of(sibling.id)] == [
            admin.world.tokens["sibling"]]
