"""Capacity blocks: whole instances booked for whole days.

A block starts at a job's first start and lasts as many days as the job ran (failures and
restarts included; a job still running at the end of the simulation, until then), at least
one day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.economics.months import HOUR_S
from simulator.economics.purchases.rented import PerUse
from simulator.economics.usage import Usage

DAY_S = 86400.0


class CapacityBlock(PerUse):
    """Billed per job, rounded up to whole days from its first start."""

    kind = "capacity_block"

    def bill_jobs(
        self, usage: Usage, jobs: pd.DataFrame, billed_gpus: pd.Series, rate: pd.Series
    ) -> tuple[np.ndarray, pd.Series]:
        run_s = np.where(
            jobs["run_s"].notna(), jobs["run_s"], usage.calendar.simulated_s - jobs["start_s"]
        )
        block_s = np.maximum(1.0, np.ceil(np.asarray(run_s) / DAY_S)) * DAY_S
        usd_per_s = billed_gpus * rate / HOUR_S
        per_job = pd.Series(usd_per_s.to_numpy() * block_s, index=jobs["name"].to_numpy())
        start = jobs["start_s"].to_numpy()
        by_month = usage.calendar.intervals(start, start + block_s, usd_per_s.to_numpy())
        return usage.calendar.extend(by_month), per_job
