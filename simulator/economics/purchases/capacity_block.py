"""Capacity blocks: instances booked in advance for a block of days, paid up front.

A block is booked for the span the workload uses capacity, not per job: per pool, each busy
stretch (any instance held) gets one booking of the instances it needs at its peak (packed
per node, as `economics.billing` packs them), for the stretch rounded up to the lengths the
provider allows (AWS EC2 Capacity Blocks for ML: 1-14 days in 1-day steps, then up to 182
days in 7-day steps; `Billing.block_durations`). Neighbouring stretches share one booking
when that costs no more than two. The simulated window is read as a period that recurs to
the horizon (as the cost calendar reads it), so a fleet busy to the window's end is one
stretch to the horizon's end.

Cash: each block in full in the month it starts (AWS charges the reservation fee up front).
Accrued: spread evenly over the block's days inside the horizon. What the workload did not
hold of the booked instance-hours is `unused_commitment_usd`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.economics.billing import (
    book_blocks,
    busy_spans,
    describe_blocks,
    instances_held,
    tile,
)
from simulator.economics.months import HOUR_S, MONTH_S, cumulative_at
from simulator.economics.purchases.rented import Charge, PerUse
from simulator.economics.usage import Usage
from simulator.schema.pricing import Billing, InstancePrice


class CapacityBlock(PerUse):
    """Booked per busy span at its peak, in the provider's block lengths."""

    kind = "capacity_block"

    def bill_pool(
        self,
        usage: Usage,
        jobs: pd.DataFrame,
        holdings: pd.DataFrame,
        instance: InstancePrice,
        billing: Billing,
        usd_per_gpu_h: float,
    ) -> Charge:
        cal = usage.calendar
        gpi = instance.gpus_per_instance
        usd_per_instance_s = gpi * usd_per_gpu_h / HOUR_S
        times, level = instances_held(holdings, gpi)
        spans = tile(busy_spans(times, level), cal.simulated_s, cal.horizon_s)
        blocks = book_blocks(spans, billing)
        accrued, cash = np.zeros(cal.months), np.zeros(cal.months)
        booked_instance_s, bought_instance_s = 0.0, 0.0
        for b in blocks:
            usd = b.instances * b.length_s * usd_per_instance_s
            inside = cal.overlap_s(b.start_s, b.start_s + b.length_s)
            accrued += usd * inside / b.length_s
            cash[min(int(b.start_s // MONTH_S), cal.months - 1)] += usd
            booked_instance_s += b.instances * float(inside.sum())
            bought_instance_s += b.instances * b.length_s
        edges = np.minimum(cal.edges, cal.simulated_s)
        held_s = np.diff(cumulative_at(times, level, cal.simulated_s, edges))
        held_instance_s = float(cal.extend(held_s).sum())
        unused = max(0.0, bought_instance_s - held_instance_s) * usd_per_instance_s
        mine = usage.intervals["job_id"].isin(jobs["job_id"])
        horizon_gpu_h = float(usage.gpu_hours_by_month(mine).sum())
        per_gpu_h = float(accrued.sum()) / horizon_gpu_h if horizon_gpu_h > 0 else 0.0
        per_job = (jobs["gpu_hours"] * per_gpu_h).groupby(jobs["name"].to_numpy()).sum()
        words = f"{describe_blocks(billing)}; {len(blocks)} booked"
        return Charge(
            accrued,
            cash,
            per_job,
            words,
            committed_gpu_hours=booked_instance_s * gpi / HOUR_S,
            unused_usd=unused,
        )
