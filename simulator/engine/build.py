"""Building a run's parts from the scenario: policies, the cluster, pool hardware, failures.

Each builder raises `InputError` naming the scenario field for what the schema alone could
not catch (an unknown policy kind, a node too hot for its rack). They are plain functions of
what they need, kept apart from the Simulation so that its file reads as the wiring of a run.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from pydantic import ValidationError

from simulator.catalog import Catalog
from simulator.engine import failure_rates
from simulator.engine.build_out import added_nodes
from simulator.engine.cluster import Cluster
from simulator.engine.placement import PlacementPolicy
from simulator.engine.step_time import PoolHardware
from simulator.errors import InputError, Problem, problems_from_validation
from simulator.scenario import LoadedScenario, resolve_profile
from simulator.schema.facility import FacilityProfile
from simulator.schema.interconnect import InterconnectProfile
from simulator.schema.scenario import Fabric as FabricSpec
from simulator.schema.scenario import Failures as FailurePolicy
from simulator.schema.scenario import PolicyRef


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


def build_cluster(
    loaded: LoadedScenario,
    catalog: Catalog,
    facility: FacilityProfile,
    placement: PlacementPolicy,
    file: str,
) -> Cluster:
    """The cluster at its final size (build-out nodes included), racks sized by power."""
    s = loaded.scenario
    pools = []
    added = added_nodes(s.cluster)
    for pool in s.cluster.pools:
        node = loaded.pool_nodes[pool.name]
        count = pool.count + added.get(pool.name, 0)
        pools.append((pool.name, node, catalog.gpu(node.gpu), count))
    max_node_w = max(node.max_power_w for _, node, _, _ in pools)
    rack_w = facility.max_kw_per_rack * 1000.0
    rack_cap = math.floor(rack_w / max_node_w + 1e-9)
    if rack_cap < 1:
        raise InputError(
            [
                Problem(
                    file,
                    "cluster.facility",
                    f"a node draws up to {max_node_w / 1000:g} kW, more than the facility's "
                    f"{facility.max_kw_per_rack:g} kW per rack "
                    f"({facility.cooling} cooling)",
                )
            ]
        )
    nodes_per_rack = s.cluster.nodes_per_rack or rack_cap
    return Cluster(
        pools,
        nodes_per_pod=s.cluster.fabric.nodes_per_pod,
        nodes_per_rack=nodes_per_rack,
        rack_cap=min(rack_cap, nodes_per_rack),
        spares_per_pool=placement.params.spare_nodes_per_pool,
    )


def pool_hardware(
    catalog: Catalog, cluster: Cluster, fabric: FabricSpec, file: str
) -> tuple[dict[str, PoolHardware], list[float]]:
    """Per pool: the hardware the step-time model sees, and each node's scale-out bytes/s."""
    override: InterconnectProfile | None = None
    if fabric.interconnect is not None:
        override = resolve_profile(  # type: ignore[assignment]
            catalog,
            "interconnect",
            fabric.interconnect,
            file,
            "cluster.fabric.interconnect",
        )
    hardware, nic_bps = {}, []
    for pool in cluster.pools:
        nic, count = catalog.scale_out_nic(pool.node)
        out = override or nic
        hardware[pool.name] = PoolHardware(
            node=pool.node,
            gpu=pool.gpu,
            scale_up=catalog.interconnect(pool.node.scale_up) if pool.node.scale_up else None,
            scale_out=out,
            nics_per_node=count,
            oversubscription=fabric.oversubscription,
        )
        nic_bps.append(out.bandwidth_gb_per_s * 1e9 * count * out.achievable_fraction)
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
