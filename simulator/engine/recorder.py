"""The append-only record of a run: events and timeline samples as plain tuples.

The engine appends; `simulator.results` turns the lists into pandas frames once, at the end.
Appending a tuple costs well under a microsecond, so recording never dominates a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EVENT_COLUMNS: tuple[str, ...] = ("time_s", "event", "job_id", "job", "node", "value", "detail")
"""One row per thing that happened. `value` is event-specific (lost work seconds for a
failure, bytes for a checkpoint, ...); `detail` names a component or a reason."""

TIMELINE_COLUMNS: tuple[str, ...] = (
    "time_s",
    "allocated_gpus",
    "busy_gpus",
    "free_gpus",
    "queue_length",
    "running_jobs",
    "down_nodes",
    "fragmentation",
    "it_power_w",
    "throttle",
)
"""State after every change; a row holds until the next row's time (a step function)."""


class Recorder:
    """Event log and timeline, appended to during the run."""

    __slots__ = ("events", "timeline")

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.timeline: list[tuple] = []

    def event(
        self,
        time_s: float,
        kind: str,
        job_id: int = -1,
        job: str = "",
        node: int = -1,
        value: float = float("nan"),
        detail: str = "",
    ) -> None:
        """Append one event."""
        self.events.append((time_s, kind, job_id, job, node, value, detail))

    def sample(self, row: tuple) -> None:
        """Append a timeline row, replacing the previous one if it has the same time."""
        timeline = self.timeline
        if timeline and timeline[-1][0] == row[0]:
            timeline[-1] = row
        else:
            timeline.append(row)


@dataclass
class RunRecord:
    """Everything a finished run hands to `simulator.results`: plain lists and numbers."""

    jobs: dict[str, list[Any]]
    events: list[tuple]
    timeline: list[tuple]
    meta: dict[str, Any] = field(default_factory=dict)
