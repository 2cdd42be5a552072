"""Where a collective's GPUs sit, and the links between them, reduced to a few numbers.

A `CollectiveGroup` is what the collective model needs and nothing more: how many GPUs, how
many share one scale-up (NVLink) domain, the achievable per-GPU bandwidth and per-step latency
of the scale-up link and of the scale-out NICs, and whether switches reduce in the network.
Build one from profiles (`group_from_profiles`) or from catalog ids (`group_from_catalog`);
performance code then calls `simulator.perf.collectives.collective_time_s` with it, cheaply,
as often as it likes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from simulator.catalog import Catalog
from simulator.errors import InputError, Problem
from simulator.perf.nccl_protocols import PROTOCOLS
from simulator.schema.gpu import GpuProfile
from simulator.schema.interconnect import InterconnectProfile
from simulator.schema.node import NodeProfile

_WHERE = "collective group"


@dataclass(frozen=True)
class CollectiveGroup:
    """GPUs taking part in one collective, and the links they use.

    All bandwidths are achievable (line rate x achievable fraction), per GPU, one direction,
    in GB/s (1e9 bytes/s). Latencies are per algorithm step, in microseconds.

    Attributes:
        num_gpus: GPUs in the group.
        gpus_per_node: group members per node (the group packs nodes in order).
        gpus_per_nvlink_domain: GPUs sharing one scale-up domain in the hardware (8 on HGX,
            72 on NVL72); when larger than gpus_per_node the domain spans nodes.
        scale_up_gb_per_s: scale-up (NVLink) bandwidth per GPU.
        scale_up_latency_us: latency of one step over the scale-up link.
        scale_out_gb_per_s: this GPU's share of its node's compute NICs (node NIC bandwidth x
            count / GPUs per node); None when the group never leaves its domain.
        scale_out_latency_us: latency of one step over the scale-out fabric.
        oversubscription: leaf-to-spine ratio; traffic leaving a domain gets 1/oversubscription.
        launch_latency_us: fixed cost of one collective call.
        nvls_gb_per_s: per-GPU bandwidth when the scale-up switch reduces (NVLS); None where the
            scale-up interconnect cannot reduce in the network.
        scale_out_in_network_reduction: the fabric's switches reduce (SHARP).
        node_gpus: GPUs in one node of the hardware (default gpus_per_node); tells a group
            spread thin over 8-GPU nodes from a domain that spans several small nodes.
        pipeline_fill_mib: bytes the library keeps in flight (channels x buffer size); beyond
            it, filling the pipeline costs a fixed time instead of growing with the message.
        protocols: NCCL protocols ('ll', 'll128', 'simple') the scale-up link carries; empty
            (the default for hand-built groups) models one generic protocol whose step latencies
            are exactly the latencies above and which gets the full bandwidth.
        scale_out_protocols: protocols the scale-out fabric carries (EFA on p4d: Simple only);
            a group that leaves its domain uses those both links carry.
        scale_up_link_class: 'nvlink' or 'pci': which of NCCL's per-step figures apply inside
            the domain (simulator/perf/nccl_protocols.py).
        description: where the numbers came from, for people reading an estimate.
        torus_shape: chips along each dimension of the scale-up domain when it is a torus or
            mesh of point-to-point links (TPU ICI, trn2 NeuronLink); () for a switched or
            all-to-all domain. Each chip has 2 links per dimension, so one link carries
            scale_up_gb_per_s / (2 x dimensions) per direction.
        torus_wraparound: each dimension closes into a ring (False: an open mesh).
    """

    num_gpus: int
    gpus_per_node: int
    gpus_per_nvlink_domain: int
    scale_up_gb_per_s: float
    scale_up_latency_us: float
    scale_out_gb_per_s: float | None = None
    scale_out_latency_us: float | None = None
    oversubscription: float = 1.0
    launch_latency_us: float = 8.0
    nvls_gb_per_s: float | None = None
    scale_out_in_network_reduction: bool = False
    node_gpus: int | None = None
    pipeline_fill_mib: float = 32.0
    protocols: tuple[str, ...] = ()
    scale_out_protocols: tuple[str, ...] = ()
    scale_up_link_class: str = "nvlink"
    description: str = ""
    torus_shape: tuple[int, ...] = ()
    torus_wraparound: bool = True

    def __post_init__(self) -> None:
        problems = []
        for name in ("num_gpus", "gpus_per_node", "gpus_per_nvlink_domain", "node_gpus"):
            value = getattr(self, name)
            if name == "node_gpus" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(
                    Problem(_WHERE, name, f"expected a whole number >= 1 (got {value!r})")
                )
        for name in ("scale_up_gb_per_s", "scale_up_latency_us"):
            if not getattr(self, name) > 0:
                problems.append(Problem(_WHERE, name, "expected a number > 0"))
        for name in ("scale_out_gb_per_s", "scale_out_latency_us", "nvls_gb_per_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                problems.append(Problem(_WHERE, name, "expected a number > 0 or None"))
        if not self.oversubscription >= 1:
            problems.append(Problem(_WHERE, "oversubscription", "expected a number >= 1"))
        if not self.pipeline_fill_mib > 0:
            problems.append(Problem(_WHERE, "pipeline_fill_mib", "expected a number > 0"))
        if not self.launch_latency_us >= 0:
            problems.append(Problem(_WHERE, "launch_latency_us", "expected a number >= 0"))
        unknown = set(self.protocols) | set(self.scale_out_protocols)
        if unknown - set(PROTOCOLS):
            problems.append(
                Problem(_WHERE, "protocols", f"expected some of {', '.join(PROTOCOLS)}")
            )
        if any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in self.torus_shape):
            problems.append(Problem(_WHERE, "torus_shape", "expected whole numbers >= 1"))
        if self.scale_up_link_class not in ("nvlink", "pci"):
            problems.append(Problem(_WHERE, "scale_up_link_class", "expected 'nvlink' or 'pci'"))
        if problems:
            raise InputError(problems)
        if self.num_domains > 1 and (
            self.scale_out_gb_per_s is None or self.scale_out_latency_us is None
        ):
            raise InputError(
                [
                    Problem(
                        _WHERE,
                        "scale_out",
                        f"{self.num_gpus} GPUs span {self.num_domains} scale-up domains but no "
                        "scale-out fabric is given (name a node or a fabric)",
                    )
                ]
            )

    @property
    def domain_size(self) -> int:
        """Group members that share one scale-up domain."""
        node_gpus = self.node_gpus or self.gpus_per_node
        if self.gpus_per_nvlink_domain > node_gpus:  # the domain spans nodes (NVL72)
            nodes = self.gpus_per_nvlink_domain // node_gpus
            return min(self.num_gpus, nodes * self.gpus_per_node)
        return min(self.num_gpus, self.gpus_per_node, self.gpus_per_nvlink_domain)

    @property
    def torus_link_gb_per_s(self) -> float:
        """One torus link, one direction: the chip's scale-up rate over its 2 x dims ports."""
        return self.scale_up_gb_per_s / (2 * max(1, len(self.torus_shape)))

    @property
    def num_domains(self) -> int:
        """Scale-up domains the group spans."""
        return math.ceil(self.num_gpus / self.domain_size)

    def subgroup(self, num_gpus: int, gpus_per_node: int | None = None) -> CollectiveGroup:
        """The same links with another placement, e.g. a TP group inside a larger job.

        For a point-to-point transfer between nodes use `subgroup(2, gpus_per_node=1)`.
        """
        per_node = min(num_gpus, gpus_per_node if gpus_per_node is not None else self.gpus_per_node)
        return replace(self, num_gpus=num_gpus, gpus_per_node=per_node)


def sub_torus(
    shape: tuple[int, ...], num_chips: int, wraparound: bool
) -> tuple[tuple[int, bool], ...]:
    """The (length, closed) dimensions `num_chips` chips occupy when packed into `shape` in order.

    A slice fills the first dimension, then the next (XLA's default device order on a TPU
    slice; Cloud TPU docs 'TPU topologies'). A dimension the group fills completely keeps the
    wrap-around link of the full torus; a partly filled one is an open line. A count that
    does not divide evenly rounds the last dimension up (an approximation: the group is
    charged the ring of the whole row it touches). Dimensions of length 1 are dropped.
    """
    dims: list[tuple[int, bool]] = []
    remaining = num_chips
    for k in shape:
        if remaining <= 1:
            break
        take = min(k, remaining)
        dims.append((take, wraparound and take == k and k > 2))
        remaining = math.ceil(remaining / take)
    return tuple(d for d in dims if d[0] > 1)


def _problem(field: str, message: str) -> InputError:
    return InputError([Problem(_WHERE, field, message)])


def _scale_up_rate(gpu: GpuProfile, scale_up: InterconnectProfile | None) -> float:
    """Achievable scale-up bandwidth per GPU, one direction, GB/s.

    The GPU's own figure wins (it is per GPU by definition); a PCIe-only part exchanges data
    over its host link.
    """
    fraction = gpu.efficiency.scale_up_bandwidth_fraction
    per_direction = gpu.scale_up_bandwidth_per_direction_gb_per_s()
    if per_direction is None and scale_up is not None:
        per_direction = scale_up.bandwidth_gb_per_s
    if per_direction is None:
        per_direction = gpu.host_link_bandwidth_gb_per_s
    return per_direction * fraction


