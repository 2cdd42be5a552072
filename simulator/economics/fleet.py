"""What hardware is in service when: the initial pools plus the build-out plan.

Owned costs follow the fleet, not the workload: a node bought in month 7 depreciates, draws
staff time and colocation kW from month 7 on, used or not. Cohorts are the units of purchase
(the initial pools at time 0, then each `cluster.build_out` step at order + lead time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.economics.months import HOUR_S, Calendar
from simulator.engine.power import gpu_power_w
from simulator.scenario import LoadedScenario
from simulator.schema import NodeProfile


@dataclass(frozen=True)
class Cohort:
    """Nodes of one pool that entered service together."""

    pool: str
    nodes: int
    node: NodeProfile
    start_s: float

    @property
    def gpus(self) -> int:
        """GPUs in the cohort."""
        return self.nodes * self.node.gpus_per_node

    @property
    def it_kw(self) -> float:
        """Provisioned IT power (nameplate maximum of the nodes), kW."""
        return self.nodes * self.node.max_power_w / 1000.0

    @property
    def compute_ports(self) -> int:
        """Scale-out (compute) NIC ports."""
        per_node = sum(nic.count for nic in self.node.nics if nic.role == "compute")
        return self.nodes * per_node


def cohorts(loaded: LoadedScenario) -> list[Cohort]:
    """Initial pools and planned additions, in order of entering service."""
    cluster = loaded.scenario.cluster
    out = [Cohort(p.name, p.count, loaded.pool_nodes[p.name], 0.0) for p in cluster.pools]
    for step in cluster.build_out:
        out.append(Cohort(step.pool, step.nodes, loaded.pool_nodes[step.pool], step.in_service_s))
    return sorted(out, key=lambda c: c.start_s)


def in_service_by_month(calendar: Calendar, fleet: list[Cohort], per_cohort) -> np.ndarray:  # noqa: ANN001
    """Sum over cohorts of per_cohort(c) x hours in service in each month."""
    out = np.zeros(calendar.months)
    for c in fleet:
        out += per_cohort(c) * calendar.overlap_s(c.start_s, math.inf) / HOUR_S
    return out


def node_idle_w(loaded: LoadedScenario, pool: str) -> float:
    """A node of `pool`'s idle draw (GPUs idle plus host overhead), watts."""
    node, gpu = loaded.world.pools[pool].node, loaded.world.pools[pool].gpu
    return node.gpus_per_node * gpu_power_w(gpu, 0.0) + node.overhead_idle_power_w


def capacity_gpu_hours(calendar: Calendar, fleet: list[Cohort]) -> np.ndarray:
    """GPU-hours in service per month."""
    return in_service_by_month(calendar, fleet, lambda c: c.gpus)
