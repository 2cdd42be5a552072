"""One option's costs: per category per month (accrued), cash outlays per month, and the
figures cost-per-unit outputs divide by.

Accrued costs spread capital over its depreciation life (what a GPU-hour "costs"); cash
costs pay it when the hardware arrives (what break-even compares). Both cover the same
horizon; categories always add up to the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class OptionCost:
    """The priced result of one scenario price option."""

    name: str
    sheet: str
    purchase: str
    months: int
    categories: dict[str, np.ndarray] = field(default_factory=dict)
    """accrued USD per month, by category"""
    cash: np.ndarray | None = None
    """cash paid per month; None: same as the accrued total (rented capacity)"""
    variable_usd: float = 0.0
    """part of the total that grows in proportion to GPU-hours used (the rest is fixed)"""
    delivered_gpu_hours: float = 0.0
    goodput_gpu_hours: float = 0.0
    capacity_gpu_hours: float = 0.0
    """GPU-hours of the owned or reserved fleet (0 for pay-per-use options)"""
    energy_kwh: float = 0.0
    carbon_kg: float = 0.0
    training_runs: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    burst_jobs: int = 0

    def add(self, category: str, usd_by_month: np.ndarray, *, variable: bool = False) -> None:
        """Book an accrued cost series under `category`."""
        usd = np.asarray(usd_by_month, dtype=float)
        if usd.shape != (self.months,):
            raise ValueError(f"{category}: expected {self.months} months, got {usd.shape}")
        self.categories[category] = self.categories.get(category, np.zeros(self.months)) + usd
        if variable:
            self.variable_usd += float(usd.sum())

    @property
    def monthly_usd(self) -> np.ndarray:
        """Accrued USD per month, all categories."""
        total = np.zeros(self.months)
        for usd in self.categories.values():
            total += usd
        return total

    @property
    def total_usd(self) -> float:
        """Accrued USD over the horizon."""
        return float(self.monthly_usd.sum())

    @property
    def cash_usd(self) -> np.ndarray:
        """Cash USD per month."""
        return self.monthly_usd if self.cash is None else self.cash

    def per(self, units: float) -> float | None:
        """Total USD per unit (None when there are no units)."""
        return self.total_usd / units if units > 0 else None

    def monthly_frame(self) -> pd.DataFrame:
        """Rows (option, month, category, usd); categories that are zero throughout left out."""
        rows = [
            (self.name, m + 1, category, float(usd[m]))
            for category, usd in self.categories.items()
            if np.any(usd != 0)
            for m in range(self.months)
        ]
        frame = pd.DataFrame(rows, columns=["option", "month", "category", "usd"])
        # typed even when empty (an option that cost nothing), so stacking options' frames
        # gives the same column types whichever pandas builds them
        return frame.astype({"option": str, "month": "int64", "category": str, "usd": "float64"})

    def cumulative_frame(self) -> pd.DataFrame:
        """Rows (option, month, cumulative_usd (cash), accrued_usd (cumulative accrued))."""
        return pd.DataFrame(
            {
                "option": self.name,
                "month": np.arange(1, self.months + 1),
                "cumulative_usd": np.cumsum(self.cash_usd),
                "accrued_usd": np.cumsum(self.monthly_usd),
            }
        )
