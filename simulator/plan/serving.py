"""Serving goals: the fewest replicas of each (node type, tensor-parallel degree) that keep the
SLO, then the cheapest way to pay for them over the horizon.

The space is node type x tp (1, 2, 4, 8 within a node) x replica count x purchase option. A
(node, tp) family climbs the replica ladder (`LADDER`) one simulated step at a time, all
families in parallel, on the first seed: a replica that does not fit in memory is refused by the
scenario's own checks (the family is cut with that message), and the first count whose latency
percentiles meet the SLO settles it. The settled families cheapest at their fewest replicas
(GPUs x the cheapest per-use price) are the finalists, rerun with every seed; each is priced
every way over the horizon (the simulated window read as recurring, `pricing.horizon_months`),
and a plan meets the goal when every seed's percentile latencies meet the targets (and its mean
cash cost per month is within the budget). Failures are off: a serving window is minutes.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.catalog import Catalog
from simulator.plan.runs import Finalist, Runner, task
from simulator.plan.scenarios import write_scenario
from simulator.plan.space import PurchaseChoice, candidate_nodes, purchase_choices
from simulator.schema.goal import Goal, LengthDistribution

SERVICE = "serve"
TP_CHOICES = (1, 2, 4, 8)
LADDER = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)


@dataclass
class ServeFamily:
    """One (node type, tp): its replica count once settled, or why it was cut."""

    node: str
    gpu: str
    gpus_per_node: int
    tp: int
    purchases: list[PurchaseChoice]
    step: int = 0
    replicas: int | None = None
    reason: str | None = None
    last: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.node} tp{self.tp}"

    @property
    def nodes(self) -> int:
        return self.nodes_for(self.replicas or LADDER[self.step])

    def nodes_for(self, replicas: int) -> int:
        return math.ceil(replicas * self.tp / self.gpus_per_node)

    # the fields the training table and the no-answer path read
    floor_days: float = math.inf
    unpriced: list[tuple[str, str]] = field(default_factory=list)


def _length(value: int | LengthDistribution) -> dict[str, Any]:
    if isinstance(value, int):
        return {"kind": "fixed", "value": value}
    return {"kind": "lognormal", "median": value.median, "sigma": value.sigma}


def scenario_data(goal: Goal, fam: ServeFamily, replicas: int) -> dict[str, Any]:
    """The serving scenario of `fam` at `replicas` replicas."""
    serve = goal.serve
    assert serve is not None
    traffic: dict[str, Any]
    if serve.traffic.trace is not None:
        traffic = {"arrivals": "trace", "trace_path": serve.traffic.trace}
    else:
        traffic = {
            "arrivals": "poisson",
            "requests_per_s": serve.traffic.rate_rps,
            "input_tokens": _length(serve.traffic.input_tokens),
            "output_tokens": _length(serve.traffic.output_tokens),
        }
    slo = {"ttft_s": serve.slo.ttft_s, "tpot_s": serve.slo.tpot_s}
    model = serve.model if isinstance(serve.model, str) else serve.model.model_dump()
    options = [
        {"name": c.name, "sheet": c.sheet, "purchase": c.purchase}
        | ({"instance_type": c.instance_type} if c.instance_type else {})
        for c in fam.purchases
    ]
    return {
        "schema_version": 1,
        "name": f"{goal.name}: {replicas} x {fam.label}",
        "seed": goal.options.seed,
        "horizon_days": serve.window / 86400.0,
        "start_date": goal.options.start_date,
        "cluster": {
            "pools": [{"name": "gpus", "node": fam.node, "count": fam.nodes_for(replicas)}],
            "facility": goal.options.facility,
        },
        "workloads": {
            "inference_services": [
                {
                    "name": SERVICE,
                    "model": model,
                    "precision": serve.precision,
                    "tp": fam.tp,
                    "replicas": replicas,
                    "traffic": traffic,
                    "slo": slo,
                }
            ]
        },
        "policies": {"failures": {"enabled": False}},
        "pricing": {"horizon_months": serve.horizon, "options": options},
    }


def _pct(goal: Goal) -> str:
    return f"p{goal.serve.slo.percentile}"  # type: ignore[union-attr]


def slo_miss(goal: Goal, figures: dict[str, Any]) -> str | None:
    """Why one run misses the SLO at the goal's percentile (None: it meets it)."""
    serve = goal.serve
    assert serve is not None
    pct = _pct(goal)
    checks = [("ttft", serve.slo.ttft_s), ("tpot", serve.slo.tpot_s), ("e2e", serve.slo.e2e_s)]
    for name, target_s in checks:
        if target_s is None:
            continue
        ms = figures.get(f"serving.{SERVICE}.{name}_{pct}_ms")
        if ms is None:
            return f"no {name} {pct} (no request finished)"
        if ms > target_s * 1000.0:
            return f"{name} {pct} {ms:,.0f} ms > {target_s * 1000.0:,.0f} ms"
    return None


