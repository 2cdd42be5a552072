"""Schedulers by `kind`: fifo, easy_backfill, priority, fair_share (see each module)."""

from simulator.engine.scheduling import backfill, fair_share, fifo, priority  # noqa: F401
from simulator.engine.scheduling.base import SCHEDULERS, Scheduler, SchedulerParams, register

__all__ = ["SCHEDULERS", "Scheduler", "SchedulerParams", "register"]
