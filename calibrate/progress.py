"""Progress for a probe run: the plan and a time estimate up front, then a bar per step.

On a terminal the bar redraws in place; elsewhere (CI logs, tests) each step is one line, so
a log shows where a slow or stuck probe was.
"""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """Counts steps against the plan's total and draws them on `stream`."""

    def __init__(self, stream: TextIO, total_steps: int, *, tty: bool, width: int = 28) -> None:
        self.stream, self.total, self.tty, self.width = stream, max(total_steps, 1), tty, width
        self.done = 0
        self.started = time.monotonic()

    def restart(self, total_steps: int) -> None:
        """Set the step count once the plan is known; the clock starts now."""
        self.total, self.done = max(total_steps, 1), 0
        self.started = time.monotonic()

    def announce(self, text: str) -> None:
        """A line of its own (the plan, the estimate, a skipped measurement)."""
        if self.tty and self.done:
            self.stream.write("\n")
        self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, label: str) -> None:
        """One step is starting."""
        self.done += 1
        frac = min(1.0, self.done / self.total)
        elapsed = time.monotonic() - self.started
        if self.tty:
            filled = round(frac * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} {elapsed:5.1f} s  {label:<40}")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {elapsed:5.1f} s  {label}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
