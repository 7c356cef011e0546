"""Importing a commune's list from a generated .xlsx through `phocap import residents`' own
code (bot/cli/residents.py: read the file, parse every row, save each in its savepoint,
commit): rows per second, and the reading of the file alone beside it.

    python -m benchmarks.import_xlsx [--size tiny|default|full] [--database URL]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import time
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from benchmarks.synthetic import (
    Names,
    citizen_id,
    fresh_database,
    on_each_database,
    parser,
    report,
    run,
)
from bot.cli.residents import cmd_import_residents
from bot.runtime import open_runtime
from bot.settings import load_settings
from core.clock import system_clock
from core.model import Level
from documents.spreadsheets import ReadLimits, read_table
from storage.db import make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory

SIZES = {"tiny": 200, "default": 10_000, "full": 100_000}
COMMUNE = "02173"  # xa Con Minh, with its sample villages
HEADERS = [
    "STT", "M\u00e3 h\u1ed9", "Ch\u1ee7 h\u1ed9", "Th\u00f4n", "Ph\u00e2n lo\u1ea1i h\u1ed9",
    "Di\u1ec7n ch\u00ednh s\u00e1ch", "H\u1ecd v\u00e0 t\u00ean", "Ng\u00e0y sinh",
    "Gi\u1edbi t\u00ednh", "S\u1ed1 CCCD", "C\u00f3 \u0110TTM",
]
POVERTY = ("H\u1ed9 ngh\u00e8o", "H\u1ed9 c\u1eadn ngh\u00e8o", "")
POLICY = ("", "", "", "Ng\u01b0\u1eddi c\u00f3 c\u00f4ng", "Ch\u00ednh s\u00e1ch x\u00e3 h\u1ed9i")
SEX = {"male": "Nam", "female": "N\u1eef"}
YES_NO = ("C\u00f3", "Kh\u00f4ng", "Kh\u00f4ng", "Kh\u00f4ng")


def write_list(path: Path, rows: int, villages: list[str]) -> None:
    """A commune's list as an .xlsx: a title row, the header, households of 1-4 adults.

    Written with the sheet's size declared, as Excel writes it: openpyxl's write-only mode
    leaves it out, and a reader then parses the whole sheet once more to find it.
    """
    rng, names = random.Random(8), Names.load()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DANH S\u00c1CH NG\u01af\u1edcI D\u00c2N CH\u01afA C\u00d3 \u0110TTM"])
    sheet.append(HEADERS)
    n, household = 0, 0
    while n < rows:
        household += 1
        code, village = f"CM-{household:06d}", rng.choice(villages)
        head = names.person(rng, "male")
        poverty, policy = rng.choice(POVERTY), rng.choice(POLICY)
        for _ in range(min(rng.randint(1, 4), rows - n)):
            n += 1
            sex = rng.choice(("male", "female"))
            born = date(1945 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28))
            sheet.append([n, code, head, village, poverty, policy, names.person(rng, sex),
                          born.strftime("%d/%m/%Y"), SEX[sex], citizen_id(n, born, sex),
                          rng.choice(YES_NO)])
    book.save(path)


async def bench(url: str, rows: int, folder: Path) -> dict[str, Any]:
    engine = await fresh_database(url)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
            commune = await u.units.by_code("2023", COMMUNE)
            assert commune is not None
            villages = [v.name for v in await u.units.children(commune.id)
                        if v.level is Level.VILLAGE]
    finally:
        await engine.dispose()
    path = folder / f"danh-sach-{rows}.xlsx"
    if not path.exists():
        write_list(path, rows, villages)
    started = time.perf_counter()
    read_table(path, ReadLimits(max_rows=rows + 100))  # in this process: the parse alone
    read_s = time.perf_counter() - started
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": url,
                                      "PHOCAP_IMPORT_MAX_ROWS": str(rows + 100)},
                             toml_path=Path("/nonexistent/phocap.toml"))
    args = argparse.Namespace(file=path, commune=COMMUNE, dry_run=False, approve=False,
                              rejects=folder / "rejects.xlsx", progress=False)
    printed = io.StringIO()
    async with open_runtime(settings) as rt:
        started = time.perf_counter()
        with contextlib.redirect_stdout(printed):
            code = await cmd_import_residents(rt, args, system_clock)
        total_s = time.perf_counter() - started
    assert code == 0, printed.getvalue()
    return {"rows": rows, "read_s": read_s, "total_s": total_s, "rows_per_s": rows / total_s,
            "file_bytes": path.stat().st_size, "summary": printed.getvalue().splitlines()[0]}


async def main(args: argparse.Namespace) -> None:
    rows = SIZES[args.size]
    results = await on_each_database(args, lambda url, tmp: bench(url, rows, tmp))
    table = [(db, r["rows"], r["read_s"], r["total_s"], r["rows_per_s"])
             for db, r in results.items()]
    report(f"import residents: a {rows:,}-row .xlsx into one commune",
           ("database", "rows", "read file s", "whole import s", "rows/s"), table,
           {"size": args.size, "rows": rows, "results": results})


if __name__ == "__main__":
    run(main, parser(__doc__).parse_args())
