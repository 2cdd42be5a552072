"""Renting from a cloud sheet: compute (the kind's own rule) plus storage and egress.

- Storage is billed on the peak the run used per tier, every month; local NVMe comes with
  the instances. Egress is `pricing.egress_tb_per_month` at the sheet's rate.
- Energy and carbon are the jobs' draw at this facility's PUE and grid (the cloud's own
  figures are not known); they are reported, not billed.
- Per-use kinds (on-demand, spot) bill rentals as the provider does (`economics.billing`):
  the instances held (jobs that shared a node share its instance: two TP-4 replicas on an
  8-GPU node pay one instance), or single GPUs where the sheet rents GPUs, each rental
  rounded up to the billing unit and minimum. Capacity blocks book their own way
  (`CapacityBlock.bill_pool`).
- A training run's own cost is what its GPUs would have cost rented alone (whole instances,
  rounded per interval): sharing an instance lowers the fleet's bill, not the run's price.
A price the option needs but the sheet lacks is an InputError naming the option, never a zero.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.economics.billing import (
    describe_per_use,
    rentals,
    standalone_units_s,
    unit_gpus,
)
from simulator.economics.cloud import (
    egress_usd,
    pool_instances,
    sheet_of,
    storage_usd,
    usd_per_gpu_hour,
)
from simulator.economics.energy import EnergyCost
from simulator.economics.ledger import OptionCost
from simulator.economics.months import HOUR_S
from simulator.economics.purchases.base import Purchase
from simulator.economics.site import SiteFigures
from simulator.economics.usage import Usage
from simulator.scenario import LoadedScenario
from simulator.schema.pricing import Billing, InstancePrice, PricingProfile
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
        cost.energy_kwh = usage.jobs_kwh() * site.pue
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
        cost.month_days = usage.calendar.month_s() / 86400.0
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


@dataclass
class Charge:
    """What renting some jobs' capacity costs, on both bases."""

    accrued: np.ndarray
    """USD per month of the horizon, accrued"""
    cash: np.ndarray
    """USD per month of the horizon, paid (a block in full in the month it starts)"""
    per_job: pd.Series
    """USD per job name over the simulated run (training runs' own prices)"""
    billing: str = ""
    """how it was billed, in words"""
    committed_gpu_hours: float = 0.0
    """GPU-hours booked in advance inside the horizon (blocks; 0 for pay-per-use)"""
    unused_usd: float = 0.0
    """booked cash the workload did not use"""

    def __add__(self, other: Charge) -> Charge:
        words = [w for w in (self.billing, other.billing) if w]
        return Charge(
            self.accrued + other.accrued,
            self.cash + other.cash,
            pd.concat([self.per_job, other.per_job]).groupby(level=0).sum(),
            "; ".join(dict.fromkeys(words)),
            self.committed_gpu_hours + other.committed_gpu_hours,
            self.unused_usd + other.unused_usd,
        )


class PerUse(Rented):
    """A kind billed for the capacity the jobs held, not for capacity idle; bursts rent these."""

    def book_compute(
        self,
        cost: OptionCost,
        loaded: LoadedScenario,
        usage: Usage,
        sheet: PricingProfile,
        option: PriceOption,
        where: str,
    ) -> None:
        charge = self.charge(
            loaded, usage, sheet, option.instance_type, where, billing=option.billing
        )
        committed = charge.committed_gpu_hours > 0
        cost.add("compute", charge.accrued, variable=not committed)
        if not np.allclose(charge.cash, charge.accrued):
            cost.not_cash("compute")
            cost.add_cash("compute", charge.cash)
        cost.billing = charge.billing
        cost.capacity_gpu_hours = charge.committed_gpu_hours
        cost.unused_commitment_usd = charge.unused_usd
        training = usage.jobs[usage.jobs["kind"] == "training"]["name"]
        per_job = charge.per_job
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
        """Accrued USD per month, and USD per job over the simulated run (see `charge`)."""
        charge = self.charge(loaded, usage, sheet, instance_type, where, jobs_mask)
        return charge.accrued, charge.per_job

    def charge(
        self,
        loaded: LoadedScenario,
        usage: Usage,
        sheet: PricingProfile,
        instance_type: str | None,
        where: str,
        jobs_mask: pd.Series | None = None,
        billing: Billing | None = None,
    ) -> Charge:
        """What renting the selected jobs' capacity costs (`jobs_mask` over `usage.jobs`,
        default all; `billing` replaces the sheet's rules)."""
        months = usage.calendar.months
        instances = pool_instances(loaded, sheet, instance_type, where)
        jobs = usage.jobs if jobs_mask is None else usage.jobs[jobs_mask]
        jobs = jobs[jobs["gpu_hours"] > 0]
        total = Charge(np.zeros(months), np.zeros(months), pd.Series(dtype=float))
        holdings = usage.holdings[usage.holdings["job_id"].isin(jobs["job_id"])]
        for pool in jobs["pool"].unique():  # only pools that ran are priced
            inst = instances[pool]
            rules = billing or sheet.cloud.billing_of(inst)  # type: ignore[union-attr]
            rate = usd_per_gpu_hour(loaded, inst, self.kind, sheet.id, where)
            total = total + self.bill_pool(
                usage,
                jobs[jobs["pool"] == pool],
                holdings[holdings["pool"] == pool],
                inst,
                rules,
                rate,
            )
        return total

    def bill_pool(
        self,
        usage: Usage,
        jobs: pd.DataFrame,
        holdings: pd.DataFrame,
        instance: InstancePrice,
        billing: Billing,
        usd_per_gpu_h: float,
    ) -> Charge:
        """Per-use billing of one pool's rentals (`holdings`: that pool's, of `jobs`)."""
        gpi = instance.gpus_per_instance
        usd_per_unit_s = unit_gpus(billing, gpi) * usd_per_gpu_h / HOUR_S
        r = rentals(holdings, gpi, billing)
        usd = r["units_s"].to_numpy() * usd_per_unit_s
        accrued = usage.calendar.extend(_spread(usage, r["start_s"], r["end_s"], usd))
        alone = standalone_units_s(holdings, gpi, billing) * usd_per_unit_s
        by_id = pd.Series(alone, index=holdings["job_id"].to_numpy()).groupby(level=0).sum()
        names = jobs.set_index("job_id")["name"]
        per_job = by_id.groupby(names.reindex(by_id.index).to_numpy()).sum()
        return Charge(accrued, accrued.copy(), per_job, describe_per_use(billing))


def _spread(usage: Usage, start_s: pd.Series, end_s: pd.Series, usd: np.ndarray) -> np.ndarray:
    """USD per month of the simulated window, each rental's spread over the time it was held."""
    start = np.asarray(start_s, dtype=float)
    length = np.asarray(end_s, dtype=float) - start
    weight = np.divide(usd, length, out=np.zeros(len(usd)), where=length > 0)
    return usage.calendar.intervals(start, start + length, weight)
