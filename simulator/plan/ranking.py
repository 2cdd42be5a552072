"""From simulated runs to plans: figures per (family, purchase option), the ranking, the misses.

A plan is one finalist family priced one way. Its time-to-train P50/P90 are over the seeds
with `training_answers.QUANTILE_METHOD` (an observed seed, never an interpolation; a seed that
did not finish counts as longer than all that did); its costs, energy, carbon, tokens/s and
goodput are means over the seeds. It meets the goal when its P90 time-to-train is within the
deadline and (with a budget) its mean cash cost within the budget. Plans are ranked cheapest
first on cash (ties: accrued cost, then P90, then name), those meeting the goal ahead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulator.plan.layout import layout_dict
from simulator.plan.scenarios import JOB
from simulator.plan.space import Family
from simulator.schema.goal import Goal
from simulator.training_answers import QUANTILE_METHOD


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept and len(kept) == len(values) else None


def seed_days(records: list[dict[str, Any]]) -> list[float]:
    """Time-to-train per seed in days (inf where a seed did not finish or was invalid)."""
    out = []
    for r in records:
        hours = r.get("figures", {}).get("time_to_train_h")
        out.append(hours / 24.0 if hours is not None else math.inf)
    return out


def quantiles(days: list[float]) -> tuple[float | None, float | None]:
    """P50 and P90 over the seeds (None where it lands on a seed that did not finish)."""
    p50, p90 = np.quantile(np.array(days), [0.5, 0.9], method=QUANTILE_METHOD)
    return (float(p50) if math.isfinite(p50) else None, float(p90) if math.isfinite(p90) else None)


def _plan(goal: Goal, fin: Any, choice: Any) -> dict[str, Any]:  # noqa: ANN401
    train = goal.train
    assert train is not None
    fam: Family = fin.family
    recs = fin.records
    figs = [r.get("figures", {}) for r in recs]
    opt = f"costs.options.{choice.name}."
    days = seed_days(recs)
    p50, p90 = quantiles(days)
    cash = _mean([f.get(opt + "cost_cash_usd") for f in figs])
    accrued = _mean([f.get(opt + "cost_accrued_usd") for f in figs])
    layout = fam.layout
    assert layout is not None
    plan: dict[str, Any] = {
        "name": f"{fam.label} {choice.name}",
        "node": fam.node,
        "gpu": fam.gpu,
        "nodes": fam.nodes,
        "spare_nodes": fin.spares,
        "num_gpus": fam.num_gpus,
        "layout": layout_dict(layout.execution),
        "layout_source": layout.source,
        "global_batch": layout.execution.global_batch,
        "step_time_s": layout.step_time_s,
        "memory_per_gpu_gib": layout.memory_per_gpu_gib,
        "tokens_per_s": _mean([f.get(f"training_jobs.{JOB}.tokens_per_s") for f in figs]),
        "goodput": _mean([f.get(f"training_jobs.{JOB}.goodput") for f in figs]),
        "time_to_train_days_p50": p50,
        "time_to_train_days_p90": p90,
        "time_to_train_days_seeds": [d if math.isfinite(d) else None for d in days],
        "p_miss_deadline": sum(1 for d in days if d > train.deadline) / len(days),
        "purchase": choice.purchase,
        "provider": choice.provider,
        "sheet": choice.sheet,
        "option": choice.name,
        "usd_per_gpu_hour": choice.usd_per_gpu_hour,
        "cost_cash_usd": cash,
        "cost_accrued_usd": accrued,
        "usd_per_million_tokens": cash / (train.tokens / 1e6) if cash is not None else None,
        "energy_mwh": _mean([f.get(opt + "energy_mwh") for f in figs]),
        "co2e_t": _mean([f.get(opt + "carbon_t") for f in figs]),
        "checkpoint_interval_min": _mean([f.get(f"checkpoint_interval_min.{JOB}") for f in figs]),
        "seeds": len(recs),
        "scenario": fin.scenario.name,
        "errors": sorted(
            {str(r["error"]).replace(f"{fin.scenario}: ", "") for r in recs if r.get("error")}
        ),
    }
    plan["miss_reason"] = miss_reason(goal, plan)
    plan["meets_goal"] = plan["miss_reason"] is None
    return plan


def miss_reason(goal: Goal, plan: dict[str, Any]) -> str | None:
    """Why a simulated plan misses the goal, in words with the margin, or None."""
    train = goal.train
    assert train is not None
    if plan["errors"]:
        return "invalid: " + "; ".join(plan["errors"])
    if plan["cost_cash_usd"] is None:
        return "not priced for a single project (see the run's cost notes)"
    p90 = plan["time_to_train_days_p90"]
    if p90 is None:
        return "does not finish within the simulated horizon"
    if p90 > train.deadline:
        return f"too slow by {p90 - train.deadline:,.1f} days (P90)"
    if train.budget_usd is not None and plan["cost_cash_usd"] > train.budget_usd:
        return f"over budget by ${plan['cost_cash_usd'] - train.budget_usd:,.0f}"
    return None


def _key(p: dict[str, Any]) -> tuple:
    inf = math.inf
    return (
        not p["meets_goal"],
        p["cost_cash_usd"] if p["cost_cash_usd"] is not None else inf,
        p["cost_accrued_usd"] if p["cost_accrued_usd"] is not None else inf,
        p["time_to_train_days_p90"] if p["time_to_train_days_p90"] is not None else inf,
        p["name"],
    )


def rank_plans(goal: Goal, fins: list[Any]) -> list[dict[str, Any]]:
    """Every finalist x purchase option as a plan, ranked (see the module docstring)."""
    plans = [_plan(goal, f, c) for f in fins for c in f.family.purchases]
    plans.sort(key=_key)
    for rank, p in enumerate(plans, start=1):
        p["rank"] = rank
    return plans


def rejected_families(
    goal: Goal, families: list[Family], plans: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Nearest misses: each node type's pruned families nearest the goal, and missed plans."""
    out = []
    by_node: dict[str, list[Family]] = {}
    for fam in families:
        if fam.reason is not None:
            by_node.setdefault(fam.node, []).append(fam)
    for node, fams in sorted(by_node.items()):
        kinds: dict[str, Family] = {}
        for fam in fams:  # the nearest of each reason kind: largest that does not fit, ...
            kind = fam.reason.split(" ")[0] if fam.reason else ""
            best = kinds.get(kind)
            if best is None or _nearer(fam, best):
                kinds[kind] = fam
        for fam in sorted(kinds.values(), key=lambda f: f.nodes):
            out.append(
                {
                    "node": node,
                    "gpu": fam.gpu,
                    "nodes": fam.nodes,
                    "num_gpus": fam.num_gpus,
                    "purchase": None,
                    "stage": "analytic",
                    "reason": fam.reason,
                    "time_to_train_days_floor": (
                        fam.floor_days if math.isfinite(fam.floor_days) else None
                    ),
                }
            )
    sheets_out: dict[tuple[str, str], str] = {}
    for fam in families:
        for sheet, why in fam.unpriced:
            sheets_out.setdefault((fam.node, sheet), why)
    for (node, sheet), why in sorted(sheets_out.items()):
        out.append(
            {
                "node": node,
                "sheet": sheet,
                "purchase": None,
                "stage": "priced",
                "reason": f"cannot be priced: {why}",
            }
        )
    for p in plans:
        if not p["meets_goal"]:
            out.append(
                {
                    "node": p["node"],
                    "gpu": p["gpu"],
                    "nodes": p["nodes"],
                    "num_gpus": p["num_gpus"],
                    "purchase": p["purchase"],
                    "option": p["option"],
                    "stage": "simulated",
                    "reason": p["miss_reason"],
                    "time_to_train_days_p90": p["time_to_train_days_p90"],
                    "cost_cash_usd": p["cost_cash_usd"],
                }
            )
    return out


