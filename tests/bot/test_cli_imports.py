"""The command line has no import circle: a command group imports bot.cli.common and what lies
below it, never the package (bot.cli) nor another group."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.cli

PACKAGE = Path(bot.cli.__file__).parent
SHARED = {"bot.cli.common", "bot.cli.progress"}  # what every group may use


def imported(path: Path) -> set[str]:
    """Every module that a file imports, at its top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "bot.cli":  # 'from bot.cli import report' imports a module
                names.update(f"bot.cli.{alias.name}" for alias in node.names)
    return names


def test_command_groups_import_only_common_and_below() -> None:
    groups = [p for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert {p.stem for p in groups} >= {"common", "units", "residents", "report"}
    for path in groups:
        reached = {n for n in imported(path) if n == "bot.cli" or n.startswith("bot.cli.")}
        assert reached <= SHARED - {f"bot.cli.{path.stem}"}, path.name


def test_nothing_outside_the_cli_imports_it() -> None:
    bot_dir = PACKAGE.parent
    for path in bot_dir.rglob("*.py"):
        if PACKAGE in path.parents or path.name == "__main__.py":
            continue
        assert not any(n == "bot.cli" or n.startswith("bot.cli.") for n in imported(path)), path
