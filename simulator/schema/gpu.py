"""GPU profile: peak rates, memory, power, and the achievable-efficiency table.

Peak figures are the vendor's dense (non-sparse) numbers. What a real kernel achieves lives in
`efficiency`, a data table that a calibration overlay replaces for the GPU it measured.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from simulator.schema.base import AsOf, Profile, StrictModel
from simulator.schema.plausible import BINARY, plausible, slip_message

ACCELERATOR_MIN_MEMORY_GB_PER_S = 50.0
"""Slower device memory than this is a unit slip on anything but a CPU (architecture: cpu)."""

Tflops = Annotated[float, plausible(1e-3, 1e6, "TFLOP/s")]
"""A peak rate: from a small CPU core's GFLOP/s to well past any accelerator."""

Dtype = Literal["fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp6", "fp4"]
DTYPE_BYTES: dict[str, float] = {
    "fp64": 8,
    "fp32": 4,
    "tf32": 4,
    "bf16": 2,
    "fp16": 2,
    "fp8": 1,
    "int8": 1,
    "fp6": 0.75,
    "fp4": 0.5,
}


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid name pattern ({exc})") from None
    return pattern


NamePattern = Annotated[
    str,
    Field(
        min_length=1,
        description="a name as published cases write it, matched case-insensitively anywhere "
        "in the text: plain ('H100') or a simple regular expression ('DGX[ -]?A100')",
    ),
    AfterValidator(_compiles),
]


class HardwareName(StrictModel):
    """A name with the note `infrasim validate` shows when a case is mapped by it."""

    pattern: NamePattern
    note: str = Field(default="", description="why this name maps here (e.g. a close sibling)")


HardwareNames = list[NamePattern | HardwareName]
"""How published cases name a profile's hardware (`matches:`). Naming, not a figure: it needs
no `source`. `infrasim validate` picks the profile whose name matches the longest stretch of
a case's hardware text, so adding a GPU or node takes only its YAML file."""


class PeakTflops(StrictModel):
    """Dense peak TFLOP/s (TOP/s for int8) per data type; absent means unsupported."""

    fp64: Tflops | None = Field(default=None, gt=0)
    fp32: Tflops = Field(gt=0)
    tf32: Tflops | None = Field(default=None, gt=0)
    bf16: Tflops | None = Field(default=None, gt=0)
    fp16: Tflops = Field(gt=0)
    fp8: Tflops | None = Field(default=None, gt=0)
    int8: Tflops | None = Field(default=None, gt=0)
    fp6: Tflops | None = Field(
        default=None,
        gt=0,
        description="FP6 / MXFP6 (CDNA 4, Blackwell); absent where the part has no FP6 path",
    )
    fp4: Tflops | None = Field(default=None, gt=0)

    def for_dtype(self, dtype: str) -> float | None:
        """Peak for `dtype`, or None when the GPU has no tensor path for it."""
        return getattr(self, dtype)


class GemmEfficiency(StrictModel):
    """Parameters of the GEMM efficiency model (see simulator/perf/gemm.py)."""

    max_fraction_of_peak: dict[Dtype, float] = Field(
        description="fraction of peak the GEMM main loop reaches, per dtype, in a short burst "
        "at boost clock, when output tiles fill every SM evenly and K is long: the asymptote of "
        "simulator/perf/gemm.py (size effects are applied on top)"
    )
    tile_m: int = Field(default=128, gt=0, description="output tile rows per thread block")
    tile_n: int = Field(default=256, gt=0, description="output tile columns per thread block")
    k_half_efficiency: float = Field(
        default=128.0,
        gt=0,
        description="K at which per-tile fixed cost (prologue, epilogue) halves efficiency",
    )
    launch_overhead_us: float = Field(
        default=4.0, ge=0, description="fixed cost per kernel launch, microseconds"
    )
    stream_k: bool = Field(
        default=False,
        description="the BLAS library balances work across SMs by splitting tiles along K "
        "(stream-K, persistent kernels): no wave quantization, K split when tiles are few",
    )
    min_k_per_split: int = Field(
        default=512,
        gt=0,
        description="split-K never cuts K into pieces shorter than this (used when the output "
        "tiles alone cannot fill the SMs)",
    )
    roofline_exponent: float = Field(
        default=3.0,
        ge=1,
        description="p in time = (compute^p + memory^p)^(1/p): how sharply a kernel turns from "
        "memory- to compute-bound; large p is the ideal roofline max(), 1 is no overlap",
    )
    sustained_fraction: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="throughput of back-to-back saturated GEMMs relative to the short burst "
        "max_fraction_of_peak was measured at (the clock settles below boost at the power "
        "limit); 1 means no drop",
    )

    @model_validator(mode="after")
    def _fractions_in_range(self) -> GemmEfficiency:
        for dtype, fraction in self.max_fraction_of_peak.items():
            if not 0 < fraction <= 1:
                raise ValueError(f"max_fraction_of_peak.{dtype} must be in (0, 1], got {fraction}")
        return self


