"""Every script in benchmarks/ runs at its tiny size and prints its figures as one JSON line.

No timing is judged here (benchmarks are not tests): only that each script still runs
against the code it measures, and says what it measured with the keys its README promises.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.report import SIZES
from benchmarks.synthetic import layout

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300


def run_tiny(name: str, tmp_path: Path) -> dict[str, Any]:
    """`python -m benchmarks.<name> --size tiny` on SQLite; its last line, parsed."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
    environ.update(PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8", TMPDIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", "--size", "tiny"], cwd=ROOT, env=environ,
        capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) > 3, done.stdout  # the table came first
    figures = json.loads(lines[-1])
    assert isinstance(figures, dict)
    assert figures["size"] == "tiny" and figures["machine"]["cpus"]
    return figures


def test_conversations(tmp_path: Path) -> None:
    results = run_tiny("conversations", tmp_path)["results"]
    assert set(results) == {"echo", "echo rate-limited", "phocap sqlite",
                            "phocap sqlite unlimited"}
    for name, r in results.items():
        assert r["failures"] == 0, name
        assert r["updates"] > 0 and r["updates_per_s"] > 0 and r["p99_ms"] >= r["p50_ms"] > 0
        assert r["fraction_of_echo"] > 0 and r["fraction_of_limited_echo"] > 0
    for name in ("phocap sqlite", "phocap sqlite unlimited"):
        assert [results[name]["registered"], results[name]["pledged"]] == \
            results[name]["expected"]  # every dialog reached the database


def test_allocation(tmp_path: Path) -> None:
    r = run_tiny("allocation", tmp_path)["results"]["sqlite"]
    for key in ("insert_s", "read_candidates_s", "rank_s", "sorted_s", "preview_s", "commit_s"):
        assert r[key] > 0, key
    assert r["rank_over_sorted"] == pytest.approx(r["rank_s"] / r["sorted_s"])
    assert r["whole"] > 0 and r["partial"] > 0
    assert set(r["peak_rss_mib"]) == {"insert", "read", "rank", "preview", "commit"}


def test_report(tmp_path: Path) -> None:
    r = run_tiny("report", tmp_path)["results"]["sqlite"]
    # Every reporting unit (province, districts, communes) built, stored and sent once.
    assert r["reporting_units"] > 20
    assert r["reports_built"] == r["messages_queued"] == r["reporting_units"]
    assert r["province_sql_s"] > 0 and r["monthly_run_s"] > 0 and r["province_xlsx_kib"] > 0


def test_admin_list(tmp_path: Path) -> None:
    r = run_tiny("admin_list", tmp_path)["results"]["sqlite"]
    assert set(r) == {"first page", "middle page", "last page", "name search", "surname search"}
    for kind, f in r.items():
        assert f["p95_ms"] >= f["p50_ms"] > 0 and f["bytes"] > 0, kind


def test_import_xlsx(tmp_path: Path) -> None:
    r = run_tiny("import_xlsx", tmp_path)["results"]["sqlite"]
    assert r["rows"] == 200 and r["rows_per_s"] > 0 and r["read_s"] > 0
    assert "200" in r["summary"]  # the command's own summary: all 200 saved


def test_the_national_size_puts_five_times_the_people_in_the_same_units() -> None:
    residents, communes = SIZES["national"]
    assert (residents, layout(residents, communes)) == (5_000_000, (10_000, 100))
    assert layout(*SIZES["full"]) == (10_000, 100)  # 100 a commune, as before
    assert layout(2_000) == (20, 1)