def _nearer(a: Family, b: Family) -> bool:
    """For misses of one kind: the one closer to meeting the goal."""
    if "over_days" in a.detail or "over_days" in b.detail:
        return a.detail.get("over_days", math.inf) < b.detail.get("over_days", math.inf)
    if "over_usd" in a.detail or "over_usd" in b.detail:
        return a.detail.get("over_usd", math.inf) < b.detail.get("over_usd", math.inf)
    return a.nodes > b.nodes  # does not fit: the largest that still does not


def nearest(
    goal: Goal, plans: list[dict[str, Any]], families: list[Family]
) -> tuple[str, dict[str, dict[str, Any] | None]]:
    """Which constraint bound when nothing meets the goal, and the fastest and cheapest plans."""
    train = goal.train
    assert train is not None
    timed = [p for p in plans if p["time_to_train_days_p90"] is not None]
    priced = [p for p in plans if p["cost_cash_usd"] is not None]
    fastest = min(timed, key=lambda p: (p["time_to_train_days_p90"], p["name"]), default=None)
    cheapest = min(priced, key=lambda p: (p["cost_cash_usd"], p["name"]), default=None)
    if fastest is None:  # nothing simulated: the fastest family by its analytic floor
        sized = [f for f in families if math.isfinite(f.floor_days)]
        quick = min(sized, key=lambda f: (f.floor_days, f.node, f.nodes), default=None)
        if quick is not None:
            fastest = {
                "name": quick.label,
                "node": quick.node,
                "num_gpus": quick.num_gpus,
                "time_to_train_days_floor": quick.floor_days,
                "time_to_train_days_p90": None,
                "cost_cash_usd": None,
                "miss_reason": quick.reason,
            }
    on_time = [p for p in timed if p["time_to_train_days_p90"] <= train.deadline]
    reasons = [f.reason or "" for f in families]
    budget_cut = any(r.startswith("over budget") for r in reasons)
    slow_cut = any(r.startswith("too slow") for r in reasons)
    if (on_time and train.budget_usd is not None) or (budget_cut and not slow_cut):
        bound = "budget"
    elif not plans and all(r.startswith("does not fit") for r in reasons):
        bound = "memory"
    else:
        bound = "deadline"
    return bound, {"fastest": fastest, "cheapest": cheapest}