class CollectiveEfficiency(StrictModel):
    """Parameters of the collective model that belong to the GPU and its runtime (NCCL).

    Link rates and per-hop network latency come from interconnect profiles; what lives here
    is what the GPU side adds (see simulator/perf/collectives.py).
    """

    launch_latency_us: float = Field(
        default=8.0, ge=0, description="fixed cost of one collective call (launch, setup)"
    )
    scale_up_step_latency_us: float = Field(
        default=1.0,
        gt=0,
        description="latency of one algorithm step over the scale-up link, used when no "
        "scale-up interconnect profile is known (a node's scale_up profile overrides it)",
    )
    pipeline_fill_mib: float = Field(
        default=32.0,
        gt=0,
        description="data the collective library keeps in flight (channels x buffer size: "
        "8 x NCCL_BUFFSIZE 4 MiB); once messages exceed it, chunks stop growing and filling the "
        "pipeline costs a fixed time",
    )
    nvls_bandwidth_fraction: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="achievable fraction of scale-up bandwidth per GPU when the switch reduces "
        "(NVLink SHARP / NVLS)",
    )
    library: Literal["nccl", "generic"] = Field(
        default="nccl",
        description="nccl: NCCL's protocols (LL, LL128, Simple) and their per-step costs apply; "
        "generic: one protocol with the latencies above as they are, the scale-up step "
        "latency included (a calibration fitted them that way, for NCCL and gloo alike)",
    )


class EfficiencyTable(StrictModel):
    """Achievable fractions of the peaks; replaced by a calibration overlay."""

    source: str = Field(min_length=3)
    as_of: AsOf
    gemm: GemmEfficiency
    memory_bandwidth_fraction: float = Field(
        gt=0, le=1, description="achievable fraction of peak memory bandwidth (device copy)"
    )
    scale_up_bandwidth_fraction: float = Field(
        default=0.8, gt=0, le=1, description="achievable fraction of scale-up link bandwidth"
    )
    collectives: CollectiveEfficiency = Field(default_factory=CollectiveEfficiency)
    fitted_to_cases: list[str] = Field(
        default_factory=list,
        description="ids of validation cases these numbers were taken from; `infrasim validate` "
        "reports those cases as in-sample",
    )


class PowerPoint(StrictModel):
    """One point of a GPU's power-versus-utilization curve."""

    utilization: float = Field(ge=0, le=1, description="tensor-core busy fraction")
    power_w: float = Field(gt=0)


class GpuProfile(Profile):
    """One accelerator model."""

    kind: Literal["gpu"] = "gpu"
    vendor: Literal["nvidia", "amd", "intel", "google", "aws", "other"]
    architecture: str = Field(min_length=1, description="e.g. ampere, hopper, blackwell, cdna3")
    peak_tflops: PeakTflops
    memory_gib: Annotated[float, plausible(0.5, 16384, "GiB", BINARY)] = Field(gt=0)
    memory_bandwidth_gb_per_s: Annotated[float, plausible(1, 200_000, "GB/s")] = Field(
        gt=0, description="peak device memory bandwidth"
    )
    l2_cache_mib: float | None = Field(default=None, gt=0)
    l2_bandwidth_gb_per_s: float | None = Field(
        default=None,
        gt=0,
        description="peak L2 read bandwidth (bytes per clock x boost clock); prices decode "
        "attention kernels that re-read KV heads per query head",
    )
    sm_count: int = Field(gt=0, description="streaming multiprocessors (NVIDIA) or CUs (AMD)")
    boost_clock_mhz: float | None = Field(default=None, gt=0)
    tdp_w: float = Field(gt=0, description="board power limit")
    idle_power_w: float = Field(gt=0)
    power_curve: list[PowerPoint] = Field(
        default_factory=list,
        description="power versus utilization; linear idle->TDP when empty",
    )
    scale_up_bandwidth_gb_per_s: float | None = Field(
        default=None,
        gt=0,
        description="scale-up (NVLink / Infinity Fabric) bandwidth per GPU, both directions summed "
        "as marketed; one direction carries half. None for PCIe-only parts",
    )
    host_link_bandwidth_gb_per_s: float = Field(
        gt=0, description="host link (PCIe or C2C) bandwidth per direction"
    )
    efficiency: EfficiencyTable
    matches: HardwareNames = Field(
        default_factory=list,
        description="names published cases use for this GPU (see HardwareNames)",
    )

    @model_validator(mode="after")
    def _accelerator_memory_plausible(self) -> GpuProfile:
        # a CPU measured by `infrasim calibrate` may copy at a few GB/s; no accelerator's device
        # memory is that slow (3.35 is an H100's 3.35 TB/s written as GB/s)
        low = ACCELERATOR_MIN_MEMORY_GB_PER_S
        if self.architecture != "cpu" and self.memory_bandwidth_gb_per_s < low:
            message = slip_message(self.memory_bandwidth_gb_per_s, low, 200_000, "GB/s")
            raise ValueError(f"memory_bandwidth_gb_per_s: {message}")
        return self

    @model_validator(mode="after")
    def _power_consistent(self) -> GpuProfile:
        if self.idle_power_w >= self.tdp_w:
            raise ValueError("idle_power_w must be below tdp_w")
        utils = [p.utilization for p in self.power_curve]
        if utils != sorted(utils):
            raise ValueError("power_curve must be sorted by utilization")
        return self

    def scale_up_bandwidth_per_direction_gb_per_s(self) -> float | None:
        """One direction of the scale-up link, the figure collectives move data at."""
        if self.scale_up_bandwidth_gb_per_s is None:
            return None
        return self.scale_up_bandwidth_gb_per_s / 2
