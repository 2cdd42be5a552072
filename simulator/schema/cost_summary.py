"""CostSummary: the priced options of a run (`summary["costs"]`, `cost compare --json`).

Every money figure names its basis:

- **cash**: what is paid, when. Capital when the hardware arrives, running costs monthly,
  commitments (reserved terms, capacity blocks) for their whole term even when the horizon
  is shorter; the part of a commitment the horizon does not use is `unused_commitment_usd`.
- **accrued**: what the horizon consumed. Capital depreciated over its life (plus a capital
  charge), commitments amortised over their term, running costs as incurred.

`net_cash_usd` is cash less the resale value of owned hardware at the horizon's end.

Version 2 of this block (`schema_version`). Version 1 keyed `options` by name with one
`total_usd` (accrued), a single `cheapest` name and `break_even_month`/`beat_utilization`
mappings; such blocks (older `summary.json` files) are migrated on read, see `_from_v1`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from simulator.schema.summary_base import Figure, SummaryModel

CostBasis = Literal["cash", "accrued"]
"""cash: paid when due, commitments in full; accrued: depreciated and amortised"""

COST_SCHEMA_VERSION = 2

V1_FIGURE_NAMES = {
    "total_usd": "cost_accrued_usd",
    "usd_per_gpu_hour": "usd_per_gpu_hour_accrued",
    "usd_per_goodput_gpu_hour": "usd_per_goodput_gpu_hour_accrued",
    "by_category_usd": "by_category_accrued_usd",
}
"""Version-1 figure names under an option -> the version-2 figure they meant (version 1's
totals were accrued): sweep specs that name `costs.options.NAME.total_usd` keep resolving."""


class CostOptionSummary(SummaryModel):
    """One price option's figures on both bases (an entry of `summary["costs"]["options"]`)."""

    name: str
    sheet: str
    purchase: str
    billing: str = Field(description="how the provider bills it, in words")
    cost_cash_usd: float
    cost_accrued_usd: float
    residual_value_usd: float = Field(description="owned hardware's resale value at the end")
    net_cash_usd: float = Field(description="cost_cash_usd - residual_value_usd")
    unused_commitment_usd: float = Field(description="committed cash the horizon did not use")
    usd_per_gpu_hour_cash: Figure
    usd_per_gpu_hour_accrued: Figure
    usd_per_goodput_gpu_hour_cash: Figure
    usd_per_goodput_gpu_hour_accrued: Figure
    delivered_gpu_hours: float
    goodput_gpu_hours: float
    energy_mwh: float
    carbon_t: float
    by_category_accrued_usd: dict[str, float]
    training_runs_usd: dict[str, float] = Field(description="accrued cost of each training run")
    usd_per_million_output_tokens: dict[str, Figure] = Field(
        description="per inference service, accrued"
    )
    burst_jobs: int
    notes: list[str]


class BreakEven(SummaryModel):
    """When and at what use an owned option beats a rented one, on one basis."""

    owned: str
    rented: str
    basis: CostBasis
    month: int | None = Field(
        description="first month cumulative owned cost <= cumulative rented cost on this basis"
    )
    beat_utilization: Figure = Field(description="owning wins above this utilization")


class Cheapest(SummaryModel):
    """The cheapest option on each basis."""

    cash: str
    accrued: str
    net_cash: str


class CapacitySummary(SummaryModel):
    """When the owned fleet stops meeting the scenario's wait and SLO limits."""

    max_p95_wait_hours: Figure
    breaks_at_month: int | None
    min_slo_attainment: Figure
    slo_breaks_at_month: int | None


class CostSummary(SummaryModel):
    """The priced options of a run, when the scenario lists any."""

    schema_version: int = COST_SCHEMA_VERSION
    mode: Literal["horizon", "project"] = Field(
        default="horizon",
        description="horizon: a standing cluster over the cost horizon; project: the cost "
        "to finish the training job(s) once, each option over its own time to finish",
    )
    horizon_months: float
    simulated_months: float
    options: list[CostOptionSummary]
    cheapest: Cheapest
    break_even: list[BreakEven] = Field(description="every owned x rented pair, per basis")
    capacity: CapacitySummary
    notes: list[str]

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("options"), dict):
            return _from_v1(data)
        return data

    def option(self, name: str) -> CostOptionSummary:
        """The option called `name` (KeyError when there is none)."""
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(name)


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 block in version-2 form.

    Version 1 recorded one total per option, on the accrued basis, so both bases carry it and
    a note says so; residual value and unused commitments were not recorded (0). Its
    break-even month was on the cash basis; its utilization verdict came from accrued totals.
    """
    options = []
    for name, o in data["options"].items():
        total = o.get("total_usd", 0.0)
        per_h, per_good = o.get("usd_per_gpu_hour"), o.get("usd_per_goodput_gpu_hour")
        options.append(
            {
                "name": name,
                "sheet": o.get("sheet", ""),
                "purchase": o.get("purchase", ""),
                "billing": "",
                "cost_cash_usd": total,
                "cost_accrued_usd": total,
                "residual_value_usd": 0.0,
                "net_cash_usd": total,
                "unused_commitment_usd": 0.0,
                "usd_per_gpu_hour_cash": per_h,
                "usd_per_gpu_hour_accrued": per_h,
                "usd_per_goodput_gpu_hour_cash": per_good,
                "usd_per_goodput_gpu_hour_accrued": per_good,
                "delivered_gpu_hours": o.get("delivered_gpu_hours", 0.0),
                "goodput_gpu_hours": o.get("goodput_gpu_hours", 0.0),
                "energy_mwh": o.get("energy_mwh", 0.0),
                "carbon_t": o.get("carbon_t", 0.0),
                "by_category_accrued_usd": o.get("by_category_usd", {}),
                "training_runs_usd": o.get("training_runs_usd", {}),
                "usd_per_million_output_tokens": o.get("usd_per_million_output_tokens", {}),
                "burst_jobs": o.get("burst_jobs", 0),
                "notes": [*o.get("notes", []), "version-1 summary: one total, both bases"],
            }
        )
    months = data.get("break_even_month", {})
    beats = data.get("beat_utilization", {})
    break_even = [
        {
            "owned": owned,
            "rented": rented,
            "basis": "cash",
            "month": month,
            "beat_utilization": beats.get(owned, {}).get(rented),
        }
        for owned, against in months.items()
        for rented, month in against.items()
    ]
    cheapest = data.get("cheapest", "")
    return {
        "schema_version": COST_SCHEMA_VERSION,
        "mode": "horizon",
        "horizon_months": data.get("horizon_months", 0.0),
        "simulated_months": data.get("simulated_months", 0.0),
        "options": options,
        "cheapest": {"cash": cheapest, "accrued": cheapest, "net_cash": cheapest},
        "break_even": break_even,
        "capacity": data.get("capacity"),
        "notes": [*data.get("notes", []), "migrated from a version-1 cost summary"],
    }
