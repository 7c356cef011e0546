"""phocap's load test for Locust: officials of every level using the admin web at a human
pace, beside chat users writing to the Telegram webhook.

benchmarks/load.py builds the database and the accounts, starts the servers and runs this
file headless; what the users need (the servers, the accounts and their passwords, the
names to search, the registrations each may approve, the chats' updates) comes from the JSON
file named by $PHOCAP_LOAD_PLAN, which load.py writes. Each user keeps to one server; users
alternate between the servers.

    PHOCAP_LOAD_PLAN=plan.json locust -f benchmarks/locustfile.py --headless -u 40 -t 60s
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any

from locust import HttpUser, between, task
from locust.env import Environment

PLAN: dict[str, Any] = json.loads(open(os.environ["PHOCAP_LOAD_PLAN"], encoding="utf-8").read())
HOSTS: list[str] = PLAN["hosts"]
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
TIMEOUT = 120  # seconds: a page slower than this is an error, not a figure
_officials = itertools.count()
_chats = itertools.count()


class Official(HttpUser):
    """An official signs in once, then reads the menu's pages, searches, exports a list and
    approves a registration, a few seconds apart."""

    wait_time = between(2, 8)
    fixed_count = len(PLAN["officials"])
    host = HOSTS[0]

    def __init__(self, environment: Environment) -> None:
        n = next(_officials)
        self.account: dict[str, Any] = PLAN["officials"][n % len(PLAN["officials"])]
        self.host = HOSTS[n % len(HOSTS)]
        self.rng = random.Random(n)
        super().__init__(environment)

    def on_start(self) -> None:
        page = self.client.get("/admin/login", timeout=TIMEOUT)
        found = CSRF.search(page.text)
        form = {"login": self.account["login"], "password": PLAN["password"],
                "_csrf": found.group(1) if found else ""}
        with self.client.post("/admin/login", data=form, allow_redirects=False,
                              catch_response=True, timeout=TIMEOUT) as resp:
            if resp.status_code not in (302, 303) or "login" in resp.headers.get("Location", ""):
                resp.failure(f"login refused: {resp.status_code}")

    def _page(self, path: str, name: str, params: dict[str, str] | None = None) -> str:
        """A GET that must answer 200 with the page asked (not the login form)."""
        with self.client.get(path, name=name, params=params, allow_redirects=False,
                             catch_response=True, timeout=TIMEOUT) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}")
            return resp.text or ""

    @task(6)
    def menu_page(self) -> None:
        path = self.rng.choice(self.account["pages"])
        self._page(path, re.sub(r"\d+", "[id]", path))

    @task(2)
    def search(self) -> None:
        name = self.rng.choice(PLAN["searches"])
        self._page("/admin/residents", "/admin/residents?q=[name]", {"q": name})

    @task(1)
    def export(self) -> None:
        with self.client.get(self.account["export"], name="/admin/residents.xlsx",
                             allow_redirects=False, catch_response=True,
                             timeout=TIMEOUT) as resp:
            if resp.status_code != 200 or not resp.content.startswith(b"PK"):
                resp.failure(f"no workbook: {resp.status_code}")

    @task(1)
    def approve(self) -> None:
        """The registration's page, then its approve button (the form's CSRF token)."""
        if not self.account["approve"]:
            return
        resident = self.account["approve"].pop()
        found = CSRF.search(self._page(f"/admin/residents/{resident}", "/admin/residents/[id]"))
        form = {"_csrf": found.group(1) if found else ""}
        with self.client.post(f"/admin/residents/{resident}/approve", data=form,
                              name="/admin/residents/[id]/approve", allow_redirects=False,
                              catch_response=True, timeout=TIMEOUT) as resp:
            if resp.status_code not in (302, 303):
                resp.failure(f"{resp.status_code}")


class Chat(HttpUser):
    """A Telegram user: village heads register households, donors pledge phones, one update
    every few seconds, each posted to the webhook with the secret header."""

    wait_time = between(2, 8)
    fixed_count = len(PLAN["chats"])
    host = HOSTS[0]

    def __init__(self, environment: Environment) -> None:
        n = next(_chats)
        self.updates: list[dict[str, Any]] = PLAN["chats"][n % len(PLAN["chats"])]
        self.host = HOSTS[n % len(HOSTS)]
        self.next = 0
        super().__init__(environment)

    @task
    def say(self) -> None:
        if self.next >= len(self.updates):
            return  # the script is done: this chat waits to the end
        update = self.updates[self.next]
        self.next += 1
        with self.client.post(PLAN["webhook"], json=update, name=PLAN["webhook"],
                              headers={PLAN["secret_header"]: PLAN["secret"]},
                              catch_response=True, timeout=TIMEOUT) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}")
