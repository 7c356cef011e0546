"""Guards that keep the architecture and the catalogues honest."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.i18n import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "handlers", "storage", "bot", "admin")
VIETNAMESE = re.compile(
    "[\u0103\u00e2\u0111\u00ea\u00f4\u01a1\u01b0\u0102\u00c2\u0110\u00ca\u00d4\u01a0\u01af"
    "\u00e1\u00e0\u1ea3\u00e3\u1ea1\u00e9\u00e8\u1ebb\u1ebd\u1eb9\u00ed\u00ec\u1ec9\u0129\u1ecb"
    "\u00f3\u00f2\u1ecf\u00f5\u1ecd\u00fa\u00f9\u1ee7\u0169\u1ee5\u00fd\u1ef3\u1ef7\u1ef9\u1ef5]"
)
FORBIDDEN = {
    "core": ("aiohttp", "sqlalchemy", "telegram", "apscheduler", "alembic", "openpyxl",
             "handlers", "storage", "bot", "admin"),
    "handlers": ("telegram", "sqlalchemy", "aiohttp", "storage", "bot", "admin"),
    "storage": ("handlers", "bot", "admin", "telegram", "aiohttp"),
}


def python_files(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))]


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_what_the_design_allows(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & set(FORBIDDEN[package]))
        for path in python_files(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


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
