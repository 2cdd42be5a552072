"""Owning: capital spread over its life, plus what it takes to run it.

Capital, per cohort of nodes (initial pools at time 0, build-out steps when they arrive):
servers (the node profile's `purchase_price_usd` when it has one, so scenario overrides reach
it; else the sheet's servers lines), fabric, storage (scenario tier capacities, once),
facility, spares (`spares_fraction` of the servers) and other lines. Each is depreciated
straight-line over `depreciation_years` from the day it enters service, with an optional
capital charge: `cost_of_capital_per_year` x the undepreciated (book) value.

Facility, chosen by the purchase kind so nothing is counted twice: `owned` builds the hall
(the sheet's `kw_it` lines, or the facility's `build_out_usd_per_kw` when the sheet has none);
`colocation` rents it per kW of provisioned IT power (nodes' nameplate maximum) at the
facility's `colocation_usd_per_kw_month` and ignores every per-kW build-out figure.

Running costs: electricity (simulated facility energy x price, see `energy`), maintenance (a
share of capital in service per year), operations staff (GPUs in service / GPUs per engineer,
fractional), and colocation.

Bases: accrued = depreciation + capital charge + running costs; cash = capital in the month
the nodes arrive + running costs. Residual value: the servers and spares of each cohort at
the sheet's resale curve for their age at the horizon's end (`OnPremPricing.resale_fraction`;
straight-line book value when the sheet has no curve); fabric, storage, facility and other
lines are counted as worth nothing at resale.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.economics.energy import EnergyCost
from simulator.economics.fleet import Cohort, capacity_gpu_hours, cohorts, node_idle_w
from simulator.economics.ledger import OptionCost
from simulator.economics.months import HOUR_S, MONTH_S, Calendar
from simulator.economics.usage import Usage
from simulator.errors import InputError, Problem
from simulator.scenario import LoadedScenario
from simulator.schema.pricing import OnPremPricing
from simulator.schema.scenario import PriceOption

YEAR_S = 12 * MONTH_S
CAPEX_CATEGORIES = ("servers", "fabric", "storage", "facility", "spares", "other")


def storage_tb(loaded: LoadedScenario) -> float:
    """Shared storage capacity the cluster owns (local NVMe comes with the nodes)."""
    total = 0.0
    for tier in loaded.world.storage:
        if tier.profile.tier != "local_nvme":
            total += tier.capacity_tb or tier.profile.capacity_tb
    return total


def cohort_capex(
    loaded: LoadedScenario,
    sheet: OnPremPricing,
    c: Cohort,
    first: bool,
    where: str,
    notes: list[str],
    colocated: bool = False,
) -> dict[str, float]:
    """Capital of one cohort, by category (`colocated`: the hall is rented, not built)."""
    facility = loaded.world.facility
    units = {
        "node": c.nodes,
        "gpu": c.gpus,
        "rack": loaded.world.racks.racks(c.nodes),  # the engine's layout, not a rule of its own
        "switch_port": c.compute_ports,
        "kw_it": 0.0 if colocated else c.it_kw,
        "tb_storage": storage_tb(loaded) if first else 0.0,
        "cluster": 1 if first else 0,
    }
    out = dict.fromkeys(CAPEX_CATEGORIES, 0.0)
    node_price = c.node.purchase_price_usd
    server_lines = [x for x in sheet.capex if x.cost_category == "servers"]
    if node_price is None and not server_lines:
        raise InputError(
            [
                Problem(
                    str(loaded.path),
                    f"{where}.sheet",
                    f"no server price: node {c.node.id!r} has no purchase_price_usd and the "
                    "sheet has no servers capex line",
                )
            ]
        )
    for line in sheet.capex:
        category = line.cost_category
        if category == "servers" and node_price is not None:
            continue
        out[category] += line.usd * units[line.per]
    if node_price is not None:
        out["servers"] += node_price * c.nodes
    if not colocated and not any(x.per == "kw_it" for x in sheet.capex):
        if facility.build_out_usd_per_kw is not None:
            out["facility"] += facility.build_out_usd_per_kw * c.it_kw
        elif first:
            notes.append(f"facility {facility.id} has no build-out price: the hall costs nothing")
    out["spares"] = sheet.spares_fraction * out["servers"]
    return out


def depreciation(cal: Calendar, usd: float, start_s: float, life_s: float) -> np.ndarray:
    """Straight-line depreciation of `usd` per month."""
    return usd * cal.overlap_s(start_s, start_s + life_s) / life_s


def capital_charge(
    cal: Calendar, usd: float, start_s: float, life_s: float, rate_per_year: float
) -> np.ndarray:
    """Cost of capital per month: rate x book value, integrated over each month."""
    if rate_per_year <= 0 or usd <= 0:
        return np.zeros(cal.months)
    a = np.clip(cal.edges[:-1], start_s, start_s + life_s) - start_s
    b = np.clip(cal.edges[1:], start_s, start_s + life_s) - start_s
    book_s = (b - a) - (b**2 - a**2) / (2.0 * life_s)
    return usd * rate_per_year * book_s / YEAR_S


def colocation_usd_per_kw_month(loaded: LoadedScenario, where: str) -> float:
    """The facility's hall rent per kW-month (InputError when it charges none)."""
    facility = loaded.world.facility
    if facility.colocation_usd_per_kw_month is None:
        raise InputError(
            [
                Problem(
                    str(loaded.path),
                    f"{where}.purchase",
                    f"colocation rents the hall, but facility {facility.id!r} has no "
                    "colocation_usd_per_kw_month (use purchase: owned to build it)",
                )
            ]
        )
    return facility.colocation_usd_per_kw_month


