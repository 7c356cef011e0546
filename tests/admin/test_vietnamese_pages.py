"""A Vietnamese page has no English on it: titles, labels, placeholders, buttons, channel
names (issue 17, item 6). Every admin page and every public page, rendered in vi."""

from __future__ import annotations

import html
import re

from admin.routes import ROUTES
from tests.admin.conftest import Admin
from tests.admin.test_donations_pages import earmarked_pledge

# What the pages showed in English before (the date placeholder, the report links, a
# channel's raw name) and the words an untranslated page would show.
ENGLISH = ("dd/mm/yyyy", "xlsx", "json", "Zalo Bot", "webchat", "zalo_oa", "telegram",
           "None", "True", "False", "Login", "Logout", "Submit", "Search", "Save", "Cancel",
           "Edit", "Delete", "Download", "Export", "Dashboard", "Residents", "Households",
           "Pledges", "Handovers", "Reports", "Password", "Account", "Next", "Previous",
           "ledger", "hash", "Ledger", "Hash", "Status", "Name", "Date", "Village", "Commune")
# a file's extension (".xlsx hoac .csv") names a format, no English word
PATTERN = re.compile(r"(?<![.\w])(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")
VISIBLE_ATTRIBUTES = re.compile(r'(?:placeholder|title|aria-label|alt)="([^"]*)"')
HIDDEN = re.compile(r"<(script|style)\b[\s\S]*?</\1>|<!--[\s\S]*?-->")


def visible(page: str) -> str:
    """What a reader sees: the text between tags, the page title, placeholders and labels."""
    page = HIDDEN.sub(" ", page)
    shown = VISIBLE_ATTRIBUTES.findall(page)
    shown += re.findall(r'<input[^>]*type="submit"[^>]*value="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(" ".join([text, *shown]))


def english_on(page: str) -> list[str]:
    return sorted(set(PATTERN.findall(visible(page))))


def html_pages(admin: Admin) -> list[str]:
    """Every admin GET page that answers with HTML, its record numbers filled in."""
    w = admin.world
    ids = {"resident_id": str(w.residents["own"]), "code": "", "handover_id": "", "run_id": "",
           "household_id": str(w.households["own"]), "commune_id": str(w.units["commune"].id)}
    paths = []
    for route in ROUTES:
        if route.method != "GET" or not route.path.startswith("/admin"):
            continue
        if route.path.endswith((".xlsx", ".json", ".docx", ".csv", "/rejects", "/record")) \
                or any(part in route.path for part in ("{name}", "{fmt", "{kind", "/logout")):
            continue
        path = re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: ids[m.group(1)], route.path)
        if path.endswith("/"):
            continue  # a record this world has none of, or the home page twice
        if path == "/admin/import/job":
            continue  # only while a list is being saved: tests/admin/test_import_jobs.py
        paths.append(path)
    return paths


def test_the_pattern_finds_english_words() -> None:
    assert english_on('<input placeholder="dd/mm/yyyy"><a>xlsx</a>') == ["dd/mm/yyyy", "xlsx"]
    assert english_on("<p>Ng\u00e0y sinh (.xlsx)</p><script>var web;</script>") == []


async def test_no_admin_page_shows_english_in_vietnamese(admin: Admin) -> None:
    code = await earmarked_pledge(admin)
    await admin.login("province")
    paths = [*html_pages(admin), f"/admin/pledges/{code}", "/admin/residents?q=x"]
    assert len(paths) >= 15
    for path in paths:
        answer = await admin.client.get(path)
        assert answer.status == 200, path
        assert answer.headers["Content-Type"].startswith("text/html"), path
        body = await answer.text()
        shown = visible(body)
        assert english_on(body) == [], (path, [shown[max(0, m.start() - 80):m.end() + 20]
                                               for m in PATTERN.finditer(shown)])
    await admin.logout()
    login = await (await admin.client.get("/admin/login")).text()
    assert english_on(login) == []


async def test_no_public_page_shows_english_in_vietnamese(admin: Admin) -> None:
    code = await earmarked_pledge(admin)
    for path in ("/public", f"/public/pledge/{code}", "/public/pledge/UH-NOTHERE"):
        page = await (await admin.client.get(path)).text()
        assert english_on(page) == [], path
