"""NVML readings (pynvml, imported lazily): clocks, power limits, energy, throttle reasons.

Every reading is optional: a driver without a counter, a container without NVML, or no
nvidia-ml-py at all just means fewer fields, and `status()` says why.
"""

from __future__ import annotations

from typing import Any


def load() -> tuple[Any | None, str]:
    """(pynvml module, 'available') or (None, why NVML cannot be used)."""
    try:
        import pynvml
    except ImportError:
        return None, "nvidia-ml-py not installed (pip install 'infrasim[calibrate]')"
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError subclasses; the library raises nothing narrower
        return None, f"NVML unavailable: {exc}"
    return pynvml, "available"


def _try(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # a missing counter is NVMLError_NotSupported; any failure = no reading
        return None


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def device_facts(nvml: Any, index: int) -> dict[str, Any]:
    """UUID, max clocks and power limits of device `index` (None where unreadable)."""
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    limit = _try(nvml.nvmlDeviceGetEnforcedPowerLimit, handle)
    default = _try(nvml.nvmlDeviceGetPowerManagementDefaultLimit, handle)
    return {
        "uuid": _text(_try(nvml.nvmlDeviceGetUUID, handle)),
        "max_sm_clock_mhz": _try(nvml.nvmlDeviceGetMaxClockInfo, handle, nvml.NVML_CLOCK_SM),
        "max_memory_clock_mhz": _try(nvml.nvmlDeviceGetMaxClockInfo, handle, nvml.NVML_CLOCK_MEM),
        "power_limit_w": limit / 1000 if limit else None,
        "default_power_limit_w": default / 1000 if default else None,
    }


def driver_version(nvml: Any) -> str | None:
    """The kernel driver version string."""
    return _text(_try(nvml.nvmlSystemGetDriverVersion))


def energy_mj(nvml: Any, index: int) -> int | None:
    """Total energy since driver load, millijoules (Volta and later)."""
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    return _try(nvml.nvmlDeviceGetTotalEnergyConsumption, handle)


_REASONS = {
    "GpuIdle": "idle",
    "ApplicationsClocksSetting": "application clocks",
    "SwPowerCap": "software power cap",
    "HwSlowdown": "hardware slowdown",
    "SyncBoost": "sync boost",
    "SwThermalSlowdown": "software thermal",
    "HwThermalSlowdown": "hardware thermal",
    "HwPowerBrakeSlowdown": "power brake",
    "DisplayClockSetting": "display clocks",
}


def state(nvml: Any, index: int) -> dict[str, Any]:
    """Clocks, temperature and active throttle reasons right now."""
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    mask = _try(nvml.nvmlDeviceGetCurrentClocksThrottleReasons, handle) or 0
    reasons = [
        label
        for key, label in _REASONS.items()
        if mask & (getattr(nvml, f"nvmlClocksThrottleReason{key}", 0) or 0)
    ]
    return {
        "sm_clock_mhz": _try(nvml.nvmlDeviceGetClockInfo, handle, nvml.NVML_CLOCK_SM),
        "memory_clock_mhz": _try(nvml.nvmlDeviceGetClockInfo, handle, nvml.NVML_CLOCK_MEM),
        "temperature_c": _try(nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU),
        "throttle_reasons": reasons,
    }
