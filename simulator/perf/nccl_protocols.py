"""NCCL's three wire protocols, and what each costs per call and per algorithm step.

A collective library trades latency for bandwidth by how it signals that data has landed:

- LL (low latency): every 8-byte store carries 4 bytes of data and a 4-byte flag, so the
  receiver polls the data itself. One store per step, no separate fence or flag write: the
  lowest per-step latency, but at most half the payload rate and in practice a quarter.
- LL128: the same idea on 128-byte lines (120 bytes of data, 8 of flag); needs the link to
  deliver each 128-byte write in order. Most of the bandwidth, a little more latency.
- Simple: bulk copies, then a fence and a separate flag write (and, over the network, a CPU
  proxy thread that posts the send and polls for its completion): full bandwidth, the highest
  per-step latency.

NCCL evaluates every (algorithm, protocol) pair with a latency + size / bandwidth model and
runs the cheapest; `simulator.perf.collectives` does the same with these costs.

Source: NVIDIA/nccl src/graph/tuning.cc (v2.19 and later, 2023-): `baseLat` (per-call cost),
`hwLat` (per-step cost on NVLink, PCIe and the network, ring and tree), and the bandwidth
refinements in `ncclTopoTuneModel` (ring LL busbw x 1/4, LL128 x 120/128 ~ 0.92; tree LL x
1/3.8, LL128 x 0.915 across nodes, 7/9 inside one). The step figures are those of NCCL 2.19 and
later (2.19 lowered tree Simple from 28 to 4 us per NVLink step and 28 to 14 us per network
step). Caveat: that attribution is unverified; a stored tuning.cc of the 2.20 era (commit
b6475625) still lists tree Simple at 28 us per step with a zero base, so the tree Simple row
may belong to a later release; check against the NCCL version a planner runs. NVLS (switch
reduction) runs only with Simple, at one switch round trip per call (hwLat NVLS 25 us NVLink,
18 us network).

The per-step figures include the latency of the links NCCL was tuned on. A link whose own
one-way latency (`InterconnectProfile.latency_us`) differs from the reference below adds the
difference at every step it carries: that is how a fabric with a slow software path (EFA's
SRD under libfabric) shows up, from its profile, not from a constant here.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, get_args

ProtocolName = Literal["ll", "ll128", "simple"]
PROTOCOLS: tuple[str, ...] = get_args(ProtocolName)
Family = Literal["ring", "tree", "nvls"]
LinkClass = Literal["nvlink", "pci", "net"]


class Protocol(NamedTuple):
    """One protocol's costs (microseconds, fractions)."""

    name: str
    ring_bandwidth_fraction: float
    tree_bandwidth_fraction: float
    base_us: dict[str, float]  # per call, by algorithm family
    step_us: dict[tuple[str, str], float]  # (family, link class) -> per step


_TABLE: dict[str, Protocol] = {
    "ll": Protocol(
        "ll",
        ring_bandwidth_fraction=1 / 4,
        tree_bandwidth_fraction=1 / 3.8,
        base_us={"ring": 6.6, "tree": 6.8},
        step_us={
            ("ring", "nvlink"): 0.6,
            ("ring", "pci"): 1.0,
            ("ring", "net"): 2.7,
            ("tree", "nvlink"): 0.6,
            ("tree", "pci"): 1.0,
            ("tree", "net"): 5.0,
        },
    ),
    "ll128": Protocol(
        "ll128",
        ring_bandwidth_fraction=0.92,
        tree_bandwidth_fraction=0.915,
        base_us={"ring": 14.0, "tree": 14.0},
        step_us={
            ("ring", "nvlink"): 1.9,
            ("ring", "pci"): 2.5,
            ("ring", "net"): 4.0,
            ("tree", "nvlink"): 1.25,
            ("tree", "pci"): 1.9,
            ("tree", "net"): 8.5,
        },
    ),
    "simple": Protocol(
        "simple",
        ring_bandwidth_fraction=1.0,
        tree_bandwidth_fraction=1.0,
        base_us={"ring": 8.4, "tree": 8.4, "nvls": 0.0},
        step_us={
            ("ring", "nvlink"): 3.4,
            ("ring", "pci"): 5.7,
            ("ring", "net"): 14.0,
            ("tree", "nvlink"): 4.0,
            ("tree", "pci"): 4.0,
            ("tree", "net"): 14.0,
            ("nvls", "nvlink"): 25.0,
            ("nvls", "pci"): 25.0,
            ("nvls", "net"): 18.0,
        },
    ),
}

REFERENCE_LINK_LATENCY_US: dict[str, float] = {"nvlink": 1.0, "pci": 1.5, "net": 1.5}
"""One-way latency of the links behind NCCL's step figures, as this project's profiles give
them (nvlink3/nvlink4: 1.0 us; pcie-gen4/5: 1.5 us; InfiniBand HDR/NDR: 1.5 us)."""

CHEAPEST_BASE_US = 6.6
"""NCCL's lowest per-call cost (ring LL); the GPU profile's `launch_latency_us` stands for it,
and the other protocols add their difference."""


def protocol(name: str) -> Protocol:
    """The named protocol's costs (KeyError for an unknown name)."""
    return _TABLE[name]


def supports(name: str, family: str) -> bool:
    """Whether NCCL runs `family` with protocol `name` (NVLS: Simple only)."""
    return family in _TABLE[name].base_us


def step_latency_us(name: str, family: str, link_class: str, link_latency_us: float) -> float:
    """Per-step latency of one protocol on one kind of link, for a link of the given latency.

    NCCL's figure for that link kind, plus the link's excess latency over the reference (a
    faster link takes its shortfall off, down to nothing).
    """
    table = _TABLE[name].step_us
    base = table.get((family, link_class), table[("ring", link_class)])
    excess = link_latency_us - REFERENCE_LINK_LATENCY_US[link_class]
    return max(0.0, base + excess)


def base_extra_us(name: str, family: str) -> float:
    """Per-call cost above the cheapest protocol's (may be negative: NVLS, tree Simple)."""
    return _TABLE[name].base_us[family] - CHEAPEST_BASE_US


def bandwidth_fraction(name: str, family: str, domains: int = 2) -> float:
    """Fraction of the link rate the protocol's payload gets (flags and polling eat the rest).

    NCCL gives a tree inside one node (a chain) with LL128 only 7/9 of the link."""
    p = _TABLE[name]
    if family != "tree":
        return p.ring_bandwidth_fraction
    if name == "ll128" and domains == 1:
        return 7 / 9
    return p.tree_bandwidth_fraction
