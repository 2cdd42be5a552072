"""On-demand: each job's GPU-seconds held, whole instances, at the list price."""

from __future__ import annotations

from simulator.economics.purchases.rented import PerUse


class OnDemand(PerUse):
    """Billed per second of use on the scenario's own run."""

    kind = "on_demand"
    lower_bound_counts_jobs = True
