"""Electricity and carbon of the on-prem cluster, from the simulated IT energy.

Facility energy = simulated IT energy x the facility's PUE. Electricity is priced per hour:
flat at the facility's $/kWh, or by hour of the day when `pricing.time_of_use_usd_per_kwh`
gives 24 rates (simulated time 0 is midnight). Carbon uses the facility's grid intensity, or
an hourly trace (`pricing.carbon_trace_path`, CSV `hour,g_per_kwh`, hours from the start,
repeated when the run is longer). Hours are booked to the month they start in; months past the
simulation are filled at the simulated average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.economics.months import HOUR_S, MONTH_S
from simulator.economics.site import SiteFigures
from simulator.economics.usage import Usage
from simulator.errors import InputError, Problem
from simulator.scenario import LoadedScenario


@dataclass
class EnergyCost:
    """Facility energy, its price and its carbon, per month of the cost horizon."""

    facility_kwh: np.ndarray
    electricity_usd: np.ndarray
    carbon_kg: np.ndarray
    mean_usd_per_kwh: float
    mean_g_per_kwh: float


def read_carbon_trace(loaded: LoadedScenario) -> np.ndarray | None:
    """Hourly grid intensity (g/kWh) from the scenario's trace, or None when there is none."""
    relative = loaded.scenario.pricing.carbon_trace_path
    if relative is None:
        return None
    path = loaded.resolve_path(relative)
    where = "pricing.carbon_trace_path"
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), where, f"cannot read CSV: {exc}")]) from None
    if list(frame.columns[:2]) != ["hour", "g_per_kwh"] or frame.empty:
        raise InputError([Problem(str(path), where, "expected columns hour,g_per_kwh")])
    values = pd.to_numeric(frame.sort_values("hour")["g_per_kwh"], errors="coerce").to_numpy()
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise InputError([Problem(str(path), where, "g_per_kwh must be numbers >= 0")])
    return values


def _by_month(usage: Usage, hourly: np.ndarray) -> np.ndarray:
    cal = usage.calendar
    month_of_hour = (np.arange(len(hourly)) * HOUR_S // MONTH_S).astype(int)
    # hours past a horizon shorter than the run (project mode) are not the horizon's
    keep = (month_of_hour < cal.months) & (np.arange(len(hourly)) * HOUR_S < cal.horizon_s)
    simulated = np.bincount(month_of_hour[keep], weights=hourly[keep], minlength=cal.months)
    return cal.extend(simulated[: cal.months])


def energy_cost(
    loaded: LoadedScenario, usage: Usage, site: SiteFigures, trace: np.ndarray | None
) -> EnergyCost:
    """Price and carbon of the cluster's simulated energy over the cost horizon."""
    kwh = usage.it_kwh_by_hour * site.pue
    hours = np.arange(len(kwh))
    rates = loaded.scenario.pricing.time_of_use_usd_per_kwh
    price = (
        np.asarray(rates)[hours % 24]
        if rates is not None
        else np.full(len(kwh), site.electricity_usd_per_kwh)
    )
    grid = (
        trace[hours % len(trace)] if trace is not None else np.full(len(kwh), site.carbon_g_per_kwh)
    )
    total_kwh = float(kwh.sum())
    return EnergyCost(
        facility_kwh=_by_month(usage, kwh),
        electricity_usd=_by_month(usage, kwh * price),
        carbon_kg=_by_month(usage, kwh * grid / 1000.0),
        mean_usd_per_kwh=float((kwh * price).sum() / total_kwh)
        if total_kwh
        else float(price.mean()),
        mean_g_per_kwh=float((kwh * grid).sum() / total_kwh) if total_kwh else float(grid.mean()),
    )