def _link_class(gpu: GpuProfile, scale_up: InterconnectProfile | None) -> str:
    """Which of NCCL's per-step tables applies inside the domain: a PCIe-only part (or a PCIe
    scale-up profile) steps over PCIe, anything with a GPU-to-GPU fabric like NVLink."""
    if scale_up is not None:
        return "pci" if scale_up.technology == "pcie" else "nvlink"
    return "nvlink" if gpu.scale_up_bandwidth_per_direction_gb_per_s() else "pci"


def group_from_profiles(
    gpu: GpuProfile,
    *,
    num_gpus: int,
    gpus_per_node: int | None = None,
    gpus_per_nvlink_domain: int | None = None,
    scale_up: InterconnectProfile | None = None,
    scale_out: InterconnectProfile | None = None,
    nics_per_node: int | None = None,
    node_gpus: int | None = None,
    oversubscription: float | None = None,
    torus_shape: tuple[int, ...] = (),
    torus_wraparound: bool = True,
) -> CollectiveGroup:
    """A CollectiveGroup from profiles (no catalog needed).

    Args:
        gpu: the GPU; supplies scale-up bandwidth and the efficiency fractions.
        num_gpus: GPUs in the group.
        gpus_per_node: group members per node (default: min(num_gpus, node_gpus or 8)).
        gpus_per_nvlink_domain: hardware scale-up domain size (default: node_gpus, or
            gpus_per_node).
        scale_up: the scale-up interconnect, for its step latency and in-network reduction.
        scale_out: the compute NIC (or fabric) interconnect.
        nics_per_node: NICs of that kind per node (default: one per GPU in the node).
        node_gpus: GPUs in the whole node, which share the NICs (default: gpus_per_node).
        oversubscription: overrides the fabric's default_oversubscription.
        torus_shape, torus_wraparound: the scale-up domain's torus (NodeProfile.torus_shape).
    """
    if gpus_per_node is None:
        gpus_per_node = min(num_gpus, node_gpus or 8)
    node_gpus = node_gpus or gpus_per_node
    if gpus_per_node > node_gpus:
        raise _problem(
            "gpus_per_node", f"{gpus_per_node} GPUs per node, but the node has {node_gpus}"
        )
    effs = gpu.efficiency
    up_latency = scale_up.latency_us if scale_up else effs.collectives.scale_up_step_latency_us
    nvls = None
    per_direction = gpu.scale_up_bandwidth_per_direction_gb_per_s()
    if scale_up is not None and scale_up.supports_in_network_reduction and per_direction:
        nvls = per_direction * effs.collectives.nvls_bandwidth_fraction
    out_rate = out_latency = None
    sharp = False
    oversub = 1.0
    protocols: tuple[str, ...] = PROTOCOLS
    if scale_up is not None:
        protocols = tuple(p for p in PROTOCOLS if p in scale_up.collective_protocols)
    if effs.collectives.library == "generic":
        # a calibrated table: the generic protocol with the fitted step latency, and no
        # separate switch-reduction path: whatever algorithm the library ran is in the fit
        protocols = ()
        up_latency = effs.collectives.scale_up_step_latency_us
        nvls = None
    out_protocols: tuple[str, ...] = PROTOCOLS
    if scale_out is not None:
        out_protocols = tuple(p for p in PROTOCOLS if p in scale_out.collective_protocols)
    if scale_out is not None:
        nics = nics_per_node if nics_per_node is not None else node_gpus
        out_rate = scale_out.bandwidth_gb_per_s * nics / node_gpus * scale_out.achievable_fraction
        out_latency = scale_out.latency_us
        sharp = scale_out.supports_in_network_reduction
        oversub = scale_out.default_oversubscription
    if oversubscription is not None:
        oversub = oversubscription
    parts = [f"gpu {gpu.id}"]
    if scale_up is not None:
        parts.append(f"scale-up {scale_up.id}")
    if scale_out is not None:
        parts.append(f"scale-out {scale_out.id} x{nics_per_node or node_gpus}/node")
    return CollectiveGroup(
        num_gpus=num_gpus,
        gpus_per_node=gpus_per_node,
        gpus_per_nvlink_domain=gpus_per_nvlink_domain or node_gpus,
        scale_up_gb_per_s=_scale_up_rate(gpu, scale_up),
        scale_up_latency_us=up_latency,
        scale_out_gb_per_s=out_rate,
        scale_out_latency_us=out_latency,
        oversubscription=oversub,
        launch_latency_us=effs.collectives.launch_latency_us,
        nvls_gb_per_s=nvls,
        scale_out_in_network_reduction=sharp,
        node_gpus=node_gpus,
        pipeline_fill_mib=effs.collectives.pipeline_fill_mib,
        protocols=protocols,
        scale_out_protocols=out_protocols,
        scale_up_link_class=_link_class(gpu, scale_up),
        description=", ".join(parts),
        torus_shape=tuple(torus_shape),
        torus_wraparound=torus_wraparound,
    )


