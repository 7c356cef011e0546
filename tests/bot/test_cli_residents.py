"""'phocap import residents' and 'export residents' through the real command, in a subprocess."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.core.services.test_imports import (
    AN,
    EXPECTED_ERRORS,
    HANG,
    HOA,
    LAN,
    SAMPLE,
    write_bad_file,
)

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
REASON_VI = "L\u00fd do"
LINE_VI = "D\u00f2ng"
CCCD_VI = ("S\u1ed1 \u0111\u1ecbnh danh c\u00e1 nh\u00e2n "  # the ID column named since 1 July 2024
           "(s\u1ed1 th\u1ebb c\u0103n c\u01b0\u1edbc/CCCD)")


def minor_born() -> date:
    """Seventeen this year, whatever day the test runs (and in whichever time zone)."""
    return date(date.today().year - 17, 1, 1)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh SQLite database with the shipped units (init without --demo)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
    environ.update(
        PHOCAP_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        PHOCAP_CONFIG=str(tmp_path / "none.toml"),
        PHOCAP_ADMIN_PASSWORD="test-password-1",
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8",
    )
    done = phocap(environ, tmp_path, "init")
    assert done.returncode == 0, done.stderr
    return environ


def phocap(
    env: dict[str, str], cwd: Path, *args: str, locale: str | None = None
) -> subprocess.CompletedProcess[str]:
    environ = dict(env, PHOCAP_LOCALE=locale) if locale else env
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=environ, cwd=cwd, capture_output=True,
        text=True, encoding="utf-8", timeout=TIMEOUT, check=False,
    )


def import_sample(env: dict[str, str], cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return phocap(env, cwd, "import", "residents", str(SAMPLE), "--commune", "con minh", *extra)


def error_lines(stdout: str, word: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(word + " ")]


def test_sample_import_prints_the_summary_in_vietnamese(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = import_sample(env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "v\u00e0o x\u00e3 C\u00f4n Minh" in done.stdout  # lower case inside the sentence
    assert "l\u01b0u m\u1edbi 8 ng\u01b0\u1eddi (5 h\u1ed9 m\u1edbi)" in done.stdout
    assert "b\u1ecb t\u1eeb ch\u1ed1i 0 d\u00f2ng" in done.stdout
    assert error_lines(done.stdout, LINE_VI) == []
    again = import_sample(env, tmp_path)
    assert "\u0111\u00e3 c\u00f3 s\u1eb5n 8 ng\u01b0\u1eddi" in again.stdout
    assert "l\u01b0u m\u1edbi 0 ng\u01b0\u1eddi" in again.stdout


def test_bad_rows_are_listed_and_written_to_a_rejects_file(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert import_sample(env, tmp_path).returncode == 0  # Ly Thi Lan is now registered
    bad = write_bad_file("xlsx", tmp_path, minor_born())
    done = phocap(env, tmp_path, "import", "residents", str(bad), "--commune", "02173")
    assert done.returncode == 0, done.stderr
    lines = error_lines(done.stdout, LINE_VI)
    assert [int(line.split()[1]) for line in lines] == sorted(EXPECTED_ERRORS)
    by_line = {int(line.split()[1]): line for line in lines}
    assert by_line[15].startswith(f"{LINE_VI} 15 \u2014 {CCCD_VI}: ")
    assert LAN in by_line[15]  # the other holder of the ID is named
    assert by_line[10].startswith(f"{LINE_VI} 10 \u2014 Ng\u00e0y sinh: ")
    assert "ch\u01b0a \u0111\u1ee7 18 tu\u1ed5i" in by_line[10]
    assert by_line[11].startswith(f"{LINE_VI} 11 \u2014 Th\u00f4n: ")
    assert "Thon Khong Co" in by_line[11]
    assert "d\u00f2ng 4" in by_line[14]  # duplicate of line 4 of the same file
    assert "l\u01b0u m\u1edbi 3 ng\u01b0\u1eddi" in done.stdout

    rejects = tmp_path / "danh-sach-loi-loi.xlsx"
    assert str(rejects) in done.stdout
    sheet = load_workbook(rejects).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == REASON_VI
    assert rows[0][6] == "H\u1ecd v\u00e0 t\u00ean"
    assert len(rows) == 1 + len(EXPECTED_ERRORS)
    names = [r[6] for r in rows[1:]]
    assert AN not in names and HOA not in names
    assert "Ho\u00e0ng V\u0103n L\u00e2m" in names  # the 31/02/1990 line
    assert any(LAN in str(r[-1]) and str(r[-1]).startswith(CCCD_VI + ": ") for r in rows[1:])


def test_english_report_and_repeat_import(env: dict[str, str], tmp_path: Path) -> None:
    assert import_sample(env, tmp_path).returncode == 0
    bad = write_bad_file("xlsx", tmp_path, minor_born())
    first = phocap(env, tmp_path, "import", "residents", str(bad), "--commune", "Con Minh")
    assert first.returncode == 0
    again = phocap(env, tmp_path, "import", "residents", str(bad), "--commune", "Con Minh",
                   "--dry-run", locale="en")
    assert again.returncode == 0, again.stderr
    assert "Dry run (nothing saved)" in again.stdout
    assert "0 people would be saved" in again.stdout
    assert "3 already present" in again.stdout
    lines = error_lines(again.stdout, "Line")
    assert len(lines) == len(EXPECTED_ERRORS)
    assert any(line.startswith(  # the column by its 2024 name, the woman as "Ms", full name
        "Line 15 \u2014 Personal identification number (identity card/CCCD number): This "
        f"personal identification number is already registered for Ms {LAN}") for line in lines)
    assert any(line.startswith("Line 10 \u2014 Date of birth: ") for line in lines)
    rejects = load_workbook(tmp_path / "danh-sach-loi-loi.xlsx").active
    assert rejects.cell(1, rejects.max_column).value == "Reason"


def test_csv_in_windows_code_page_gets_csv_rejects(env: dict[str, str], tmp_path: Path) -> None:
    bad = write_bad_file("csv-cp1258", tmp_path, minor_born())
    out = tmp_path / "sua-lai.csv"
    done = phocap(env, tmp_path, "import", "residents", str(bad), "--commune", "02173",
                  "--rejects", str(out))
    assert done.returncode == 0, done.stderr
    assert "l\u01b0u m\u1edbi 4 ng\u01b0\u1eddi" in done.stdout  # line 15 is new here
    text = out.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0][-1] == REASON_VI
    # the DB duplicate (line 15) is not one here: nobody holds that ID in this database
    assert len(rows) == len(EXPECTED_ERRORS)
    assert HANG in {r[6] for r in rows[1:]}  # line 17, the later copy of Luu Thi Hang


def test_dry_run_saves_nothing(env: dict[str, str], tmp_path: Path) -> None:
    done = import_sample(env, tmp_path, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "ch\u01b0a l\u01b0u g\u00ec" in done.stdout
    exported = phocap(env, tmp_path, "export", "residents", "--format", "json")
    assert json.loads(exported.stdout) == []


def test_approve_and_export_json(env: dict[str, str], tmp_path: Path) -> None:
    done = import_sample(env, tmp_path, "--approve")
    assert done.returncode == 0, done.stderr
    assert "\u0110\u00e3 duy\u1ec7t 8 ng\u01b0\u1eddi" in done.stdout
    exported = phocap(env, tmp_path, "export", "residents", "--format", "json", "--unit",
                      "Na Ri")
    assert exported.returncode == 0, exported.stderr
    people = json.loads(exported.stdout)
    assert len(people) == 8
    first = people[0]
    assert {"id", "commune", "village", "household", "full_name", "date_of_birth",
            "citizen_id", "gender", "poverty", "policy", "has_smartphone", "status",
            "commune_code", "village_code", "phone", "approved_at"} <= set(first)
    assert first["commune"] == "X\u00e3 C\u00f4n Minh" and first["commune_code"] == "02173"
    assert (first["village"], first["household"]) == ("N\u00e0 D\u0103m", "CM-01")
    assert first["date_of_birth"] == "1958-02-14"
    assert (first["poverty"], first["policy"], first["status"]) == ("poor", "merit", "approved")
    assert first["approved_at"] is not None
    by_name = {p["full_name"]: p for p in people}
    assert by_name["L\u00fd Th\u1ecb Lan"]["phone"] == "+84912345678"
    assert by_name["L\u00fd Th\u1ecb Lan"]["poverty"] == "near_poor"
    assert by_name["Ma Th\u1ecb Nhung"]["policy"] == "social"
    assert by_name["Ma Th\u1ecb Nhung"]["has_smartphone"] is True
    elsewhere = phocap(env, tmp_path, "export", "residents", "--unit", "Nghia Ta")
    assert json.loads(elsewhere.stdout) == []


def test_xlsx_export_has_vietnamese_headers_and_imports_back(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert import_sample(env, tmp_path).returncode == 0
    out = tmp_path / "xuat.xlsx"
    done = phocap(env, tmp_path, "export", "residents", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(out).active
    headers = [c.value for c in sheet[1]]
    assert "H\u1ecd v\u00e0 t\u00ean" in headers and "Ng\u00e0y sinh" in headers
    assert sheet[1][0].font.b and sheet.freeze_panes == "A2"
    born = sheet.cell(2, headers.index("Ng\u00e0y sinh") + 1)
    assert born.number_format == "DD/MM/YYYY"
    assert sheet.cell(2, headers.index("Ph\u00e2n lo\u1ea1i h\u1ed9") + 1).value == (
        "H\u1ed9 ngh\u00e8o"
    )
    back = phocap(env, tmp_path, "import", "residents", str(out), "--commune", "02173")
    assert back.returncode == 0, back.stderr
    assert "\u0111\u00e3 c\u00f3 s\u1eb5n 8 ng\u01b0\u1eddi" in back.stdout


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("list.ods", b"PK\x03\x04", ".ods"),
        ("list.csv", b"a,b\n1,2\n", "ti\u00eau \u0111\u1ec1"),
        ("list.csv", b"full_name,date_of_birth,village\n\x81,1/1/1970,x\n", "b\u1ea3ng m\u00e3"),
    ],
)
def test_unreadable_file_exits_1_with_a_clear_message(
    env: dict[str, str], tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    done = phocap(env, tmp_path, "import", "residents", str(path), "--commune", "02173")
    assert done.returncode == 1
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def test_the_export_carries_what_the_priority_reads_about_the_household(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 14, item 8: the household's register answer and its known devices by route, and
    the person's own support, so that an outside reader can redo the order."""
    assert import_sample(env, tmp_path, "--approve").returncode == 0
    served = tmp_path / "served.csv"
    served.write_text("full_name,date_of_birth,village\n"
                      "B\u00e0n V\u0103n Phin,07/05/1972,N\u00e0 D\u0103m\n", encoding="utf-8")
    done = phocap(env, tmp_path, "import", "served", str(served), "--commune", "02173",
                  "--programme", "Chuong trinh B")
    assert done.returncode == 0, done.stderr
    people = json.loads(phocap(env, tmp_path, "export", "residents", "--format",
                               "json").stdout)
    an = next(p for p in people if p["full_name"] == "B\u00e0n V\u0103n Phin")
    home = [p for p in people if p["household"] == an["household"]]
    assert len(home) == 2  # the sample puts his wife beside him
    for p in home:
        assert (p["household_other_programme"], p["household_whole_phones"],
                p["household_direct_gifts"], p["household_shop_offers"]) == (1, 0, 0, 0)
        assert isinstance(p["household_has_smartphone"], bool)
    assert an["support"] == "other_programme"
    assert {p["support"] for p in home if p is not an} == {None}
    elsewhere = [p for p in people if p["household"] != an["household"]]
    assert {p["household_other_programme"] for p in elsewhere} == {0}
    csv_out = phocap(env, tmp_path, "export", "residents", "--format", "csv").stdout
    header = next(csv.reader([csv_out.lstrip("\ufeff").splitlines()[0]]))
    assert header[-6:] == ["household_has_smartphone", "household_whole_phones",
                           "household_other_programme", "household_direct_gifts",
                           "household_shop_offers", "support"]
    out = tmp_path / "xuat.xlsx"
    assert phocap(env, tmp_path, "export", "residents", "--format", "xlsx", "--out",
                  str(out)).returncode == 0
    titles = [c.value for c in load_workbook(out).active[1]]
    assert "H\u1ed9 c\u00f3 \u0110TTM (theo \u0111\u0103ng k\u00fd)" in titles
    assert ("S\u1ed1 m\u00e1y h\u1ed9 nh\u1eadn t\u1eeb ch\u01b0\u01a1ng tr\u00ecnh "
            "kh\u00e1c") in titles


def test_an_export_and_a_dry_run_are_on_record(env: dict[str, str], tmp_path: Path) -> None:
    """Issue 15, item 6: 'export residents' and an import's dry run read personal data in
    bulk: each leaves one line in the trail (source, filter, rows), under the unit read."""
    assert import_sample(env, tmp_path, "--dry-run").returncode == 0
    assert import_sample(env, tmp_path).returncode == 0
    done = phocap(env, tmp_path, "export", "residents", "--format", "json", "--unit", "Na Ri")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "cli.db") as db:
        lines = db.execute(
            "SELECT a.actor_label, a.\"after\", u.name FROM audit_log a JOIN units u"
            " ON u.id = a.unit_id WHERE a.action = 'read-list' ORDER BY a.id").fetchall()
    reads = [(label, json.loads(after), unit) for label, after, unit in lines]
    assert [(r[1]["source"], r[1]["rows"]) for r in reads] == [
        ("cli-import-dry-run", 8), ("cli-export", 8)]
    assert reads[1][1]["filter"] == "format=json, unit=Na Ri"
    assert reads[0][2] == "X\u00e3 C\u00f4n Minh" and reads[1][2] == "Huy\u1ec7n Na R\u00ec"
