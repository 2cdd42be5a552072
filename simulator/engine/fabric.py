"""The scale-out fabric's spine, shared by jobs whose data-parallel traffic leaves a pod.

Each fabric pod (a leaf group of `nodes_per_pod` nodes) has one uplink to the spine whose
capacity is the pod's NIC bandwidth divided by the oversubscription ratio. A training job that
spans several pods sends part of its gradient reduction through the uplinks of every pod it
touches; that is a standing flow whose demand is the job's average cross-pod rate. When jobs
together ask for more than an uplink carries, max-min sharing gives each less than its demand
and those jobs slow down in proportion (see `simulator.engine.training`).

Traffic inside a pod, and traffic of opaque trace jobs (whose communication is unknown), is
not modelled here; the step-time model already charges a lone job for oversubscription.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.engine.cluster import Cluster
from simulator.engine.flows import FlowNetwork, Link

if TYPE_CHECKING:
    from simulator.engine.clock import Timed


class Fabric:
    """Pod uplinks on a flow network."""

    def __init__(
        self, sim: Timed, cluster: Cluster, node_nic_bps: list[float], oversubscription: float
    ) -> None:
        self.network = FlowNetwork(sim, "fabric")
        self.cluster = cluster
        nodes_in_pod: dict[int, int] = {}
        pool_of_pod: dict[int, int] = {}
        for n in range(cluster.num_nodes):
            pod = cluster.pod_of[n]
            nodes_in_pod[pod] = nodes_in_pod.get(pod, 0) + 1
            pool_of_pod[pod] = cluster.pool_of[n]
        self.uplinks: list[Link] = [
            self.network.link(
                f"pod{pod}:uplink",
                nodes_in_pod[pod] * node_nic_bps[pool_of_pod[pod]] / oversubscription,
            )
            for pod in range(cluster.num_pods)
        ]

    def uplinks_of(
        self, allocation: list[tuple[int, int]], pods: dict[int, int] | None = None
    ) -> list[Link]:
        """Uplinks of the pods an allocation spans (ascending pod order); `pods`, when the
        job keeps them (pod -> nodes), saves the walk over the allocation."""
        if pods is not None:
            return [self.uplinks[p] for p in sorted(pods)]
        return [self.uplinks[p] for p in self.cluster.pod_list(allocation)]