def build_families(catalog: Catalog, goal: Goal) -> list[ServeFamily]:
    """Every (node type, tp) the goal allows."""
    out = []
    for node_id in candidate_nodes(catalog, goal):
        node = catalog.node(node_id)
        choices = purchase_choices(catalog, goal, node_id)
        for tp in (t for t in TP_CHOICES if t <= node.gpus_per_node):
            out.append(ServeFamily(node_id, node.gpu, node.gpus_per_node, tp, list(choices)))
    return out


def finalist(goal: Goal, fam: ServeFamily, replicas: int, out: Path, index: int) -> Finalist:
    name = f"serve-{fam.node}-tp{fam.tp}-r{replicas}"
    path = write_scenario(scenario_data(goal, fam, replicas), out / "scenarios", name)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return Finalist(index, fam, path, sha, 0)  # type: ignore[arg-type]


def settle(goal: Goal, fams: list[ServeFamily], runner: Runner, out: Path, dirs) -> None:  # noqa: ANN001
    """Climb each family's replica ladder on the first seed until the SLO holds (or cut it)."""
    serve = goal.serve
    assert serve is not None
    pending = [f for f in fams if f.purchases]
    for f in fams:
        if not f.purchases:
            f.reason = "no allowed price option sells this node"
    while pending:
        fins = [finalist(goal, f, LADDER[f.step], out, i) for i, f in enumerate(pending)]
        records = runner.run([task(fin, goal.options.seed, 0, (), dirs) for fin in fins])
        still = []
        for fam, fin, record in zip(pending, fins, records, strict=True):
            replicas = LADDER[fam.step]
            if record["status"] != "ok":
                error = str(record["error"]).replace(f"{fin.scenario}: ", "")
                fam.reason = "does not fit: " + error
                continue
            fam.last = {"replicas": replicas, **record["figures"]}
            miss = slo_miss(goal, record["figures"])
            if miss is None:
                fam.replicas = replicas
                continue
            nxt = fam.step + 1
            too_big = nxt >= len(LADDER) or LADDER[nxt] > serve.max_replicas
            if too_big or LADDER[nxt] * fam.tp > goal.options.max_gpus:
                fam.reason = f"misses the SLO with {replicas} replicas: {miss}"
                continue
            fam.step = nxt
            still.append(fam)
        pending = still


def monthly_floor(fam: ServeFamily) -> float:
    """GPUs x the cheapest per-use price x hours in a month (inf when only owned is sold)."""
    prices = [c.usd_per_gpu_hour for c in fam.purchases if c.usd_per_gpu_hour is not None]
    gpus = (fam.replicas or 0) * fam.tp
    return gpus * min(prices) * 730.5 if prices else math.inf