REFERENCE_NODE_PREFIXES: tuple[str, ...] = ("dgx-", "hgx-")
"""Node ids of the GPU vendor's own reference systems, most preferred first."""


def default_node(catalog: Catalog, gpu_id: str) -> NodeProfile | None:
    """The node profile a GPU is assumed to sit in when a planner names only the GPU.

    NVLink generation (latency, NVLS support), domain size and NICs are properties of the
    baseboard the GPU ships on. The vendor's reference system (DGX, then HGX) is preferred over
    a cloud instance built on it (an aws-* node would bring EFA's latency to every estimate);
    ties go to the first id alphabetically, so the choice never depends on load order.
    """

    def rank(node_id: str) -> tuple[int, str]:
        for i, prefix in enumerate(REFERENCE_NODE_PREFIXES):
            if node_id.startswith(prefix):
                return i, node_id
        return len(REFERENCE_NODE_PREFIXES), node_id

    for node_id in sorted(catalog.profiles["node"], key=rank):
        node = catalog.node(node_id)
        if node.gpu == gpu_id:
            return node
    return None


def group_from_catalog(
    catalog: Catalog,
    *,
    num_gpus: int,
    gpus_per_node: int | None = None,
    gpu: str | None = None,
    node: str | None = None,
    fabric: str | None = None,
    oversubscription: float | None = None,
) -> CollectiveGroup:
    """A CollectiveGroup from catalog ids: a node (GPU, NVLink domain, NICs) or a GPU.

    Args:
        catalog: where the ids are looked up.
        num_gpus: GPUs in the group.
        gpus_per_node: group members per node (default: all of the node's GPUs, or 8).
        gpu: a GPU id; with `node` it must match the node's GPU. Alone (no node, no fabric),
            the first node profile built around it supplies NVLink and NICs when it is big
            enough for `gpus_per_node`.
        node: a node id; supplies the GPU, GPUs per node, NVLink domain and compute NICs.
        fabric: an interconnect id replacing the node's compute NICs (same count), or, without
            a node, the scale-out NIC with one NIC per GPU.
        oversubscription: overrides the fabric's default.

    Raises:
        InputError: unknown ids, a GPU that does not match the node, more GPUs per node than
            the node has, or a multi-node group with no scale-out fabric.
    """
    if node is None and gpu is None:
        raise _problem("gpu", "name a GPU (`gpu`) or a node (`node`)")
    fabric_profile = catalog.interconnect(fabric) if fabric is not None else None
    if node is None:
        assert gpu is not None
        gpu_profile = catalog.gpu(gpu)
        base = default_node(catalog, gpu)
        fits = base is not None and (gpus_per_node or 1) <= base.gpus_per_node
        if base is not None and fits and fabric is None:
            node = base.id
        else:
            scale_up = None
            if base is not None and base.scale_up is not None:
                scale_up = catalog.interconnect(base.scale_up)
            return group_from_profiles(
                gpu_profile,
                num_gpus=num_gpus,
                gpus_per_node=gpus_per_node,
                scale_up=scale_up,
                scale_out=fabric_profile,
                oversubscription=oversubscription,
            )
    node_profile = catalog.node(node)
    if gpu is not None and gpu != node_profile.gpu:
        raise _problem("gpu", f"node {node} carries {node_profile.gpu}, not {gpu}")
    gpu_profile = catalog.gpu(node_profile.gpu)
    nic, count = catalog.scale_out_nic(node_profile)
    scale_up = catalog.interconnect(node_profile.scale_up) if node_profile.scale_up else None
    per_node = (
        gpus_per_node if gpus_per_node is not None else min(num_gpus, node_profile.gpus_per_node)
    )
    if per_node > node_profile.gpus_per_node:
        raise _problem(
            "gpus_per_node",
            f"{per_node} GPUs per node, but node {node} has {node_profile.gpus_per_node}",
        )
    return group_from_profiles(
        gpu_profile,
        num_gpus=num_gpus,
        gpus_per_node=per_node,
        gpus_per_nvlink_domain=node_profile.gpus_per_nvlink_domain,
        scale_up=scale_up,
        scale_out=fabric_profile or nic,
        nics_per_node=count,
        node_gpus=node_profile.gpus_per_node,
        oversubscription=oversubscription,
        torus_shape=tuple(node_profile.torus_shape or ()),
        torus_wraparound=node_profile.torus_wraparound,
    )
