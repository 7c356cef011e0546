"""A progress bar on stderr for long commands (imports): only on a terminal, or when asked."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from bot.runtime import Runtime

WIDTH = 30  # characters of the bar itself
EVERY = 0.2  # seconds between redraws: a redraw per row would cost more than the row


class Progress:
    """Draws `import-progress` over itself on one line; silent when not enabled."""

    def __init__(self, rt: Runtime, enabled: bool | None = None,
                 stream: TextIO | None = None) -> None:
        self._rt = rt
        self._stream = stream or sys.stderr
        self.enabled = self._stream.isatty() if enabled is None else enabled
        self._total = 0
        self._drawn = 0.0

    def note(self, key: str, /, **params: object) -> None:
        """A stage with no count (reading the file)."""
        if self.enabled:
            self._stream.write(self._rt.text(key, **params) + "\n")
            self._stream.flush()

    def start(self, total: int) -> None:
        self._total, self._drawn = total, 0.0

    def step(self, done: int) -> None:
        """Rows done so far; drawn at most every EVERY seconds, and at the end."""
        if not self.enabled or not self._total:
            return
        now = time.monotonic()
        if done < self._total and now - self._drawn < EVERY:
            return
        self._drawn = now
        filled = WIDTH * done // self._total
        line = self._rt.text("import-progress", bar="#" * filled + "-" * (WIDTH - filled),
                             done=done, total=self._total, percent=100 * done // self._total)
        self._stream.write("\r" + line + ("\n" if done >= self._total else ""))
        self._stream.flush()
