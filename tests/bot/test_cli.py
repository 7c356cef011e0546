"""The 'phocap' command as a user runs it: a subprocess on a fresh SQLite file."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def phocap(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PHOCAP_LOCALE"}
    environ |= {"PHOCAP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/p.db",
                "PHOCAP_CONFIG": str(tmp_path / "none.toml"), **env}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=180, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_copy(template: Path, folder: Path) -> Path:
    """A demo database of one's own in folder (as phocap() expects it, p.db)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "p.db")
    return folder


@pytest.fixture(scope="module")
def demo_db(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_copy(demo_template, tmp_path_factory.mktemp("demo"))


def test_init_demo_prints_admin_login_and_loads_people(demo_db: Path) -> None:
    again = phocap(demo_db, "init", "--demo")
    assert again.returncode == 0
    assert "admin" in again.stdout
    # a fresh one-time invite code for the demo village head at every start
    codes = [re.findall(r": ([A-Z0-9]{4}-[A-Z0-9]{4}) ", phocap(demo_db, "init", "--demo").stdout)
             for _ in range(2)]
    assert len(codes[0]) == len(codes[1]) == 1 and codes[0] != codes[1]
    assert "SQL" not in again.stderr and "COMMIT" not in again.stderr
    rows = json.loads(phocap(demo_db, "export", "units", "--format", "json").stdout)
    levels = {r["level"] for r in rows}
    assert levels == {"province", "district", "commune", "village"}
    communes = {r["code"] for r in rows if r["level"] == "commune"}
    assert communes == {"01837", "02017", "01912", "02071", "02122", "01951", "02173", "01870"}


def test_run_answers_healthz_on_the_demo_database(demo_db: Path) -> None:
    port = free_port()
    env = {**os.environ, "PHOCAP_DATABASE_URL": f"sqlite+aiosqlite:///{demo_db}/p.db",
           "PHOCAP_PORT": str(port), "PHOCAP_CONFIG": str(demo_db / "none.toml")}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.2)
        assert body == {"status": "ok", "database": True, "channels": {}}  # none configured
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_run_on_an_uninitialised_database_says_to_init(tmp_path: Path) -> None:
    result = phocap(tmp_path, "run")
    assert result.returncode == 2
    assert "phocap init" in result.stdout


def test_bad_setting_is_refused_in_the_users_language(tmp_path: Path) -> None:
    vi = phocap(tmp_path, "init", PHOCAP_PORT="abc")
    en = phocap(tmp_path, "init", PHOCAP_PORT="abc", PHOCAP_LOCALE="en")
    assert vi.returncode == en.returncode == 2
    assert "PHOCAP_PORT" in vi.stderr and "kh\u00f4ng ph\u1ea3i l\u00e0 s\u1ed1" in vi.stderr
    assert "is not a number" in en.stderr


def test_unit_found_by_name_without_diacritics(demo_db: Path) -> None:
    result = phocap(demo_db, "user", "add", "--login", "conminh", "--name", "nong thi hoa",
                    "--role", "commune", "--unit", "xa con minh", "--password", "s3cret-pass")
    assert result.returncode == 0, result.stderr
    assert "t\u1ea1i x\u00e3 C\u00f4n Minh" in result.stdout  # lower case inside the sentence


def test_import_units_renames_and_adds(demo_db: Path, tmp_path: Path) -> None:
    data = {"dataset": "2023", "units": [
        {"code": "02173", "name": "X\u00e3 C\u00f4n Minh m\u1edbi", "level": "commune",
         "parent": "066"},
        {"code": "02173-99", "name": "Th\u00f4n M\u1edbi", "level": "village",
         "parent": "02173"}]}
    file = tmp_path / "units.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    result = phocap(demo_db, "import", "units", str(file))
    assert result.returncode == 0, result.stderr
    rows = json.loads(phocap(demo_db, "export", "units", "--format", "json").stdout)
    names = {r["code"]: r["name"] for r in rows}
    assert names["02173"] == "X\u00e3 C\u00f4n Minh m\u1edbi" and "02173-99" in names


def test_run_refuses_a_public_url_without_a_secret_key(tmp_path: Path) -> None:
    result = phocap(tmp_path, "run", PHOCAP_PUBLIC_URL="https://phocap.example",
                    PHOCAP_LOCALE="en")
    assert result.returncode == 2
    assert "PHOCAP_SECRET_KEY" in result.stdout and "did not start" in result.stdout


def test_init_makes_a_database_only_its_owner_can_read(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which would leave the file readable by all
    try:
        assert phocap(tmp_path, "init").returncode == 0
    finally:
        os.umask(old)
    for name in ("p.db", "p.db-wal", "p.db-shm"):
        if (tmp_path / name).exists() or name == "p.db":
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name


def test_user_add_refuses_a_password_below_the_minimum(demo_db: Path) -> None:
    args = ("user", "add", "--login", "ngan", "--name", "la van ngan", "--role", "commune",
            "--unit", "02173")  # by code: another test of this module renames the commune
    short = phocap(demo_db, *args, "--password", "a", PHOCAP_LOCALE="en")
    assert short.returncode == 1
    assert "at least 10 characters" in short.stderr
    good = phocap(demo_db, *args, "--password", "mot-mat-khau-dai")
    assert good.returncode == 0, good.stderr  # the refused one left no account behind


def test_a_short_admin_password_setting_is_refused(tmp_path: Path) -> None:
    result = phocap(tmp_path, "init", PHOCAP_ADMIN_PASSWORD="a", PHOCAP_LOCALE="en")
    assert result.returncode == 2
    assert "PHOCAP_ADMIN_PASSWORD" in result.stderr and "at least 10" in result.stderr
