"""Every admin route, its handler and who may use it: one plain table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from admin import (
    accounts,
    aftercare,
    allocation,
    api,
    audit,
    channels,
    dashboard,
    donations,
    gifts,
    handovers,
    households,
    imports,
    officials,
    posting,
    privacy,
    reports,
    residents,
    static,
    units,
    villages,
)
from admin.context import Access
from admin.exports import ROUTE_FORMAT as FMT

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    access: Access


P, R, W, M = Access.PUBLIC, Access.READ, Access.WRITE, Access.MANAGE
PROVINCE = Access.PROVINCE

ROUTES: tuple[Route, ...] = (
    Route("GET", "/admin/static/{name}", static.asset, P),
    Route("GET", "/admin/login", accounts.login_page, P),
    Route("POST", "/admin/login", accounts.login, P),
    Route("POST", "/admin/logout", accounts.logout, R),
    Route("GET", "/admin", dashboard.home, R),
    Route("GET", "/admin/", dashboard.home, R),
    Route("GET", "/admin/password", accounts.password_page, R),
    Route("POST", "/admin/password", accounts.change_password, R),
    Route("GET", "/admin/account", accounts.account_page, R),
    Route("POST", "/admin/account/tokens", accounts.create_token, R),
    Route("POST", "/admin/account/tokens/{token_id:\\d+}/revoke", accounts.revoke_token, R),
    Route("GET", "/admin/residents", residents.residents, R),
    Route("GET", f"/admin/residents.{FMT}", residents.export, R),
    Route("POST", "/admin/residents/approve", residents.approve_many, W),
    Route("GET", "/admin/residents/{resident_id:\\d+}", residents.resident_page, R),
    Route("GET", "/admin/residents/{resident_id:\\d+}/edit", residents.edit_page, W),
    Route("POST", "/admin/residents/{resident_id:\\d+}/edit", residents.edit, W),
    Route("POST", "/admin/residents/{resident_id:\\d+}/approve", residents.approve, W),
    Route("POST", "/admin/residents/{resident_id:\\d+}/reject", residents.reject, W),
    Route("POST", "/admin/residents/{resident_id:\\d+}/gift", gifts.record, W),
    Route("GET", "/admin/residents/{resident_id:\\d+}/personal-data.json", privacy.personal_data,
          W),
    Route("POST", "/admin/residents/{resident_id:\\d+}/erase", privacy.erase, W),
    Route("GET", "/admin/households", residents.households, R),
    Route("GET", f"/admin/households.{FMT}", residents.export_households, R),
    Route("GET", "/admin/households/{household_id:\\d+}", households.household_page, R),
    Route("POST", "/admin/households/{household_id:\\d+}/class", households.correct_class, W),
    Route("GET", "/admin/units.json", units.units_json, R),
    Route("GET", "/admin/villages", villages.villages_page, R),
    Route("POST", "/admin/villages/{village_id:\\d+}", villages.save_facts, W),
    Route("POST", "/admin/villages/{village_id:\\d+}/survey-done", villages.survey_done, W),
    Route("GET", "/admin/import", imports.import_page, W),
    Route("POST", "/admin/import", imports.upload, W),
    Route("POST", "/admin/import/save", imports.save, W),
    Route("GET", "/admin/import/rejects", imports.rejects_file, W),
    Route("GET", "/admin/import/job", imports.job_page, W),
    Route("GET", "/admin/officials", officials.officials_page, M),
    Route("GET", f"/admin/officials.{FMT}", officials.export_officials, M),
    Route("GET", "/admin/invitations", officials.invitations_page, M),
    Route("GET", f"/admin/invitations.{FMT}", officials.export_invitations, M),
    Route("POST", "/admin/invitations/{invite_id:\\d+}/revoke", officials.revoke_invitation, M),
    Route("POST", "/admin/officials/invite", officials.invite, M),
    Route("POST", "/admin/officials/account", officials.add_account, M),
    Route("POST", "/admin/chats/{chat_id:\\d+}/unlink", officials.unlink_chat, M),
    Route("GET", "/admin/audit", audit.audit_page, M),
    Route("GET", f"/admin/audit.{FMT}", audit.export_audit, M),
    Route("GET", "/admin/channels", channels.channels_page, PROVINCE),
    Route("GET", "/admin/reports", reports.reports_page, R),
    Route("GET", "/admin/reports/build", reports.build_page, R),
    Route("GET", "/admin/reports/build.xlsx", reports.build_xlsx, R),
    Route("GET", "/admin/reports/build.docx", reports.build_docx, R),
    Route("POST", "/admin/reports/notes", reports.save_notes, W),
    Route("POST", "/admin/reports/send", reports.send, W),
    Route("GET", "/admin/reports/{run_id:\\d+}.xlsx", reports.download_xlsx, R),
    Route("GET", "/admin/reports/{run_id:\\d+}.json", reports.download_json, R),
    Route("GET", "/admin/pledges", donations.pledges_page, R),
    Route("GET", f"/admin/pledges.{FMT}", donations.export_pledges_list, R),
    Route("GET", f"/admin/receipts.{FMT}", donations.export_receipts, R),
    Route("GET", "/admin/pledges/{code}", donations.pledge_page, R),
    Route("POST", "/admin/receipts", donations.receive, W),
    Route("GET", "/admin/stock", donations.stock_page, R),
    Route("GET", f"/admin/stock.{FMT}", donations.export_stock, R),
    Route("GET", "/admin/handovers", handovers.handovers_page, R),
    Route("GET", f"/admin/handovers.{FMT}", handovers.export_handovers, R),
    Route("GET", f"/admin/cases.{FMT}", handovers.export_cases, R),
    Route("POST", "/admin/handovers", handovers.record, W),
    Route("GET", "/admin/handovers/{handover_id:\\d+}/record", handovers.record_page, R),
    Route("GET", "/admin/handovers/{handover_id:\\d+}/record.docx", handovers.record_docx_file,
          R),
    Route("POST", "/admin/handovers/{handover_id:\\d+}/paper", handovers.on_paper, W),
    Route("POST", "/admin/cases/{case_id:\\d+}/close", handovers.close_case, W),
    Route("GET", "/admin/aftercare", aftercare.aftercare_page, R),
    # village heads too: the tasks are theirs, and they hold guidance sessions (plan VI.2)
    Route("POST", "/admin/aftercare/tasks", aftercare.task_done, R),
    Route("POST", "/admin/aftercare/sessions", aftercare.add_session, R),
    Route("GET", "/admin/allocation", allocation.allocation_page, R),
    Route("GET", f"/admin/allocation.{FMT}", allocation.export, R),
    Route("POST", "/admin/allocation/commit", allocation.commit, W),
    Route("GET", "/admin/posting", posting.posting_page, R),
    Route("POST", "/admin/posting/open", posting.open_posting, W),
    Route("POST", "/admin/posting/objections", posting.record_objection, W),
    Route("POST", "/admin/posting/objections/{objection_id:\\d+}/answer", posting.answer_objection,
          W),
    Route("GET", "/admin/allocation/posting/{commune_id:\\d+}", allocation.posting, R),
    Route("GET", "/admin/allocation/posting/{commune_id:\\d+}.{kind}",
          allocation.posting, R),
    Route("GET", "/api/v1/residents", api.residents, R),
    Route("GET", "/api/v1/residents/{resident_id:\\d+}", api.resident, R),
    Route("POST", "/api/v1/residents/{resident_id:\\d+}/approve", api.approve, W),
    Route("GET", "/api/v1/households", api.households, R),
    Route("GET", "/api/v1/stats", api.stats, R),
    Route("GET", "/api/v1/pledges", donations.pledges_api, R),
)


def add_routes(router: web.UrlDispatcher) -> dict[Handler, Access]:
    """Register the table; returns each handler's access level for the access middleware."""
    for route in ROUTES:
        router.add_route(route.method, route.path, route.handler)
    return {route.handler: route.access for route in ROUTES}
