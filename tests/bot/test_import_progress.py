"""The progress bar of `phocap import residents`: on stderr, only on a terminal or with
--progress, worded by the catalogue; stdout keeps only the report."""

from __future__ import annotations

from pathlib import Path

from core.i18n import load_catalogue
from tests.bot.test_cli_residents import SAMPLE, env, import_sample

__all__ = ["env"]  # the fixture, used by name

CATALOGUE = load_catalogue()


def test_progress_bar_goes_to_stderr_when_asked(env: dict[str, str], tmp_path: Path) -> None:
    done = import_sample(env, tmp_path, "--progress")
    assert done.returncode == 0, done.stderr
    reading = CATALOGUE.text("import-progress-reading", "vi", path=str(SAMPLE))
    finished = CATALOGUE.text("import-progress", "vi", bar="#" * 30, done=8, total=8,
                              percent=100)
    assert reading in done.stderr
    assert finished in done.stderr  # the sample's eight rows, all done
    assert finished not in done.stdout and "#" * 30 not in done.stdout


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = import_sample(env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "#" * 30 not in done.stderr and "-" * 30 not in done.stderr
    saving = CATALOGUE.text("import-progress", "vi", bar="", done=0, total=0, percent=0)
    assert saving.split("[")[0] not in done.stderr