def price_onprem(
    loaded: LoadedScenario,
    option: PriceOption,
    where: str,
    usage: Usage,
    energy: EnergyCost,
    *,
    colocated: bool = False,
) -> OptionCost:
    """All costs of owning the simulated fleet over the cost horizon, on both bases;
    `colocated`: the hall is rented per kW-month instead of built."""
    cal = usage.calendar
    sheet: OnPremPricing = loaded.world.price_sheets[option.sheet].onprem  # type: ignore[assignment]
    cost = OptionCost(option.name, option.sheet, option.purchase, cal.months)
    cost.month_days = cal.month_s() / 86400.0
    rent = colocation_usd_per_kw_month(loaded, where) if colocated else None
    cost.billing = (
        f"bought outright; hall rented at ${rent:,.2f} per kW-month"
        if rent is not None
        else "bought outright; hall built"
    )
    life_s = sheet.depreciation_years * YEAR_S
    capex_cash = np.zeros(cal.months)
    capital = np.zeros(cal.months)
    maintenance = np.zeros(cal.months)
    fleet = cohorts(loaded)
    for i, c in enumerate(fleet):
        capex = cohort_capex(loaded, sheet, c, i == 0, where, cost.notes, colocated)
        total = sum(capex.values())
        for category, usd in capex.items():
            cost.add(category, depreciation(cal, usd, c.start_s, life_s))
        capital += capital_charge(cal, total, c.start_s, life_s, sheet.cost_of_capital_per_year)
        in_service_years = cal.overlap_s(c.start_s, math.inf) / YEAR_S
        maintenance += total * sheet.maintenance_fraction_of_capex_per_year * in_service_years
        month = int(c.start_s // MONTH_S)
        if c.start_s < cal.horizon_s and month < cal.months:
            capex_cash[month] += total
            age_years = (cal.horizon_s - c.start_s) / YEAR_S
            resale = sheet.resale_fraction(age_years)
            cost.residual_value_usd += (capex["servers"] + capex["spares"]) * resale
    cost.add("cost_of_capital", capital)
    cost.add("maintenance", maintenance)
    gpu_hours = capacity_gpu_hours(cal, fleet)
    cost.add("staff", gpu_hours / sheet.gpus_per_staff * sheet.staff_usd_per_year * HOUR_S / YEAR_S)
    if rent is not None:
        kw_months = np.zeros(cal.months)
        for c in fleet:
            kw_months += c.it_kw * cal.overlap_s(c.start_s, math.inf) / MONTH_S
        cost.add("colocation", rent * kw_months)
    cost.add("electricity", energy.electricity_usd)
    pue = energy.facility_kwh.sum() / max(usage.it_kwh_by_month.sum(), 1e-12)
    idle_kwh = (
        sum(
            c.nodes * node_idle_w(loaded, c.pool) / 1000.0 * cal.overlap_s(c.start_s, math.inf)
            for c in fleet
        )
        / HOUR_S
        * pue
    )
    cost.variable_usd += max(
        0.0, float(energy.electricity_usd.sum()) - float(idle_kwh.sum()) * energy.mean_usd_per_kwh
    )
    cost.add_cash("capital", capex_cash)
    cost.not_cash(*CAPEX_CATEGORIES, "cost_of_capital")
    cost.capacity_gpu_hours = float(gpu_hours.sum())
    cost.delivered_gpu_hours = usage.delivered_gpu_hours()
    cost.goodput_gpu_hours = usage.goodput_gpu_hours()
    cost.energy_kwh = float(energy.facility_kwh.sum())
    cost.carbon_kg = float(energy.carbon_kg.sum())
    residual = "resale curve" if sheet.resale_value_fraction_by_year else "straight-line book value"
    cost.notes.append(f"residual value: servers and spares at the sheet's {residual}")
    return cost
