"""Calibration file: what the probe measured on one machine, the fits, and the overlay.

The probe (`calibrate/`, which needs torch) writes this file; the simulator reads it with no
torch installed, so the schema lives here. A file carries a fingerprint (which machine, which
software), the method (how it was timed), every raw measurement, the fits with their error on
held-out points, and an `overlay`: the efficiency table (and power curve) that replaces the
catalog's for the measured GPU, or a whole device entry for a device the catalog lacks (a CPU).
`schema_version` changes whenever a reader of an older file would misread a newer one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.schema.base import StrictModel
from simulator.schema.gpu import Dtype, EfficiencyTable, GemmEfficiency, GpuProfile, PowerPoint

CALIBRATION_SCHEMA_VERSION = 1
CollectiveName = Literal["all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast"]


class DeviceInfo(StrictModel):
    """One measured device (a GPU, or the CPU as a whole)."""

    index: int = Field(ge=0)
    name: str = Field(min_length=1)
    uuid: str | None = None
    memory_bytes: int | None = Field(default=None, gt=0)
    multiprocessors: int | None = Field(default=None, gt=0, description="SMs, or CPU threads")
    l2_cache_bytes: int | None = Field(default=None, gt=0)
    max_sm_clock_mhz: float | None = Field(default=None, gt=0)
    max_memory_clock_mhz: float | None = Field(default=None, gt=0)
    power_limit_w: float | None = Field(default=None, gt=0)
    default_power_limit_w: float | None = Field(default=None, gt=0)


class Fingerprint(StrictModel):
    """Which machine and software the numbers belong to."""

    device_kind: Literal["cuda", "cpu"]
    devices: list[DeviceInfo] = Field(min_length=1)
    host: str
    os: str
    python_version: str
    infrasim_version: str
    torch_version: str | None = None
    cuda_version: str | None = None
    nccl_version: str | None = None
    driver_version: str | None = None
    cpu_model: str | None = None
    cpu_threads: int | None = Field(default=None, gt=0, description="logical CPUs the OS reports")
    torch_threads: int | None = Field(default=None, gt=0, description="intra-op threads used")
    nvml: str = Field(description="'available', or why NVML readings are missing")
    created_at: str = Field(description="UTC time the probe finished, ISO 8601")


class Method(StrictModel):
    """How every number was taken, so a reader can judge and repeat it."""

    mode: Literal["quick", "full", "imported"]
    timer: str = Field(description="e.g. 'cuda events' or 'time.perf_counter_ns'")
    warmup: int = Field(ge=0)
    repeats: int = Field(ge=1)
    statistic: Literal["median", "mean", "lower quartile"] = Field(
        default="median",
        description="of the repeats: median (GPU), lower quartile (CPU: calibrate/timing.py), "
        "mean (imported nccl-tests)",
    )
    l2_flush: bool
    held_out_rule: str
    notes: list[str] = Field(default_factory=list)


class GemmPoint(StrictModel):
    """One GEMM shape timed."""

    dtype: Dtype
    m: int = Field(ge=1)
    n: int = Field(ge=1)
    k: int = Field(ge=1)
    time_s: float = Field(gt=0)
    tflops: float = Field(gt=0)


class CopyPoint(StrictModel):
    """One copy timed: device memory (read + write counted), or host <-> device."""

    kind: Literal["device_copy", "host_to_device", "device_to_host"]
    size_bytes: int = Field(gt=0, description="buffer size; device_copy moves twice this")
    time_s: float = Field(gt=0)
    gb_per_s: float = Field(gt=0, description="bytes moved / time / 1e9")


class CollectivePoint(StrictModel):
    """One collective timed; sizes and bandwidths follow nccl-tests (doc/PERFORMANCE.md)."""

    op: CollectiveName
    backend: str
    num_ranks: int = Field(ge=2)
    size_bytes: int = Field(gt=0, description="per-rank buffer, nccl-tests convention")
    time_s: float = Field(gt=0)
    algbw_gb_per_s: float = Field(ge=0)
    busbw_gb_per_s: float = Field(ge=0)
    emulated: bool = Field(default=False, description="built from send/recv by the probe")


class PowerSample(StrictModel):
    """Average power over one run of >= 1 s at a duty cycle (energy counter / time)."""

    device_index: int = Field(ge=0)
    duty_cycle: float = Field(ge=0, le=1)
    duration_s: float = Field(gt=0)
    energy_j: float = Field(ge=0)
    power_w: float = Field(gt=0)
    achieved_tflops: float | None = Field(default=None, ge=0)
    sm_clock_mhz: float | None = None
    memory_clock_mhz: float | None = None
    temperature_c: float | None = None
    throttle_reasons: list[str] = Field(default_factory=list)


class StoragePoint(StrictModel):
    """Sequential read or write of one file on the given path."""

    op: Literal["read", "write"]
    path: str
    size_bytes: int = Field(gt=0)
    time_s: float = Field(gt=0)
    gb_per_s: float = Field(gt=0)
    note: str = ""


class Measurements(StrictModel):
    """Everything measured, unfitted."""

    gemm: list[GemmPoint] = Field(default_factory=list)
    copies: list[CopyPoint] = Field(default_factory=list)
    collectives: list[CollectivePoint] = Field(default_factory=list)
    power: list[PowerSample] = Field(default_factory=list)
    storage: list[StoragePoint] = Field(default_factory=list)


class FitError(StrictModel):
    """How well a fit predicts: on the points it saw, and on points held out from it."""

    train_points: int = Field(ge=1)
    held_out_points: int = Field(ge=0)
    train_mean_abs_pct: float = Field(ge=0, description="mean |predicted/measured - 1|, percent")
    held_out_mean_abs_pct: float | None = Field(default=None, ge=0)
    held_out_max_abs_pct: float | None = Field(default=None, ge=0)


class GemmFit(StrictModel):
    """Parameters of simulator/perf/gemm.py fitted to the measured GEMMs."""

    gpu_profile: str = Field(description="profile id whose peaks the fractions refer to")
    peak_tflops: dict[Dtype, float] = Field(description="the peaks the fit divided by")
    parameters: GemmEfficiency
    error: FitError


class BandwidthFit(StrictModel):
    """time = latency + bytes / bandwidth."""

    kind: Literal["device_copy", "host_to_device", "device_to_host"]
    latency_us: float = Field(ge=0)
    bandwidth_gb_per_s: float = Field(gt=0)
    error: FitError


class FitSource(StrictModel):
    """Where an imported fit came from (the probe's own fits have none: the file is the source)."""

    file: str
    sha256: str = Field(description="of the whole log file")
    first_line: int = Field(ge=0, description="the run's first line in the file (0: JSON)")
    nccl_version: str | None = None
    imported_at: str = Field(description="UTC time of the import, ISO 8601")


class CollectiveFit(StrictModel):
    """The simulator's collective model (alpha-beta with a pipeline ramp) for one op.

    alpha_us is the small-message time (launch + steps x step latency); bus bandwidth is the
    large-message busbw; half_bandwidth_bytes is where busbw reaches half of it.
    """

    op: CollectiveName
    backend: str
    num_ranks: int = Field(ge=2)
    launch_latency_us: float = Field(ge=0)
    step_latency_us: float = Field(gt=0)
    link_rate_gb_per_s: float = Field(
        gt=0, description="per-rank link rate of the model (its scale_up_gb_per_s), one way"
    )
    bus_bandwidth_gb_per_s: float = Field(gt=0, description="model busbw for huge messages")
    pipeline_fill_mib: float = Field(gt=0)
    alpha_us: float = Field(ge=0)
    half_bandwidth_bytes: float = Field(ge=0)
    error: FitError
    span: Literal["intra_node", "inter_node"] = Field(
        default="intra_node",
        description="intra_node: all ranks in one scale-up domain (NVLink, xGMI), the only fits "
        "an overlay applies; inter_node: the group spans domains (IB, RoCE, EFA), and "
        "link_rate_gb_per_s / step_latency_us are the fabric's per-GPU rate and per-hop "
        "latency, fitted with the catalog's links inside each domain held fixed",
    )
    nodes: int | None = Field(default=None, ge=1, description="scale-up domains the ranks span")
    source: FitSource | None = None


class PowerFit(StrictModel):
    """power = idle + (max - idle) x utilization ** exponent."""

    idle_w: float = Field(gt=0)
    max_w: float = Field(gt=0)
    exponent: float = Field(gt=0)
    source: Literal["nvml", "rapl", "user"]
    error: FitError | None = None


class StorageSummary(StrictModel):
    """Throughput on the path given with --storage."""

    path: str
    read_gb_per_s: float = Field(gt=0)
    write_gb_per_s: float = Field(gt=0)


class Fits(StrictModel):
    """Every fit, each with its held-out error."""

    gemm: GemmFit | None = None
    bandwidth: list[BandwidthFit] = Field(default_factory=list)
    collectives: list[CollectiveFit] = Field(default_factory=list)
    power: PowerFit | None = None
    storage: StorageSummary | None = None


class Overlay(StrictModel):
    """What the catalog changes when this file is applied.

    Either `target_gpu_id` (replace that GPU's efficiency table, and its power curve when
    measured) or `device_profile` (add a device the catalog lacks, such as a CPU), not both.
    """

    target_gpu_id: str | None = None
    efficiency: EfficiencyTable | None = None
    power_curve: list[PowerPoint] | None = None
    idle_power_w: float | None = Field(default=None, gt=0)
    device_profile: GpuProfile | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Overlay:
        if (self.target_gpu_id is None) == (self.device_profile is None):
            raise ValueError("give exactly one of target_gpu_id or device_profile")
        if self.target_gpu_id is not None and self.efficiency is None:
            raise ValueError("target_gpu_id needs an efficiency table to apply")
        return self


class CalibrationFile(StrictModel):
    """One probe run (or one imported nccl-tests log): fingerprint, method, data, fits."""

    schema_version: Literal[1] = Field(description="calibration file format version")
    kind: Literal["calibration"] = "calibration"
    fingerprint: Fingerprint
    method: Method
    measurements: Measurements
    fits: Fits
    overlay: Overlay | None = Field(
        default=None, description="absent when the probe could not build one (reason in notes)"
    )
