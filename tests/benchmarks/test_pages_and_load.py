"""benchmarks/admin_pages.py and benchmarks/load.py at their tiny size: each still runs
against the code it measures and reports every page, role and route it promises.

No timing is judged (benchmarks are not tests); what is checked could only fail if a page,
a login, an approval or a webhook update stopped working under the script.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.admin_pages import MENU
from tests.benchmarks.test_smoke import run_tiny


def test_admin_pages(tmp_path: Path) -> None:
    figures = run_tiny("admin_pages", tmp_path)
    assert figures["residents"] == 2_000
    by_role = figures["results"]["sqlite"]
    assert set(by_role) == {"province", "district", "commune"}
    for role, pages in by_role.items():
        assert list(pages) == [p.name for p in MENU], role
        for name, f in pages.items():
            assert f["p95_ms"] >= f["p50_ms"] > 0 and f["bytes"] > 0, (role, name)
            if name != "households":  # the only page that reads nothing but the scope
                assert f["sql_p95_ms"] >= f["sql_p50_ms"] > 0, (role, name)
    # the province sees more than a commune: officials everywhere, districts' communes
    assert by_role["province"]["officials"]["bytes"] > by_role["commune"]["officials"]["bytes"]
    # the dashboard's first look of a month, and one after writes in some of its communes
    looks = figures["looks"]["sqlite"]
    assert set(looks) == {"province", "district", "commune"}
    for role, times in looks.items():
        assert len(times) == 2 and all(ms > 0 for ms in times.values()), role


def test_load(tmp_path: Path) -> None:
    figures = run_tiny("load", tmp_path)
    r = figures["results"]
    assert (r["officials"], r["chats"], r["servers"]) == (4, 4, 2)
    routes = {(x["method"], x["route"]): x for x in r["routes"]}
    # every official signed in through the form (its page first, for the CSRF token)
    assert routes[("GET", "/admin/login")]["requests"] == 4
    assert routes[("POST", "/admin/login")]["requests"] == 4
    assert routes[("POST", "/webhook/telegram")]["requests"] > 0
    assert r["requests"] == sum(x["requests"] for x in r["routes"])
    assert r["errors"] == 0 and r["failures"] == [] and r["server_errors"] == []
    # each update was answered in the chat through the (fake) Bot API; approvals were saved
    assert r["messages_sent"] >= routes[("POST", "/webhook/telegram")]["requests"]
    approvals = routes.get(("POST", "/admin/residents/[id]/approve"), {"requests": 0})
    assert r["approved"] == approvals["requests"]
    assert figures["database"] == "sqlite" and r["peak_connections"] == 0  # no pg_stat here
