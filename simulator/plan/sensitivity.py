"""How the top plans move when the assumptions move: the uncertainty seeds do not cover.

Each perturbation is applied to the top plans (up to `TOP`) and the plan re-evaluated on the
first seed, against the same seed's unperturbed run (common random numbers, so the change is
the perturbation's, not luck's):

- failure rate x0.5 and x2: `--set policies.failures.rate_multiplier=...` (simulated);
- checkpoint write bandwidth x0.5: the storage override's write bandwidths halved with `--set`
  (simulated; the scenario carries them for this, `plan.scenarios`);
- price +-20%: every price on the sheet scaled, so the project's cash cost scales by the same
  factor and its time does not (analytic; no scenario field scales a whole sheet);
- achieved efficiency +-10%: compute time scales by 1/(1 +- 0.1), the rest of the time
  (checkpoints, restarts, lost work, waits) does not, and cost scales with the time the
  capacity is held (analytic: the GPU profile's efficiency table is no single `--set` field).

For each perturbation the table says whether the ranking of the top plans (by cash cost,
plans still meeting the deadline first) changes.
"""

from __future__ import annotations

from typing import Any

from simulator.plan.runs import task
from simulator.plan.scenarios import CHECKPOINT_WRITE_FIELDS, JOB
from simulator.schema.goal import Goal

TOP = 3

SIMULATED = {
    "failure rate x0.5": ("policies.failures.rate_multiplier=0.5",),
    "failure rate x2": ("policies.failures.rate_multiplier=2",),
}
PRICE = {"price +20%": 1.2, "price -20%": 0.8}
EFFICIENCY = {"efficiency +10%": 1.1, "efficiency -10%": 0.9}


def _checkpoint_settings(catalog: Any, goal: Goal) -> tuple[str, ...]:  # noqa: ANN401
    storage = catalog.storage(goal.options.storage)
    return tuple(
        f"cluster.storage[0].profile.overrides.{f}={getattr(storage, f) * 0.5!r}"
        for f in CHECKPOINT_WRITE_FIELDS
    )


def _figures(record: dict[str, Any], option: str) -> tuple[float | None, float | None]:
    f = record.get("figures", {})
    hours = f.get("time_to_train_h")
    return (
        hours / 24.0 if hours is not None else None,
        f.get(f"costs.options.{option}.cost_cash_usd"),
    )


def sensitivity(
    goal: Goal,
    fins: list[Any],
    plans: list[dict[str, Any]],
    runner: Any,  # noqa: ANN401  (planner.Runner)
    dirs: tuple[str, ...],
    catalog: Any,  # noqa: ANN401
) -> list[dict[str, Any]]:
    """One row per (top plan, perturbation); see the module docstring."""
    train = goal.train
    assert train is not None
    top = [p for p in plans if p["meets_goal"]][:TOP] or plans[:TOP]
    if not top:
        return []
    by_scenario = {f.scenario.name: f for f in fins}
    seed = goal.options.seed
    cases = dict(SIMULATED)
    cases["checkpoint bandwidth x0.5"] = _checkpoint_settings(catalog, goal)
    wanted = {(p["scenario"], name) for p in top for name in cases}
    tasks, index = [], {}
    for scen, name in sorted(wanted):
        index[(scen, name)] = len(tasks)
        tasks.append(task(by_scenario[scen], seed, 0, cases[name], dirs))
    records = runner.run(tasks)
    rows = []
    for p in top:
        fin = by_scenario[p["scenario"]]
        base = fin.records[0]
        base_days, base_usd = _figures(base, p["option"])
        computing_h = base.get("figures", {}).get(f"training_jobs.{JOB}.time_breakdown_h.computing")
        for name in cases:
            days, usd = _figures(records[index[(p["scenario"], name)]], p["option"])
            rows.append(_row(p, name, "simulated", base_days, base_usd, days, usd))
        for name, factor in PRICE.items():
            usd = base_usd * factor if base_usd is not None else None
            rows.append(_row(p, name, "analytic", base_days, base_usd, base_days, usd))
        for name, factor in EFFICIENCY.items():
            days = usd = None
            if base_days is not None and computing_h is not None:
                days = base_days - computing_h / 24.0 + computing_h / 24.0 / factor
                usd = base_usd * days / base_days if base_usd is not None else None
            rows.append(_row(p, name, "analytic", base_days, base_usd, days, usd))
    _ranking_changes(rows, top, train.deadline)
    return rows


def _row(plan, name, how, base_days, base_usd, days, usd) -> dict[str, Any]:  # noqa: ANN001
    return {
        "plan": plan["name"],
        "rank": plan["rank"],
        "perturbation": name,
        "how": how,
        "time_to_train_days": days,
        "time_to_train_days_base": base_days,
        "delta_days": days - base_days if days is not None and base_days is not None else None,
        "cost_cash_usd": usd,
        "cost_cash_usd_base": base_usd,
        "delta_usd": usd - base_usd if usd is not None and base_usd is not None else None,
    }


def _ranking_changes(
    rows: list[dict[str, Any]], top: list[dict[str, Any]], deadline: float
) -> None:
    """Mark each row with whether its perturbation reorders the top plans."""
    order = [p["name"] for p in top]
    for name in {r["perturbation"] for r in rows}:
        mine = [r for r in rows if r["perturbation"] == name]

        def key(r: dict[str, Any]) -> tuple:
            days, usd = r["time_to_train_days"], r["cost_cash_usd"]
            late = days is None or days > deadline
            return (late, usd if usd is not None else float("inf"), order.index(r["plan"]))

        new = [r["plan"] for r in sorted(mine, key=key)]
        for r in mine:
            r["ranking_changes"] = new != order
