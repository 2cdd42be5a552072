"""One option's costs on both bases: accrued per category per month, cash per month, and the
figures cost-per-unit outputs divide by.

- **Accrued** (`categories`, `accrued_usd`): what the horizon consumed. Capital is spread over
  its depreciation life (plus a capital charge), commitments over their term, running costs
  as incurred; categories always add up to the accrued total.
- **Cash** (`cash_categories`, `cash_usd`): what is paid, and when. Capital in the month the
  hardware arrives, running costs monthly, a commitment (reserved term, capacity block) for
  its whole term: months of a term past the horizon are still owed, booked in the horizon's
  last month. Cash categories are the accrued ones paid as accrued, without those that are
  not (`accrued_only`: depreciation, capital charge), plus cash-only ones (`cash_only`:
  capital, a term past the horizon). `unused_commitment_usd` is the committed cash the
  workload did not use.
- `residual_value_usd`: what owned hardware would sell for at the horizon's end;
  `net_cash_usd` is cash less it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.schema.cost_summary import CostBasis


@dataclass
class OptionCost:
    """The priced result of one scenario price option."""

    name: str
    sheet: str
    purchase: str
    months: int
    billing: str = ""
    """how the provider bills it, in words ("per instance-second, 60 s minimum")"""
    month_days: np.ndarray | None = None
    """length of each month bucket in days (the last may be partial); None: 30.44 each"""
    categories: dict[str, np.ndarray] = field(default_factory=dict)
    """accrued USD per month, by category"""
    cash_only: dict[str, np.ndarray] = field(default_factory=dict)
    """cash paid per month that is not accrued as such, by category (capital on arrival, the
    months of a commitment past the horizon)"""
    accrued_only: set[str] = field(default_factory=set)
    """accrued categories that are not paid as such (depreciation, capital charge)"""
    residual_value_usd: float = 0.0
    """resale value of owned hardware at the horizon's end"""
    unused_commitment_usd: float = 0.0
    """committed cash (whole terms) that the workload did not use"""
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

    def add_cash(self, category: str, usd_by_month: np.ndarray) -> None:
        """Book cash paid per month that is not an accrued cost as such (capital paid on
        arrival, a commitment's months past the horizon)."""
        usd = np.asarray(usd_by_month, dtype=float)
        if usd.shape != (self.months,):
            raise ValueError(f"{category}: expected {self.months} months, got {usd.shape}")
        self.cash_only[category] = self.cash_only.get(category, np.zeros(self.months)) + usd

    def not_cash(self, *categories: str) -> None:
        """Mark accrued categories that are not paid as such (depreciation, capital charge)."""
        self.accrued_only.update(categories)

    def cash_categories(self) -> dict[str, np.ndarray]:
        """Cash USD per month by category: accrued categories that are paid as accrued, plus
        the cash-only ones."""
        out = {k: v for k, v in self.categories.items() if k not in self.accrued_only}
        for k, v in self.cash_only.items():
            out[k] = out.get(k, np.zeros(self.months)) + v
        return out

    @property
    def monthly_usd(self) -> np.ndarray:
        """Accrued USD per month, all categories."""
        total = np.zeros(self.months)
        for usd in self.categories.values():
            total += usd
        return total

    @property
    def accrued_usd(self) -> float:
        """Accrued USD over the horizon."""
        return float(self.monthly_usd.sum())

    @property
    def total_usd(self) -> float:
        """Accrued USD over the horizon (the name of version 1; prefer `accrued_usd`)."""
        return self.accrued_usd

    @property
    def cash_by_month(self) -> np.ndarray:
        """Cash USD per month."""
        total = np.zeros(self.months)
        for usd in self.cash_categories().values():
            total += usd
        return total

    @property
    def cash_usd(self) -> float:
        """Cash USD over the horizon (commitments in full)."""
        return float(self.cash_by_month.sum())

    @property
    def net_cash_usd(self) -> float:
        """Cash less the resale value of what is owned at the end."""
        return self.cash_usd - self.residual_value_usd

    def series(self, basis: CostBasis) -> np.ndarray:
        """USD per month on `basis`."""
        return self.cash_by_month if basis == "cash" else self.monthly_usd

    def total(self, basis: CostBasis) -> float:
        """USD over the horizon on `basis`."""
        return float(self.series(basis).sum())

    def per(self, units: float, basis: CostBasis = "accrued") -> float | None:
        """Total USD on `basis` per unit (None when there are no units)."""
        return self.total(basis) / units if units > 0 else None

    def days(self) -> np.ndarray:
        """Length of each month bucket in days."""
        if self.month_days is not None:
            return np.asarray(self.month_days, dtype=float)
        return np.full(self.months, 365.25 / 12.0)

    @property
    def horizon_months(self) -> float:
        """The option's cost horizon in average months (its own span in project mode)."""
        return float(self.days().sum()) / (365.25 / 12.0)

    def monthly_frame(self) -> pd.DataFrame:
        """Rows (option, month, days, basis, category, usd), on both bases; categories that
        are zero throughout left out. On each basis categories add up to its total."""
        days = self.days()
        rows = [
            (self.name, m + 1, float(days[m]), basis, category, float(usd[m]))
            for basis, by_category in (
                ("accrued", self.categories),
                ("cash", self.cash_categories()),
            )
            for category, usd in by_category.items()
            if np.any(usd != 0)
            for m in range(self.months)
        ]
        frame = pd.DataFrame(rows, columns=["option", "month", "days", "basis", "category", "usd"])
        # typed even when empty (an option that cost nothing), so stacking options' frames
        # gives the same column types whichever pandas builds them
        return frame.astype(
            {
                "option": str,
                "month": "int64",
                "days": "float64",
                "basis": str,
                "category": str,
                "usd": "float64",
            }
        )

    def cumulative_frame(self) -> pd.DataFrame:
        """Rows (option, month, days, cumulative_cash_usd, cumulative_accrued_usd)."""
        return pd.DataFrame(
            {
                "option": self.name,
                "month": np.arange(1, self.months + 1),
                "days": self.days(),
                "cumulative_cash_usd": np.cumsum(self.cash_by_month),
                "cumulative_accrued_usd": np.cumsum(self.monthly_usd),
            }
        )
