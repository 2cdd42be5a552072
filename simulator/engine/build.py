"""Building a run's parts from the scenario: policies, the cluster, pool hardware, failures.

Each builder raises `InputError` naming the scenario field for what the schema alone could
not catch (an unknown policy kind); the hardware and rack layout come resolved in the World.
They are plain functions of what they need, kept apart from the Simulation so that its file
reads as the wiring of a run.
"""

from __future__ import annotations

import bisect
from typing import Any

from pydantic import ValidationError

from simulator.engine import failure_rates
from simulator.engine.build_out import added_nodes
from simulator.engine.cluster import Cluster
from simulator.engine.placement import PlacementPolicy
from simulator.engine.step_time import PoolHardware
from simulator.errors import InputError, Problem, problems_from_validation
from simulator.schema.scenario import Cluster as ClusterSpec
from simulator.schema.scenario import Failures as FailurePolicy
from simulator.schema.scenario import PolicyRef
from simulator.world import World


def policy(registry: dict, ref: PolicyRef, where: str, file: str, *extra: Any) -> Any:
    """The registered class for `ref.kind`, built on its checked `Params` (and `extra`)."""
    cls = registry.get(ref.kind)
    if cls is None:
        known = ", ".join(sorted(registry))
        raise InputError(
            [Problem(file, f"{where}.kind", f"unknown kind {ref.kind!r} (known: {known})")]
        )
    try:
        params = cls.Params.model_validate(ref.params)
        return cls(*extra, params)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, file, f"{where}.params")) from None
    except ValueError as exc:
        raise InputError([Problem(file, f"{where}.params", str(exc))]) from None


def build_cluster(cluster: ClusterSpec, world: World, placement: PlacementPolicy) -> Cluster:
    """The cluster at its final size (build-out nodes included), racks as the World lays them."""
    added = added_nodes(cluster)
    pools = []
    for pool in cluster.pools:
        hw = world.pools[pool.name]
        pools.append((pool.name, hw.node, hw.gpu, pool.count + added.get(pool.name, 0)))
    return Cluster(
        pools,
        nodes_per_pod=cluster.fabric.nodes_per_pod,
        nodes_per_rack=world.racks.nodes_per_rack,
        rack_cap=world.racks.active_cap,
        spares_per_pool=placement.params.spare_nodes_per_pool,
    )


def pool_hardware(
    world: World, oversubscription: float
) -> tuple[dict[str, PoolHardware], list[float]]:
    """Per pool: the hardware the step-time model sees, and each node's scale-out bytes/s."""
    hardware, nic_bps = {}, []
    for name, pool in world.pools.items():
        out = pool.scale_out
        hardware[name] = PoolHardware(
            node=pool.node,
            gpu=pool.gpu,
            scale_up=pool.scale_up,
            scale_out=out,
            nics_per_node=pool.nics_per_node,
            oversubscription=oversubscription,
        )
        nic_bps.append(out.bandwidth_gb_per_s * 1e9 * pool.nics_per_node * out.achievable_fraction)
    return hardware, nic_bps


class FailureModel:
    """The failure policy resolved: a rate per GPU-second and the causes to draw from."""

    def __init__(self, policy: FailurePolicy) -> None:
        self.causes = failure_rates.RATE_SETS[policy.rates]
        per_hour = sum(c.per_gpu_hour for c in self.causes)
        enabled = policy.enabled and policy.rate_multiplier > 0
        self.rate_per_gpu_s = per_hour / 3600.0 * policy.rate_multiplier if enabled else 0.0
        total = sum(c.count for c in self.causes)
        self.cdf: list[float] = []
        acc = 0
        for cause in self.causes:
            acc += cause.count
            self.cdf.append(acc / total)

    def draw(self, rng: Any) -> failure_rates.Cause:
        """A failure cause, in proportion to the rate set's counts."""
        i = bisect.bisect_right(self.cdf, rng.random())
        return self.causes[min(i, len(self.causes) - 1)]
