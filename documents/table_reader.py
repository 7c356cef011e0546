"""Reading an uploaded list in a worker process, with a time and a memory limit.

A spreadsheet is a zip of XML that can unfold into far more than it weighs (a 4.9 KB .xlsx
declaring a cell at Z100000 once held the server for 13.7 s and 690 MB). So the file is read
by documents.spreadsheets.read_table in a separate process whose CPU time and address space
the kernel caps (RLIMIT_CPU, RLIMIT_AS): the event loop only awaits the answer, and a file
that exceeds a limit costs that process, never the server. The workers stay between files
(starting an interpreter costs more CPU than reading a commune's list), so the CPU limit is
set anew before each file: what the process has used so far, plus the allowance.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import RuleError
from documents.spreadsheets import DEFAULT_LIMITS, ReadLimits, Table, read_table

MB = 1024 * 1024
GRACE = 5  # seconds of wall time beyond the CPU limit: starting the process, a busy machine


@dataclass(frozen=True, slots=True)
class ReaderLimits:
    seconds: int = 60  # CPU seconds to read one file
    memory_mb: int = 1024  # the worker's whole address space, the interpreter included
    table: ReadLimits = field(default_factory=lambda: DEFAULT_LIMITS)


def _limit_memory(memory_bytes: int) -> None:
    """In a new worker: past this an allocation fails (MemoryError), not the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _limit_time(seconds: int) -> None:
    """In the worker, before each file: past this the kernel ends the process (SIGXCPU)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (spent + seconds, resource.RLIM_INFINITY))


def _read(path: str, limits: ReadLimits, seconds: int) -> Table:
    """In the worker: the table, or a RuleError; whatever else goes wrong is a broken file."""
    _limit_time(seconds)
    try:
        return read_table(Path(path), limits)
    except RuleError:
        raise
    except MemoryError:
        raise RuleError("import-too-heavy", path=path) from None
    except Exception:  # any failure of the parser means the file is unreadable
        raise RuleError("import-unreadable", path=path) from None


class TableReader:
    """read_table in a worker process; one per running program (admin and CLI alike)."""

    def __init__(self, limits: ReaderLimits | None = None, workers: int = 2) -> None:
        self.limits = limits or ReaderLimits()
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def read(self, path: Path) -> Table:
        """The file's table, or a RuleError: unreadable, too large, or over a limit."""
        pool = self._pool or self._start()
        # submit() starts the worker process (spawn: a new interpreter), which takes long
        # enough on a busy machine to be felt by every other request: off the loop too
        try:
            future = await asyncio.to_thread(pool.submit, _read, str(path), self.limits.table,
                                             self.limits.seconds)
            return await asyncio.wait_for(asyncio.wrap_future(future),
                                          self.limits.seconds + GRACE)
        except (TimeoutError, BrokenProcessPool):
            # the worker was ended by its CPU limit (this file's, or another's read at the
            # same time: the pool breaks for both), or overran in wall time: it goes, and
            # the next file gets a new pool
            self._stop(pool)
            raise RuleError("import-too-heavy", path=str(path)) from None

    def close(self) -> None:
        if self._pool is not None:
            self._stop(self._pool)

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server has threads (the database driver's, the executor's)
        self._pool = ProcessPoolExecutor(
            max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_limit_memory, initargs=(self.limits.memory_mb * MB,))
        return self._pool

    def _stop(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        # a worker stuck past its wall time would hold its slot: end it before leaving
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
