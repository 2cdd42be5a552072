"""Default failure rates: the Llama 3 405B pre-training interruption mix, per GPU-hour.

Source: Llama 3 paper (Dubey et al., "The Llama 3 Herd of Models", arXiv 2407.21783), Table 5:
over a 54-day snapshot of pre-training on 16,384 H100 GPUs there were 466 job interruptions,
47 planned and 419 unexpected. The unexpected ones by root cause are listed in `LLAMA3_CAUSES`.
The rows of Table 5 quoted in docs/figures sum to 411; the remaining 8 interruptions are the
table's four 2-count rows (server chassis, IO expansion board, dependency, system memory).

Every interruption is counted against the whole job, so a per-GPU-hour rate is the count
divided by the GPU-hours of the snapshot (16,384 x 54 x 24 = 21,233,664): a job on g GPUs sees
failures as a Poisson process of rate g x sum(rates). At 16,384 GPUs that is one every 3.1 h,
the paper's "about one every three hours".

Which causes take a node out for repair, and the detection, restart and repair times, are
this project's assumptions (the paper gives none); they are named constants so a study can
vary them.
"""

from __future__ import annotations

from dataclasses import dataclass

LLAMA3_GPUS = 16_384
LLAMA3_DAYS = 54
LLAMA3_GPU_HOURS = LLAMA3_GPUS * LLAMA3_DAYS * 24
"""GPU-hours of the Llama 3 snapshot the counts were taken over."""

DETECTION_S = 600.0
"""From a fault to the job being declared dead: PyTorch's default NCCL collective timeout
(10 minutes) is the usual detector of a hung rank (assumption)."""

RESTART_S = 600.0
"""Rescheduling, process start-up and NCCL initialisation before the restore starts
(assumption; Llama 3 reports reducing job start-up time but gives no figure)."""

REPAIR_HOURS = {"gpu": 72.0, "hbm": 72.0, "nic": 24.0, "host": 24.0}
"""Time a node is out when a cause takes it out: a GPU or HBM fault means swapping a GPU
baseboard tray (3 days), a NIC or host part 1 day (assumptions)."""


@dataclass(frozen=True)
class Cause:
    """One root cause of unexpected interruptions."""

    name: str
    count: int
    component: str
    """gpu, hbm, nic, switch, host or software: the failure process it belongs to"""
    takes_node_out: bool

    @property
    def per_gpu_hour(self) -> float:
        """Rate per GPU-hour of the job that sees it."""
        return self.count / LLAMA3_GPU_HOURS


LLAMA3_CAUSES: tuple[Cause, ...] = (
    Cause("faulty_gpu", 148, "gpu", True),
    Cause("gpu_hbm3_memory", 72, "hbm", True),
    Cause("software_bug", 54, "software", False),
    Cause("network_switch_cable", 35, "switch", False),
    Cause("host_maintenance", 32, "host", True),
    Cause("gpu_sram_memory", 19, "gpu", True),
    Cause("gpu_system_processor", 17, "gpu", True),
    Cause("nic", 7, "nic", True),
    Cause("nccl_watchdog_timeout", 7, "software", False),
    Cause("silent_data_corruption", 6, "gpu", True),
    Cause("gpu_thermal_interface_sensor", 6, "gpu", True),
    Cause("ssd", 3, "host", True),
    Cause("power_supply", 3, "host", True),
    Cause("server_chassis", 2, "host", True),
    Cause("io_expansion_board", 2, "host", True),
    Cause("dependency", 2, "software", False),
    Cause("cpu", 2, "host", True),
    Cause("system_memory", 2, "host", True),
)

COMPONENTS: tuple[str, ...] = ("gpu", "hbm", "nic", "switch", "host", "software")

RATE_SETS: dict[str, tuple[Cause, ...]] = {"llama3": LLAMA3_CAUSES}
"""Named rate sets a scenario can choose (`policies.failures.rates`)."""


def per_gpu_hour_by_component(causes: tuple[Cause, ...] = LLAMA3_CAUSES) -> dict[str, float]:
    """Failure rate per GPU-hour of each component process."""
    rates = dict.fromkeys(COMPONENTS, 0.0)
    for cause in causes:
        rates[cause.component] += cause.per_gpu_hour
    return rates


def repair_s(cause: Cause) -> float:
    """Seconds the node a cause takes out stays out."""
    return REPAIR_HOURS.get(cause.component, 24.0) * 3600.0
