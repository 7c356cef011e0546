"""Wiring the admin web into the aiohttp application: templates, sessions, CSRF, routes."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from admin import import_jobs
from admin.appkeys import IMPORT_DIR, TABLE_READER
from admin.audit import changes, who_text
from admin.context import setup_templates
from admin.routes import add_routes
from admin.scoping import TREES, UnitTrees
from admin.security import ACCESS, access, errors, session_layer


def upload_folder() -> Path:
    """Where uploaded lists wait for their "save": one folder for the processes of a machine
    (the scheduler and `phocap retention` delete what waited too long)."""
    return Path(tempfile.gettempdir()) / "phocap-admin-imports"


def setup_admin(app: web.Application) -> None:
    """Add /admin and /api/v1 to the app; other routes pass through the middlewares untouched.

    The app carries the keys of admin/appkeys.py that the wiring fills (UOW, CATALOGUE,
    CLOCK, CONFIG)."""
    env = setup_templates(app)
    env.globals["changes"] = changes
    env.globals["audit_who"] = who_text
    app[TREES] = UnitTrees()
    app[IMPORT_DIR] = upload_folder()
    import_jobs.setup_jobs(app)
    app[ACCESS] = add_routes(app.router)
    app.middlewares.extend([errors, session_layer(app), access])
    app.cleanup_ctx.append(_import_folder)


async def _import_folder(app: web.Application) -> AsyncIterator[None]:
    """A folder shared by the processes of this machine for uploaded lists."""
    app[IMPORT_DIR].mkdir(mode=0o700, parents=True, exist_ok=True)
    yield
    if TABLE_READER in app:
        app[TABLE_READER].close()  # its worker processes end with the server
