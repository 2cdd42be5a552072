"""SiteFigures: what pricing reads of a run's summary (the facility's draw and grid).

Energy and storage bills need four figures of a run: PUE, the electricity price and the grid's
carbon intensity, and each storage tier's peak use. `RunSummary` has them all; a cost bound
(`simulator.sweep.cost_bounds`) prices a point before any run exists, so it builds a
`FacilityFigures` from the facility profile instead of faking a summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class SiteFigures(Protocol):
    """The figures of a run that pricing reads; `RunSummary` is one."""

    @property
    def pue(self) -> float: ...

    @property
    def electricity_usd_per_kwh(self) -> float: ...

    @property
    def carbon_g_per_kwh(self) -> float: ...

    @property
    def storage_peak_used_tb(self) -> Mapping[str, float]: ...


@dataclass(frozen=True)
class FacilityFigures:
    """SiteFigures without a run: a facility's figures, no storage used yet."""

    pue: float
    electricity_usd_per_kwh: float
    carbon_g_per_kwh: float
    storage_peak_used_tb: Mapping[str, float] = field(default_factory=dict)