def serve_plan(goal: Goal, fin: Finalist, choice: PurchaseChoice) -> dict[str, Any]:
    """One serving plan's figures over the seeds (see the module docstring)."""
    serve = goal.serve
    assert serve is not None
    fam: ServeFamily = fin.family  # type: ignore[assignment]
    figs = [r.get("figures", {}) for r in fin.records]
    pct = _pct(goal)
    opt = f"costs.options.{choice.name}."

    def mean(key: str) -> float | None:
        vals = [f.get(key) for f in figs]
        return sum(vals) / len(vals) if vals and None not in vals else None  # type: ignore[arg-type]

    def worst(key: str) -> float | None:
        vals = [f.get(key) for f in figs]
        return max(vals) if vals and None not in vals else None  # type: ignore[type-var]

    cash = mean(opt + "cost_cash_usd")
    accrued = mean(opt + "cost_accrued_usd")
    misses = [m for m in (slo_miss(goal, f) for f in figs) if m]
    plan: dict[str, Any] = {
        "name": f"{fam.replicas} x {fam.label} {choice.name}",
        "node": fam.node,
        "gpu": fam.gpu,
        "nodes": fam.nodes,
        "replicas": fam.replicas,
        "tp": fam.tp,
        "num_gpus": (fam.replicas or 0) * fam.tp,
        f"ttft_{pct}_ms": worst(f"serving.{SERVICE}.ttft_{pct}_ms"),
        f"tpot_{pct}_ms": worst(f"serving.{SERVICE}.tpot_{pct}_ms"),
        "ttft_p90_ms": worst(f"serving.{SERVICE}.ttft_p90_ms"),
        "tpot_p90_ms": worst(f"serving.{SERVICE}.tpot_p90_ms"),
        "slo_attainment": mean(f"serving.{SERVICE}.slo_attainment"),
        "purchase": choice.purchase,
        "provider": choice.provider,
        "sheet": choice.sheet,
        "option": choice.name,
        "cost_cash_usd": cash,
        "cost_accrued_usd": accrued,
        "cost_cash_usd_per_month": cash / serve.horizon if cash is not None else None,
        "cost_accrued_usd_per_month": accrued / serve.horizon if accrued is not None else None,
        "energy_mwh": mean(opt + "energy_mwh"),
        "co2e_t": mean(opt + "carbon_t"),
        "seeds": len(figs),
        "scenario": fin.scenario.name,
    }
    budget = serve.budget_usd_per_month
    per_month = plan["cost_cash_usd_per_month"]
    if misses:
        plan["miss_reason"] = f"misses the SLO on {len(misses)} of {len(figs)} seeds: {misses[0]}"
    elif per_month is None:
        plan["miss_reason"] = "not priced (see the run's cost notes)"
    elif budget is not None and per_month > budget:
        plan["miss_reason"] = f"over budget by ${per_month - budget:,.0f} a month"
    else:
        plan["miss_reason"] = None
    plan["meets_goal"] = plan["miss_reason"] is None
    return plan


def rank_serving(goal: Goal, fins: list[Finalist]) -> list[dict[str, Any]]:
    """Every finalist x purchase option, meeting the goal first, then cheapest per month."""
    plans = [serve_plan(goal, f, c) for f in fins for c in f.family.purchases]
    inf = math.inf
    plans.sort(
        key=lambda p: (
            not p["meets_goal"],
            p["cost_cash_usd_per_month"] if p["cost_cash_usd_per_month"] is not None else inf,
            p["name"],
        )
    )
    for rank, p in enumerate(plans, start=1):
        p["rank"] = rank
    return plans


def rejected_serving(fams: list[ServeFamily], plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Families cut on the ladder (with the nearest count's latencies) and plans that missed."""
    out: list[dict[str, Any]] = []
    for f in fams:
        if f.reason is not None:
            out.append(
                {
                    "node": f.node,
                    "gpu": f.gpu,
                    "tp": f.tp,
                    "replicas": f.last.get("replicas"),
                    "stage": "ladder",
                    "reason": f.reason,
                }
            )
    for p in plans:
        if not p["meets_goal"]:
            out.append(
                {
                    "node": p["node"],
                    "tp": p["tp"],
                    "replicas": p["replicas"],
                    "option": p["option"],
                    "stage": "simulated",
                    "reason": p["miss_reason"],
                    "cost_cash_usd_per_month": p["cost_cash_usd_per_month"],
                }
            )
    return out
