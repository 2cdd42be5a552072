"""First in, first out: the oldest job starts first; nothing passes a job that does not fit."""

from __future__ import annotations

from simulator.engine.scheduling.base import Scheduler, register


@register
class Fifo(Scheduler):
    """Strict arrival order (requeued jobs keep their original place)."""

    kind = "fifo"

    def schedule(self) -> None:
        self.start_in_order()
