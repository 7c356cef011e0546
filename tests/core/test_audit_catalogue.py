"""Every action, entity, field and coded value the audit trail holds has its words in both
catalogues (issue 16, item 7): the code is read for the actions and entities it writes, so
that a new one without words fails here before a page shows 'admin-action-...'."""

from __future__ import annotations

import ast
import dataclasses
import enum
import typing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core import model
from core.i18n import load_catalogue
from core.page_views import TokenInfo
from core.posting import Objection
from core.services.audit import ACTIONS, ENTITIES, SECRET_MARK, ListRead, entry
from core.services.imports import ImportDone
from core.services.registry import IdConflict
from tests.conftest import SYSTEM

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "handlers", "admin", "bot", "storage", "documents")
# Where each writer of the trail takes the action and the entity (positional index, keyword)
WRITERS: dict[str, tuple[tuple[int, str] | None, tuple[int, str] | None]] = {
    "record": ((3, "action"), (4, "entity")),  # record(uow, actor, now, action, entity, ...)
    "entry": ((2, "action"), (3, "entity")),  # entry(actor, now, action, entity, ...)
    "record_list_read": (None, (7, "entity")),
    "audit_export": (None, (2, "entity")),  # admin.exports.audit_export(uow, request, entity)
}
# The records whose fields the trail keeps as before and after
AUDITED = (model.Resident, model.Household, model.Official, model.Unit, model.Pledge,
           model.Receipt, model.Transfer, model.Support, model.Handover, model.Case,
           TokenInfo, ListRead, IdConflict, model.FollowUp, model.GuidanceSession, model.Task,
           Objection, ImportDone)


def _argument(call: ast.Call, where: tuple[int, str] | None) -> str | None:
    if where is None:
        return None
    index, name = where
    found: ast.expr | None = call.args[index] if len(call.args) > index else next(
        (k.value for k in call.keywords if k.arg == name), None)
    if isinstance(found, ast.Constant) and isinstance(found.value, str):
        return found.value
    return None


def written() -> tuple[set[str], set[str]]:
    """(actions, entities) passed as literals to the trail's writers anywhere in the code."""
    actions: set[str] = set()
    entities: set[str] = set()
    for path in (p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in WRITERS:
                action_at, entity_at = WRITERS[name]
                actions.update(a for a in [_argument(node, action_at)] if a)
                entities.update(e for e in [_argument(node, entity_at)] if e)
    return actions, entities


def test_the_reader_finds_the_trails_writers() -> None:
    actions, entities = written()
    # a few hand-picked ones from core/services (receiving, handover, linking, registry)
    assert {"receive", "handover", "invite", "approve", "id-conflict"} <= actions
    assert {"receipt", "case", "official", "resident"} <= entities


def test_every_action_and_entity_written_is_declared() -> None:
    actions, entities = written()
    assert sorted(actions - set(ACTIONS)) == []
    assert sorted(entities - set(ENTITIES)) == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_action_and_entity_has_words(lang: str) -> None:
    keys = load_catalogue().keys(lang)
    missing = [f"admin-action-{a}" for a in ACTIONS if f"admin-action-{a}" not in keys]
    missing += [f"admin-entity-{e}" for e in ENTITIES if f"admin-entity-{e}" not in keys]
    assert missing == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_field_kept_has_a_label_and_every_coded_value_a_word(lang: str) -> None:
    keys = load_catalogue().keys(lang)
    missing: list[str] = []
    for record in AUDITED:
        hints = typing.get_type_hints(record)
        for f in dataclasses.fields(record):
            if f"column-{f.name}" not in keys:
                missing.append(f"column-{f.name}")
            kinds = [t for t in typing.get_args(hints[f.name]) or (hints[f.name],)
                     if isinstance(t, type) and issubclass(t, enum.Enum)]
            missing += [f"export-value-{f.name}-{member.value}" for kind in kinds
                        for member in kind
                        if f"export-value-{f.name}-{member.value}" not in keys]
    assert sorted(set(missing)) == []


def test_a_secret_is_kept_in_the_trail_only_as_changed() -> None:
    before = model.Official(id=1, name="A", role=model.Role.COMMUNE, unit_id=1,
                            password_hash="h1")
    after = dataclasses.replace(before, name="B", password_hash="h2")
    kept = entry(SYSTEM, datetime(2023, 9, 12, tzinfo=UTC), "password", "official", 1, 1,
                 before, after)
    assert (kept.before, kept.after) == ({"password_hash": SECRET_MARK, "name": "A"},
                                         {"password_hash": SECRET_MARK, "name": "B"})
