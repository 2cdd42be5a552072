"""Calibration probe: microbenchmarks on the attached hardware (torch, NVML imported lazily)."""
