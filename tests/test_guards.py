"""Guards that keep the architecture and the catalogues honest."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.i18n import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "storage", "handlers", "documents", "admin", "bot")
VIETNAMESE = re.compile(
    "[\u0103\u00e2\u0111\u00ea\u00f4\u01a1\u01b0\u0102\u00c2\u0110\u00ca\u00d4\u01a0\u01af"
    "\u00e1\u00e0\u1ea3\u00e3\u1ea1\u00e9\u00e8\u1ebb\u1ebd\u1eb9\u00ed\u00ec\u1ec9\u0129\u1ecb"
    "\u00f3\u00f2\u1ecf\u00f5\u1ecd\u00fa\u00f9\u1ee7\u0169\u1ee5\u00fd\u1ef3\u1ef7\u1ef9\u1ef5]"
)
# The arrows (README "Architecture"): each package may import only the packages listed, of ours.
#
#   bot ──> admin ──> documents ──> core <── storage
#    │  └─────────> handlers ──────> ^
#    └──> storage, documents, handlers, core
ALLOWED = {
    "core": set(),
    "storage": {"core"},
    "handlers": {"core"},
    "documents": {"core"},
    "admin": {"core", "documents", "handlers"},
    "bot": {"core", "storage", "handlers", "documents", "admin"},
}
# Libraries kept out of a layer: core is the standard library only, a dialog knows no
# channel or database, and a document no web server.
THIRD_PARTY_FORBIDDEN = {
    "core": ("aiohttp", "sqlalchemy", "telegram", "apscheduler", "alembic", "openpyxl",
             "jinja2", "docx", "segno", "argon2"),
    "handlers": ("telegram", "sqlalchemy", "aiohttp", "apscheduler", "openpyxl", "jinja2"),
    "storage": ("telegram", "aiohttp", "apscheduler", "jinja2"),
    "documents": ("telegram", "sqlalchemy", "aiohttp", "apscheduler"),
    "admin": ("telegram", "sqlalchemy", "apscheduler"),
}
# What the admin may take from handlers: the channel-neutral types, never a dialog.
ADMIN_FROM_HANDLERS = {"handlers.rendering"}


def python_files(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[str]:
    """Absolute names of every module a file imports, at any depth (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                yield ".".join([*base, node.module] if node.module else base)
            elif node.module:
                yield node.module


def roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


@pytest.mark.parametrize("package", PACKAGES)
def test_every_import_points_down(package: str) -> None:
    ours = set(PACKAGES) - {package}
    offenders = {
        str(path.relative_to(ROOT)): sorted((roots(path) & ours) - ALLOWED[package])
        for path in python_files(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("package", sorted(THIRD_PARTY_FORBIDDEN))
def test_layers_keep_out_the_libraries_of_other_layers(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(roots(path) & set(THIRD_PARTY_FORBIDDEN[package]))
        for path in python_files(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_admin_takes_only_neutral_types_from_handlers() -> None:
    taken = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path)
            if m.split(".")[0] == "handlers" and m not in ADMIN_FROM_HANDLERS)
        for path in python_files("admin")
    }
    assert {k: v for k, v in taken.items() if v} == {}


def test_core_imports_only_the_standard_library() -> None:
    import sys

    allowed = set(sys.stdlib_module_names) | {"core"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(roots(path) - allowed)
        for path in python_files("core")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_import_cycle_between_modules() -> None:
    """Imports inside functions count too: a late import is still a circle."""
    known = {module_name(p): p for p in python_files(*PACKAGES)}
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            edges |= {t for t in targets if t in known and t != name}
        graph[name] = edges
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt):], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_nothing_imports_bot() -> None:
    importers = [str(p.relative_to(ROOT)) for p in python_files(*PACKAGES)
                 if p.parts[len(ROOT.parts)] != "bot" and "bot" in roots(p)]
    assert importers == []


def test_no_vietnamese_sentence_in_python_code() -> None:
    hits = [str(p.relative_to(ROOT)) for p in python_files(*PACKAGES, "tests")
            if VIETNAMESE.search(p.read_text(encoding="utf-8"))]
    assert hits == []


def test_every_catalogue_has_the_same_keys() -> None:
    catalogue = load_catalogue()
    vi, en = catalogue.keys("vi"), catalogue.keys("en")
    assert sorted(vi - en) == []
    assert sorted(en - vi) == []


def test_every_text_takes_the_same_fields_in_each_language() -> None:
    catalogue = load_catalogue()
    different = [k for k in catalogue.keys("vi")
                 if catalogue.fields(k, "vi") != catalogue.fields(k, "en")]
    assert different == []


def test_vietnamese_catalogue_is_written_with_diacritics() -> None:
    catalogue = load_catalogue()
    texts = [catalogue.text(k, "vi") for k in catalogue.keys("vi")]
    with_marks = [t for t in texts if VIETNAMESE.search(t)]
    # Nearly every Vietnamese sentence has a marked letter; a catalogue typed without
    # diacritics would fail here.
    assert len(with_marks) >= 0.9 * len(texts)


def test_tests_mirror_the_packages() -> None:
    """Only shared plumbing sits at the root of tests/: each test lives in its package's folder."""
    loose = sorted(p.name for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_guards.py")
    assert loose == []
