"""Time of one collective (all-reduce, all-gather, ...) over a placed group of GPUs.

Each algorithm reduces to two numbers: L, the latency of its chain of dependent steps (alpha
per step, so it grows with group size: 2(n-1) steps for a ring all-reduce), and W, the time its
bottleneck link needs for the bytes it must carry. Real libraries cut messages into chunks and
pipeline them through the steps. With the best chunk size a pipeline of depth D and per-chunk
cost alpha takes (sqrt(L) + sqrt(W))^2 = L + W + 2 sqrt(L W), L = D * alpha; but chunks stop
growing once the library's buffers are full (`pipeline_fill_mib` in flight), after which
filling the pipeline costs a fixed time, the fill drained once through the bottleneck link:

    T = launch + L + W + min(2 sqrt(L W), W * fill_bytes / (size * passes))

Small messages cost L, large ones approach W, and in between bandwidth ramps with message
size. Hierarchical algorithms pipeline their stages too: L adds up, W is the slowest stage.
'auto' picks the fastest algorithm the group supports.

The fill is charged once over the bottleneck link: W counts every pass an algorithm makes over
the buffer (a ring all-reduce crosses each link 2(n-1)/n times per byte), but the bytes in
flight only have to drain once, so the cap is fill_bytes / rate of that link, W * fill /
(size * passes), whatever the group size.

Sizes follow nccl-tests: `size_bytes` is the buffer each GPU holds (all_gather: the gathered
output; reduce_scatter: the input before scattering; all_to_all: what each GPU sends in total).
algbw = size / time; busbw = algbw x the op's bus factor (doc/PERFORMANCE.md in nccl-tests).
Equations and assumptions: docs/perf-gemm-collectives.md.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Literal, NamedTuple, get_args

from simulator.errors import InputError, Problem
from simulator.perf.nccl_protocols import (
    bandwidth_fraction,
    base_extra_us,
    step_latency_us,
    supports,
)
from simulator.perf.topology import CollectiveGroup, sub_torus

CollectiveOp = Literal[
    "all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "send_recv"
]
Algorithm = Literal["auto", "ring", "tree", "nvls", "hierarchical", "direct", "torus"]
COLLECTIVE_OPS: tuple[str, ...] = get_args(CollectiveOp)
ALGORITHMS: tuple[str, ...] = get_args(Algorithm)


class CollectiveEstimate(NamedTuple):
    """What one collective costs (a NamedTuple: cheap to build, read by attribute).

    Attributes:
        time_s: wall time, seconds.
        algbw_gb_per_s: size / time, GB/s (nccl-tests algbw).
        busbw_gb_per_s: algbw x bus factor, GB/s (nccl-tests busbw), comparable to link speed.
        algorithm: the algorithm the estimate used ('none' for a one-GPU group).
        protocol: the NCCL protocol it ran with ('ll', 'll128', 'simple'; '' for a hand-built
            group's generic protocol or a one-GPU group).
    """

    time_s: float
    algbw_gb_per_s: float
    busbw_gb_per_s: float
    algorithm: str
    protocol: str = ""


def bus_factor(op: str, num_gpus: int) -> float:
    """nccl-tests busbw / algbw: 2(n-1)/n for all_reduce, (n-1)/n for gathers, 1 otherwise."""
    n = num_gpus
    if op == "all_reduce":
        return 2 * (n - 1) / n
    if op in ("all_gather", "reduce_scatter", "all_to_all"):
        return (n - 1) / n
    return 1.0


class _Links(NamedTuple):
    """The group reduced to what the formulas read, for one protocol and algorithm family:
    sizes, bytes/s (after the protocol's payload fraction) and per-step seconds."""

    n: int
    g: int  # members per scale-up domain
    d: int  # domains
    up: float  # scale-up bytes/s per GPU
    up_lat: float
    out: float  # scale-out bytes/s per GPU, after oversubscription
    out_lat: float
    nvls: float  # switch-reduced bytes/s per GPU (0 if none)
    sharp: bool
    fill_bytes: float  # bytes in flight that fill the pipeline
    torus: tuple[tuple[int, bool], ...] = ()  # (length, wraps) of each torus dim in use
    link: float = 0.0  # one torus link, one direction, bytes/s

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def of(group: CollectiveGroup, protocol: str = "", family: str = "ring") -> _Links:
        """Cached: performance code calls with the same few groups many times.

        `protocol` '' is the generic protocol of a hand-built group: latencies as given, full
        bandwidth. Otherwise NCCL's per-step cost for the protocol, family and link kind,
        shifted by how much slower (or faster) each link is than NCCL's reference link.
        """
        up_lat = group.scale_up_latency_us
        out_lat = group.scale_out_latency_us or 0.0
        fraction = 1.0
        if protocol:
            up_lat = step_latency_us(protocol, family, group.scale_up_link_class, up_lat)
            if group.scale_out_latency_us is not None:
                out_lat = step_latency_us(protocol, family, "net", out_lat)
            fraction = bandwidth_fraction(protocol, family, group.num_domains)
        out = (group.scale_out_gb_per_s or 0.0) * 1e9 / group.oversubscription
        return _Links(
            n=group.num_gpus,
            g=group.domain_size,
            d=group.num_domains,
            up=group.scale_up_gb_per_s * 1e9 * fraction,
            up_lat=up_lat * 1e-6,
            out=out * fraction,
            out_lat=out_lat * 1e-6,
            nvls=(group.nvls_gb_per_s or 0.0) * 1e9 * fraction,
            sharp=group.scale_out_in_network_reduction,
            fill_bytes=group.pipeline_fill_mib * 2**20,
            torus=sub_torus(group.torus_shape, group.domain_size, group.torus_wraparound)
            if group.torus_shape
            else (),
            link=group.torus_link_gb_per_s * 1e9 * fraction,
        )

    def chain_latency(self, steps: float, crossings: float) -> float:
        """`steps` dependent steps, `crossings` of which leave the scale-up domain."""
        return (steps - crossings) * self.up_lat + crossings * self.out_lat

    def ring_rate(self) -> float:
        """Bytes/s a domain-contiguous ring moves per GPU: each domain's rings leave it through
        all of its members' NICs (one channel per NIC), so the domain's NICs add up."""
        if self.d == 1:
            return self.up
        return min(self.up, self.g * self.out)


class Cost(NamedTuple):
    """An algorithm's latency L and transfer W (seconds), and `passes`: bytes its bottleneck
    link carries per byte of buffer (W = passes x size / that link's rate)."""

    latency: float
    transfer: float
    passes: float = 1.0


def _slowest(*stages: tuple[float, float]) -> tuple[float, float]:
    """(transfer, passes) of the slowest of several (transfer, passes) stages."""
    return max(stages)


def _ring_all_reduce(x: _Links, s: float) -> Cost:
    steps = 2 * (x.n - 1)
    crossings = steps * x.d / x.n if x.d > 1 else 0.0
    return Cost(x.chain_latency(steps, crossings), steps / x.n * s / x.ring_rate(), steps / x.n)


def _tree_all_reduce(x: _Links, s: float) -> Cost:
    """Chain inside each domain, double binary tree between domains (NCCL's tree)."""
    latency = 2 * (x.g - 1) * x.up_lat
    stage = (2 * s / x.up, 2.0) if x.g > 1 else (0.0, 1.0)
    if x.d > 1:
        latency += 2 * math.ceil(math.log2(x.d)) * x.out_lat
        passes = 1 if x.d == 2 else 2
        stage = _slowest(stage, (passes * s / (x.g * x.out), passes))
    return Cost(latency, *stage)


def _inter_all_reduce(x: _Links, s: float) -> Cost:
    """All-reduce of each GPU's 1/g share across domains, over its own NIC (rail-aligned)."""
    share = s / x.g
    if x.sharp:
        return Cost(2 * x.out_lat, share / x.out)
    passes = 2 * (x.d - 1) / x.d
    return Cost(2 * (x.d - 1) * x.out_lat, passes * share / x.out, passes)


def _hierarchical_all_reduce(x: _Links, s: float) -> Cost | None:
    """Reduce-scatter in the domain, all-reduce across domains, all-gather in the domain."""
    if x.d == 1:
        return None
    inter = _inter_all_reduce(x, s)
    passes = 2 * (x.g - 1) / x.g
    stage = _slowest((passes * s / x.up, passes), (inter.transfer, inter.passes))
    return Cost(inter.latency + 2 * (x.g - 1) * x.up_lat, *stage)


def _nvls_all_reduce(x: _Links, s: float) -> Cost | None:
    """The NVSwitch reduces: each GPU sends its buffer once and reads the sum once, one round
    trip through the switch whatever the domain size (NCCL charges one NVLS step)."""
    if x.nvls <= 0:
        return None
    cost = Cost(x.up_lat, s / x.nvls)
    if x.d > 1:
        inter = _inter_all_reduce(x, s)
        stage = _slowest((cost.transfer, 1.0), (inter.transfer, inter.passes))
        cost = Cost(cost.latency + inter.latency, *stage)
    return cost


def _ring_gather(x: _Links, s: float) -> Cost:
    """All-gather or reduce-scatter on a ring: n-1 steps, (n-1)/n of the buffer per GPU."""
    steps = x.n - 1
    crossings = steps * x.d / x.n if x.d > 1 else 0.0
    return Cost(x.chain_latency(steps, crossings), steps / x.n * s / x.ring_rate(), steps / x.n)


def _hierarchical_gather(x: _Links, s: float) -> Cost | None:
    """Across domains over each GPU's NIC (rails), then inside the domain (or reversed)."""
    if x.d == 1:
        return None
    latency = (x.g - 1) * x.up_lat + (x.d - 1) * x.out_lat
    intra, inter = (x.g - 1) / x.g, (x.d - 1) / x.d
    stage = _slowest((intra * s / x.up, intra), (inter * s / (x.g * x.out), inter))
    return Cost(latency, *stage)


def _direct_all_to_all(x: _Links, s: float) -> Cost:
    """Every GPU sends s/n to every other: NVLink for its domain, its own NIC for the rest.

    Per-peer setup adds one scale-up step per peer; the network adds one hop."""
    latency = (x.n - 1) * x.up_lat + (x.out_lat if x.d > 1 else 0.0)
    intra = (x.g - 1) / x.n
    stage = (intra * s / x.up, intra)
    if x.d > 1:
        inter = (x.n - x.g) / x.n
        stage = _slowest(stage, (inter * s / x.out, inter))
    return Cost(latency, *stage)


def torus_reduce_scatter(
    dims: tuple[tuple[int, bool], ...], link_bytes_per_s: float, step_s: float, size_bytes: float
) -> Cost:
    """Reduce-scatter over a torus: bidirectional rings per dimension, dimension order rotated.

    The buffer is cut into one shard per dimension; shard j reduce-scatters along dimension j
    first, then j+1, ..., so every dimension's links are busy at once (the schedule behind
    Google's 'all-reduce bandwidth per pod' = chips x per-chip ICI bandwidth, Cloud TPU v5e /
    v6e pages; Kumar et al., 'Exploring the limits of concurrency in ML training on Google
    TPUs', MLSys 2021, section 4). Along a dimension of length k, a closed ring (wrap-around)
    carries half the shard each way, (k-1)/k of it per link; an open line embeds only one ring,
    so each link carries all of it. The busiest dimension sets the transfer time; every
    dimension adds k-1 steps of latency. Equal dimensions give (N-1)/N x size / (2 D link),
    the full injection bandwidth of the chip.
    """
    if not dims:
        return Cost(0.0, 0.0, 0.0)
    load = [0.0] * len(dims)
    for first in range(len(dims)):
        shard = size_bytes / len(dims)
        for step in range(len(dims)):
            i = (first + step) % len(dims)
            k, closed = dims[i]
            load[i] += (k - 1) / k * shard / (2 if closed else 1)
            shard /= k
    n = math.prod(k for k, _ in dims)
    transfer = max(load) / link_bytes_per_s
    passes = (n - 1) / n
    return Cost(sum(k - 1 for k, _ in dims) * step_s, transfer, passes)


def torus_all_to_all(
    dims: tuple[tuple[int, bool], ...], link_bytes_per_s: float, step_s: float, size_bytes: float
) -> Cost:
    """All-to-all over a torus: the slower of the chip's injection and the bisection.

    Each chip sends size/n to every other. Half of all traffic, n x size / 4 bytes each way,
    crosses the cut through the middle of the longest dimension k, over n/k rows of 2 links
    (closed) or 1 link (open) per direction: size x k / (4 x links per row x link) seconds
    (the bisection bound of Dally & Towles, 'Principles and Practices of Interconnection
    Networks', 3.3). Injection: (n-1)/n x size over all 2 x D links of the chip. Latency:
    k-1 steps per dimension (a dimension-ordered exchange).
    """
    if not dims:
        return Cost(0.0, 0.0, 0.0)
    n = math.prod(k for k, _ in dims)
    k_max, closed = max(dims)
    bisection = size_bytes * k_max / (4 * (2 if closed else 1) * link_bytes_per_s)
    injection = (n - 1) / n * size_bytes / (2 * len(dims) * link_bytes_per_s)
    return Cost(sum(k - 1 for k, _ in dims) * step_s, max(bisection, injection), 1.0)


def _torus_all_reduce(x: _Links, s: float) -> Cost | None:
    """Reduce-scatter then all-gather over the slice's torus; across slices (TPU multislice)
    each chip all-reduces its 1/g share over the data-center network in between (Cloud TPU
    'Multislice overview': ICI inside a slice, DCN between slices)."""
    if not x.torus:
        return None
    rs = torus_reduce_scatter(x.torus, x.link, x.up_lat, s)
    cost = Cost(2 * rs.latency, 2 * rs.transfer, 2 * rs.passes)
    if x.d > 1:
        inter = _inter_all_reduce(x, s)
        stage = _slowest((cost.transfer, cost.passes), (inter.transfer, inter.passes))
        cost = Cost(cost.latency + inter.latency, *stage)
    return cost


def _torus_gather(x: _Links, s: float) -> Cost | None:
    """All-gather or reduce-scatter over the torus, then across slices over DCN."""
    if not x.torus:
        return None
    cost = torus_reduce_scatter(x.torus, x.link, x.up_lat, s)
    if x.d > 1:
        inter = (x.d - 1) / x.d
        stage = _slowest((cost.transfer, cost.passes), (inter * s / (x.g * x.out), inter))
        cost = Cost(cost.latency + (x.d - 1) * x.out_lat, *stage)
    return cost


def _torus_all_to_all(x: _Links, s: float) -> Cost | None:
    """All-to-all on the torus; traffic to other slices over each chip's DCN share."""
    if not x.torus:
        return None
    intra = x.g / x.n
    cost = torus_all_to_all(x.torus, x.link, x.up_lat, intra * s)
    if x.d > 1:
        inter = (x.n - x.g) / x.n
        stage = _slowest((cost.transfer, cost.passes), (inter * s / x.out, inter))
        cost = Cost(cost.latency + x.out_lat, *stage)
    return cost


def _ring_broadcast(x: _Links, s: float) -> Cost:
    """A pipelined chain through all GPUs; the chain leaves each domain once."""
    return Cost(x.chain_latency(x.n - 1, x.d - 1), s / x.ring_rate())


def _send_recv(x: _Links, s: float) -> Cost:
    """One GPU to one other: over NVLink inside a domain, else over the sender's NIC."""
    if x.d == 1:
        return Cost(x.up_lat, s / x.up)
    return Cost(x.out_lat, s / x.out)


Model = Callable[[_Links, float], "Cost | None"]
_MODELS: dict[str, dict[str, tuple[str, Model]]] = {
    "all_reduce": {
        "ring": ("ring", _ring_all_reduce),
        "tree": ("tree", _tree_all_reduce),
        "hierarchical": ("ring", _hierarchical_all_reduce),
        "nvls": ("nvls", _nvls_all_reduce),
        "torus": ("ring", _torus_all_reduce),
    },
    "all_gather": {
        "ring": ("ring", _ring_gather),
        "hierarchical": ("ring", _hierarchical_gather),
        "torus": ("ring", _torus_gather),
    },
    "reduce_scatter": {
        "ring": ("ring", _ring_gather),
        "hierarchical": ("ring", _hierarchical_gather),
        "torus": ("ring", _torus_gather),
    },
    "all_to_all": {"direct": ("ring", _direct_all_to_all), "torus": ("ring", _torus_all_to_all)},
    "broadcast": {"ring": ("ring", _ring_broadcast)},
    "send_recv": {"direct": ("ring", _send_recv)},
}
"""op -> algorithm -> (NCCL algorithm family whose step costs apply, cost function); a cost
function returns None where it does not apply."""


def algorithms_for(op: str) -> tuple[str, ...]:
    """Algorithms modelled for `op` (besides 'auto')."""
    return tuple(_MODELS[op])


def _auto_skips(op: str, name: str, group: CollectiveGroup) -> bool:
    """Whether 'auto' leaves `name` out, as NCCL does: its all-reduce is ring, tree, NVLS or,
    over a reducing fabric, CollNet (SHARP, our hierarchical); a hierarchical all-reduce over a
    plain fabric is a framework-level algorithm that must be asked for by name. On a torus
    domain only the torus algorithms see the real links (a ring or a direct exchange at the
    chip's full scale-up rate would assume a switch that is not there)."""
    if group.torus_shape and group.domain_size > 1 and op in _TORUS_OPS:
        return name != "torus"
    return (
        op == "all_reduce"
        and name == "hierarchical"
        and bool(group.protocols)
        and not group.scale_out_in_network_reduction
    )


_TORUS_OPS = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all")


def _protocols(group: CollectiveGroup) -> tuple[str, ...]:
    """Protocols the collective may run with: those of the scale-up link, and of the fabric too
    once the group leaves its domain ('' alone: the generic protocol of a hand-built group)."""
    if not group.protocols:
        return ("",)
    if group.num_domains == 1:
        return group.protocols
    both = tuple(p for p in group.protocols if p in group.scale_out_protocols)
    return both or ("simple",)


def _bad(field: str, message: str) -> InputError:
    return InputError([Problem("collective", field, message)])


@functools.lru_cache(maxsize=1 << 16)
def collective_time_s(
    op: str,
    size_bytes: float,
    group: CollectiveGroup,
    algorithm: str = "auto",
) -> CollectiveEstimate:
    """Estimate one collective over `group` (memoized: callers repeat the same few shapes).

    Args:
        op: 'all_reduce', 'all_gather', 'reduce_scatter', 'all_to_all', 'broadcast' or
            'send_recv' (one GPU to another: pass a 2-GPU group; gpus_per_node=1 puts them on
            different nodes).
        size_bytes: the per-GPU buffer in bytes, nccl-tests convention (see module doc).
        group: where the GPUs sit and the links between them.
        algorithm: 'auto' (fastest), or one of `algorithms_for(op)`: ring, tree, nvls
            (only where the scale-up switch reduces), hierarchical (only across domains),
            direct (all_to_all, send_recv).

    Returns:
        A CollectiveEstimate. A one-GPU group or an empty buffer costs nothing.

    Raises:
        InputError: unknown op, a negative size, or an algorithm that does not apply.
    """
    models = _MODELS.get(op)
    if models is None:
        raise _bad("op", f"expected one of {', '.join(COLLECTIVE_OPS)} (got {op!r})")
    if not size_bytes >= 0:
        raise _bad("size_bytes", f"expected a number of bytes >= 0 (got {size_bytes!r})")
    if algorithm != "auto" and algorithm not in models:
        raise _bad(
            "algorithm",
            f"{op} is modelled with {', '.join(('auto', *models))} (got {algorithm!r})",
        )
    if group.num_gpus == 1 or size_bytes == 0:
        return CollectiveEstimate(0.0, 0.0, 0.0, "none")
    best_name, best_protocol, best_s = "", "", math.inf
    for protocol in _protocols(group):
        for name, (family, model) in models.items():
            if algorithm != "auto" and name != algorithm:
                continue
            if protocol and not supports(protocol, family):
                continue
            if algorithm == "auto" and _auto_skips(op, name, group):
                continue
            links = _Links.of(group, protocol, family)
            cost = model(links, size_bytes)
            if cost is None:
                continue
            latency, transfer, passes = cost
            fixed_us = group.launch_latency_us
            if protocol:
                fixed_us = max(0.0, fixed_us + base_extra_us(protocol, family))
            fill = transfer * links.fill_bytes / (size_bytes * max(passes, 1e-12))
            pipeline = min(2 * math.sqrt(latency * transfer), fill)
            time_s = fixed_us * 1e-6 + latency + transfer + pipeline
            if time_s < best_s:
                best_name, best_protocol, best_s = name, protocol, time_s
    if not best_name:
        why = {
            "nvls": "the scale-up interconnect does not reduce in the network",
            "hierarchical": "the group fits in one scale-up domain",
            "torus": "the scale-up domain is not a torus (no torus_shape on the node)",
        }.get(algorithm, "it does not apply to this group")
        raise _bad("algorithm", f"{algorithm} is not available here: {why}")
    algbw = size_bytes / best_s / 1e9
    return CollectiveEstimate(
        time_s=best_s,
        algbw_gb_per_s=algbw,
        busbw_gb_per_s=algbw * bus_factor(op, group.num_gpus),
        algorithm=best_name,
        protocol=best_protocol,
    )
