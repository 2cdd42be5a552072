"""Renting from a cloud sheet: compute (the kind's own rule) plus storage and egress.

- Storage is billed on the peak the run used per tier, every month; local NVMe comes with
  the instances. Egress is `pricing.egress_tb_per_month` at the sheet's rate.
- Energy and carbon are the jobs' draw at this facility's PUE and grid (the cloud's own
  figures are not known); they are reported, not billed.
- Per-use kinds (on-demand, spot, capacity blocks) bill each job's GPUs at instance
  granularity: a 4-GPU job on an 8-GPU p5 pays for 8 GPUs (no packing of jobs into shared
  instances). How long a job is billed for is the kind's (`PerUse.bill_jobs`).
A price the option needs but the sheet lacks is an InputError naming the option, never a zero.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
import pandas as pd

from simulator.economics.cloud import (
    by_pool,
    egress_usd,
    pool_instances,
    sheet_of,
    storage_usd,
    usd_per_gpu_hour,
)
from simulator.economics.energy import EnergyCost
from simulator.economics.ledger import OptionCost
from simulator.economics.purchases.base import Purchase
from simulator.economics.site import SiteFigures
from simulator.economics.usage import Usage
from simulator.scenario import LoadedScenario
from simulator.schema.pricing import PricingProfile
from simulator.schema.scenario import PriceOption


class Rented(Purchase):
    """A kind priced on a cloud sheet; break-even sets owned kinds against these."""

    def price(
        self,
        loaded: LoadedScenario,
        option: PriceOption,
        where: str,
        usage: Usage,
        energy: EnergyCost,
        site: SiteFigures,
    ) -> OptionCost:
        """The bill, plus the energy and carbon of the jobs' draw."""
        cost = self.bill(loaded, option, where, usage, site)
        cal = usage.calendar
        it_kwh = float(usage.jobs["energy_kwh"].sum()) * cal.horizon_s / cal.simulated_s
        cost.energy_kwh = it_kwh * site.pue
        cost.carbon_kg = cost.energy_kwh * energy.mean_g_per_kwh / 1000.0
        cost.notes.append("energy and carbon: the jobs' draw at this facility's PUE and grid")
        return cost

    def bill(
        self,
        loaded: LoadedScenario,
        option: PriceOption,
        where: str,
        usage: Usage,
        site: SiteFigures,
    ) -> OptionCost:
        """What the provider charges for renting the workload under `option` over the horizon."""
        sheet = sheet_of(loaded, option.sheet)
        cost = OptionCost(option.name, option.sheet, option.purchase, usage.calendar.months)
        self.book_compute(cost, loaded, usage, sheet, option, where)
        cost.add("storage", storage_usd(loaded, usage, sheet, site, where))
        cost.add("egress", egress_usd(loaded, usage, sheet))
        cost.delivered_gpu_hours = usage.delivered_gpu_hours()
        cost.goodput_gpu_hours = usage.goodput_gpu_hours()
        return cost

    @abstractmethod
    def book_compute(
        self,
        cost: OptionCost,
        loaded: LoadedScenario,
        usage: Usage,
        sheet: PricingProfile,
        option: PriceOption,
        where: str,
    ) -> None:
        """Add the compute categories (and any per-run or capacity figures) to `cost`."""


class PerUse(Rented):
    """A kind billed for the jobs that ran, not for capacity held idle; burst jobs rent these."""

    def book_compute(
        self,
        cost: OptionCost,
        loaded: LoadedScenario,
        usage: Usage,
        sheet: PricingProfile,
        option: PriceOption,
        where: str,
    ) -> None:
        compute, per_job = self.compute(loaded, usage, sheet, option.instance_type, where)
        cost.add("compute", compute, variable=True)
        training = usage.jobs[usage.jobs["kind"] == "training"]["name"]
        cost.training_runs = {n: float(per_job[n]) for n in training if n in per_job.index}

    def compute(
        self,
        loaded: LoadedScenario,
        usage: Usage,
        sheet: PricingProfile,
        instance_type: str | None,
        where: str,
        jobs_mask: pd.Series | None = None,
    ) -> tuple[np.ndarray, pd.Series]:
        """USD per month, and USD per job over the simulated run, of renting per use.

        `jobs_mask` (over `usage.jobs`) selects the jobs rented (default all).
        """
        instances = pool_instances(loaded, sheet, instance_type, where)
        jobs = usage.jobs if jobs_mask is None else usage.jobs[jobs_mask]
        jobs = jobs[jobs["gpu_hours"] > 0]
        if jobs.empty:
            return np.zeros(usage.calendar.months), pd.Series(dtype=float)
        used = {p: instances[p] for p in jobs["pool"].unique()}  # only pools that ran are priced
        gpi = by_pool(jobs, {p: x.gpus_per_instance for p, x in used.items()})
        rate = by_pool(
            jobs,
            {p: usd_per_gpu_hour(loaded, x, self.kind, sheet.id, where) for p, x in used.items()},
        )
        billed_gpus = np.ceil(jobs["num_gpus"] / gpi) * gpi
        return self.bill_jobs(usage, jobs, billed_gpus, rate)

    def bill_jobs(
        self, usage: Usage, jobs: pd.DataFrame, billed_gpus: pd.Series, rate: pd.Series
    ) -> tuple[np.ndarray, pd.Series]:
        """Per-second billing of the GPU-hours each job held (`jobs`: those that held some)."""
        factor = (billed_gpus / jobs["num_gpus"]) * rate
        per_job = pd.Series((jobs["gpu_hours"] * factor).to_numpy(), index=jobs["name"].to_numpy())
        held = usage.intervals
        scale = held["job_id"].map(pd.Series(factor.to_numpy(), index=jobs["job_id"].to_numpy()))
        mask = scale.notna()
        return usage.gpu_hours_by_month(mask, scale[mask]), per_job
