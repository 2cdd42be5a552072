"""Time of one collective (all-reduce, all-gather, ...) over a placed group of GPUs.

Each algorithm reduces to two numbers: L, the latency of its chain of dependent steps (alpha
per step, so it grows with group size: 2(n-1) steps for a ring all-reduce), and W, the time its
bottleneck link needs for the bytes it must carry. Real libraries cut messages into chunks and
pipeline them through the steps. With the best chunk size a pipeline of depth D and per-chunk
cost alpha takes (sqrt(L) + sqrt(W))^2 = L + W + 2 sqrt(L W), L = D * alpha; but chunks stop
growing once the library's buffers are full (`pipeline_fill_mib` in flight), after which
filling the pipeline costs a fixed W * fill / size:

    T = launch + L + W + min(2 sqrt(L W), W * fill_bytes / size)

Small messages cost L, large ones approach W, and in between bandwidth ramps with message
size. Hierarchical algorithms pipeline their stages too: L adds up, W is the slowest stage.
'auto' picks the fastest algorithm the group supports.

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
from simulator.perf.topology import CollectiveGroup

CollectiveOp = Literal[
    "all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "send_recv"
]
Algorithm = Literal["auto", "ring", "tree", "nvls", "hierarchical", "direct"]
COLLECTIVE_OPS: tuple[str, ...] = get_args(CollectiveOp)
ALGORITHMS: tuple[str, ...] = get_args(Algorithm)


class CollectiveEstimate(NamedTuple):
    """What one collective costs (a NamedTuple: cheap to build, read by attribute).

    Attributes:
        time_s: wall time, seconds.
        algbw_gb_per_s: size / time, GB/s (nccl-tests algbw).
        busbw_gb_per_s: algbw x bus factor, GB/s (nccl-tests busbw), comparable to link speed.
        algorithm: the algorithm the estimate used ('none' for a one-GPU group).
    """

    time_s: float
    algbw_gb_per_s: float
    busbw_gb_per_s: float
    algorithm: str


def bus_factor(op: str, num_gpus: int) -> float:
    """nccl-tests busbw / algbw: 2(n-1)/n for all_reduce, (n-1)/n for gathers, 1 otherwise."""
    n = num_gpus
    if op == "all_reduce":
        return 2 * (n - 1) / n
    if op in ("all_gather", "reduce_scatter", "all_to_all"):
        return (n - 1) / n
    return 1.0


class _Links(NamedTuple):
    """The group reduced to what the formulas read: sizes, bytes/s and seconds."""

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

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def of(group: CollectiveGroup) -> _Links:
        """Cached: performance code calls with the same few groups many times."""
        out = (group.scale_out_gb_per_s or 0.0) * 1e9 / group.oversubscription
        return _Links(
            n=group.num_gpus,
            g=group.domain_size,
            d=group.num_domains,
            up=group.scale_up_gb_per_s * 1e9,
            up_lat=group.scale_up_latency_us * 1e-6,
            out=out,
            out_lat=(group.scale_out_latency_us or 0.0) * 1e-6,
            nvls=(group.nvls_gb_per_s or 0.0) * 1e9,
            sharp=group.scale_out_in_network_reduction,
            fill_bytes=group.pipeline_fill_mib * 2**20,
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


Cost = tuple[float, float]  # (latency L, transfer W), seconds


def _ring_all_reduce(x: _Links, s: float) -> Cost:
    steps = 2 * (x.n - 1)
    crossings = steps * x.d / x.n if x.d > 1 else 0.0
    return x.chain_latency(steps, crossings), steps / x.n * s / x.ring_rate()


def _tree_all_reduce(x: _Links, s: float) -> Cost:
    """Chain inside each domain, double binary tree between domains (NCCL's tree)."""
    latency = 2 * (x.g - 1) * x.up_lat
    transfer = 2 * s / x.up if x.g > 1 else 0.0
    if x.d > 1:
        latency += 2 * math.ceil(math.log2(x.d)) * x.out_lat
        per_domain = (1 if x.d == 2 else 2) * s / (x.g * x.out)
        transfer = max(transfer, per_domain)
    return latency, transfer


def _inter_all_reduce(x: _Links, s: float) -> Cost:
    """All-reduce of each GPU's 1/g share across domains, over its own NIC (rail-aligned)."""
    share = s / x.g
    if x.sharp:
        return 2 * x.out_lat, share / x.out
    return 2 * (x.d - 1) * x.out_lat, 2 * (x.d - 1) / x.d * share / x.out


def _hierarchical_all_reduce(x: _Links, s: float) -> Cost | None:
    """Reduce-scatter in the domain, all-reduce across domains, all-gather in the domain."""
    if x.d == 1:
        return None
    latency, inter = _inter_all_reduce(x, s)
    intra = 2 * (x.g - 1) / x.g * s / x.up
    return latency + 2 * (x.g - 1) * x.up_lat, max(intra, inter)


def _nvls_all_reduce(x: _Links, s: float) -> Cost | None:
    """The NVSwitch reduces: each GPU sends its buffer once and reads the sum once."""
    if x.nvls <= 0:
        return None
    latency, transfer = 2 * (x.g - 1) * x.up_lat, s / x.nvls
    if x.d > 1:
        inter_latency, inter = _inter_all_reduce(x, s)
        latency, transfer = latency + inter_latency, max(transfer, inter)
    return latency, transfer


def _ring_gather(x: _Links, s: float) -> Cost:
    """All-gather or reduce-scatter on a ring: n-1 steps, (n-1)/n of the buffer per GPU."""
    steps = x.n - 1
    crossings = steps * x.d / x.n if x.d > 1 else 0.0
    return x.chain_latency(steps, crossings), steps / x.n * s / x.ring_rate()


def _hierarchical_gather(x: _Links, s: float) -> Cost | None:
    """Across domains over each GPU's NIC (rails), then inside the domain (or reversed)."""
    if x.d == 1:
        return None
    latency = (x.g - 1) * x.up_lat + (x.d - 1) * x.out_lat
    intra = (x.g - 1) / x.g * s / x.up
    inter = (x.d - 1) / x.d * s / (x.g * x.out)
    return latency, max(intra, inter)


def _direct_all_to_all(x: _Links, s: float) -> Cost:
    """Every GPU sends s/n to every other: NVLink for its domain, its own NIC for the rest.

    Per-peer setup adds one scale-up step per peer; the network adds one hop."""
    latency = (x.n - 1) * x.up_lat + (x.out_lat if x.d > 1 else 0.0)
    intra = (x.g - 1) / x.n * s / x.up
    inter = (x.n - x.g) / x.n * s / x.out if x.d > 1 else 0.0
    return latency, max(intra, inter)


def _ring_broadcast(x: _Links, s: float) -> Cost:
    """A pipelined chain through all GPUs; the chain leaves each domain once."""
    return x.chain_latency(x.n - 1, x.d - 1), s / x.ring_rate()


def _send_recv(x: _Links, s: float) -> Cost:
    """One GPU to one other: over NVLink inside a domain, else over the sender's NIC."""
    if x.d == 1:
        return x.up_lat, s / x.up
    return x.out_lat, s / x.out


Model = Callable[[_Links, float], "Cost | None"]
_MODELS: dict[str, dict[str, Model]] = {
    "all_reduce": {
        "ring": _ring_all_reduce,
        "tree": _tree_all_reduce,
        "hierarchical": _hierarchical_all_reduce,
        "nvls": _nvls_all_reduce,
    },
    "all_gather": {"ring": _ring_gather, "hierarchical": _hierarchical_gather},
    "reduce_scatter": {"ring": _ring_gather, "hierarchical": _hierarchical_gather},
    "all_to_all": {"direct": _direct_all_to_all},
    "broadcast": {"ring": _ring_broadcast},
    "send_recv": {"direct": _send_recv},
}
"""op -> algorithm -> cost function; a function returns None where it does not apply."""


def algorithms_for(op: str) -> tuple[str, ...]:
    """Algorithms modelled for `op` (besides 'auto')."""
    return tuple(_MODELS[op])


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
    links = _Links.of(group)
    launch_s = group.launch_latency_us * 1e-6
    best_name, best_s = "", math.inf
    for name, model in models.items():
        if algorithm != "auto" and name != algorithm:
            continue
        cost = model(links, size_bytes)
        if cost is None:
            continue
        latency, transfer = cost
        fill = transfer * links.fill_bytes / size_bytes
        time_s = launch_s + latency + transfer + min(2 * math.sqrt(latency * transfer), fill)
        if time_s < best_s:
            best_name, best_s = name, time_s
    if not best_name:
        why = {
            "nvls": "the scale-up interconnect does not reduce in the network",
            "hierarchical": "the group fits in one scale-up domain",
        }.get(algorithm, "it does not apply to this group")
        raise _bad("algorithm", f"{algorithm} is not available here: {why}")
    algbw = size_bytes / best_s / 1e9
    return CollectiveEstimate(
        time_s=best_s,
        algbw_gb_per_s=algbw,
        busbw_gb_per_s=algbw * bus_factor(op, group.num_gpus),
        algorithm=best_name,
    )
