"""Which machine, which devices, which software: recorded so a number can be traced and
compared with a later run on the same (or a different) box."""

from __future__ import annotations

import datetime
import os
import platform
import socket
import sys
from typing import Any

from calibrate import nvml as nvml_api
from simulator import __version__
from simulator.schema.calibration import DeviceInfo, Fingerprint


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo, else what platform reports."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown cpu"


def memory_bytes() -> int | None:
    """Physical memory of the host."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _cuda_devices(torch: Any, nvml: Any | None) -> list[DeviceInfo]:
    devices = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        facts = nvml_api.device_facts(nvml, index) if nvml is not None else {}
        uuid = facts.get("uuid") or (str(props.uuid) if getattr(props, "uuid", None) else None)
        devices.append(
            DeviceInfo(
                index=index,
                name=props.name,
                uuid=uuid,
                memory_bytes=props.total_memory,
                multiprocessors=props.multi_processor_count,
                l2_cache_bytes=getattr(props, "L2_cache_size", None) or None,
                max_sm_clock_mhz=facts.get("max_sm_clock_mhz"),
                max_memory_clock_mhz=facts.get("max_memory_clock_mhz"),
                power_limit_w=facts.get("power_limit_w"),
                default_power_limit_w=facts.get("default_power_limit_w"),
            )
        )
    return devices


def _nccl_version(torch: Any) -> str | None:
    try:
        version = torch.cuda.nccl.version()
    except Exception:  # no NCCL in this build (CPU wheels) raises various errors
        return None
    return ".".join(str(v) for v in version) if isinstance(version, tuple) else str(version)


def fingerprint(torch: Any, device: str, nvml: Any | None, nvml_status: str) -> Fingerprint:
    """Everything that identifies this run's hardware and software."""
    if device == "cuda":
        devices = _cuda_devices(torch, nvml)
    else:
        devices = [
            DeviceInfo(
                index=0,
                name=cpu_model(),
                memory_bytes=memory_bytes(),
                multiprocessors=torch.get_num_threads(),
            )
        ]
    return Fingerprint(
        device_kind=device,  # type: ignore[arg-type]
        devices=devices,
        host=socket.gethostname(),
        os=platform.platform(),
        python_version=sys.version.split()[0],
        infrasim_version=__version__,
        torch_version=str(torch.__version__),
        cuda_version=torch.version.cuda,
        nccl_version=_nccl_version(torch) if device == "cuda" else None,
        driver_version=nvml_api.driver_version(nvml) if nvml is not None else None,
        cpu_model=cpu_model(),
        cpu_threads=os.cpu_count() or 1,
        torch_threads=torch.get_num_threads(),
        nvml=nvml_status if device == "cuda" else "not used on CPU (NVML reads NVIDIA GPUs)",
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )
