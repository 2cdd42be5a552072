"""Measured entries of the kernel-level cases (gemm, collectives) and their time units.

A case states each measured value with its own unit; the evaluator predicts in that unit, so
the comparison never depends on a conversion the reader cannot see.
"""

from __future__ import annotations

from collections.abc import Sequence

TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
"""seconds per unit, for the time units kernel benchmarks report"""


def time_entry(measured: dict, names: Sequence[str]) -> tuple[str, str, float] | None:
    """(name, unit, seconds per unit) of the first measured time among `names`."""
    for name in names:
        entry = measured.get(name)
        if isinstance(entry, dict) and entry.get("unit") in TIME_UNITS:
            return name, entry["unit"], TIME_UNITS[entry["unit"]]
    return None
