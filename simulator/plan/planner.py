"""`infrasim plan`: from a goal to ranked, simulated plans.

1. Build the space and prune it analytically (`plan.space`): memory and divisibility through
   the automatic layout, the deadline through the step model, the budget through the floor
   cost; keep the `finalists` cheapest surviving families (node type x node count).
2. Write one scenario per finalist (`plan.scenarios`) and simulate it with `seeds` seeds through
   the sweep's machinery: the same `RunTask`s, resumable `RunStore` (`--out DIR/runs`) and
   local-pool or Ray backends, so a killed plan resumes and Ray gives the same numbers.
3. Price every purchase option of each finalist from the same runs (project mode: the cash to
   finish the job) and rank (`plan.ranking`); for the top plans, rerun under perturbations
   (`plan.sensitivity`).

Replication r of every finalist uses seed `seed + r` (common random numbers, as a sweep).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.errors import InputError, Problem
from simulator.plan import serving
from simulator.plan.goal import load_goal
from simulator.plan.ranking import nearest, rank_plans, rejected_families
from simulator.plan.runs import Finalist, Progress, Runner, task
from simulator.plan.scenarios import spares_for, usable_scenario
from simulator.plan.sensitivity import sensitivity
from simulator.plan.space import Family, build_space, finalists
from simulator.schema.goal import Goal
from simulator.sweep.backends import make_backend
from simulator.sweep.runner import resolve_dirs
from simulator.sweep.store import RunStore
from simulator.sweep.worker import catalog_for


@dataclass
class PlanOutcome:
    """The answer to a goal."""

    goal: Goal
    goal_path: Path
    plans: list[dict[str, Any]]
    """every simulated plan (family x purchase option), ranked; `meets_goal` marks the answer"""
    rejected: list[dict[str, Any]]
    sensitivity: list[dict[str, Any]]
    finalists: list[Finalist]
    families: list[Family]
    out: Path
    ran: int
    reused: int
    bound_by: str | None = None
    """which constraint no plan met (deadline, budget), None when some plan meets the goal"""
    nearest: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    kind: str = "train"
    """'train' or 'serve'"""

    @property
    def answer(self) -> list[dict[str, Any]]:
        """The plans that meet the goal, cheapest first."""
        return [p for p in self.plans if p["meets_goal"]]


def plan_goal(
    goal_path: str | Path,
    out: str | Path | None = None,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    profile_dirs: Sequence[str | Path] | None = None,
    progress: Progress | None = None,
    with_sensitivity: bool = True,
) -> PlanOutcome:
    """Answer the goal in `goal_path`; see the module docstring.

    Args:
        out: directory for the scenarios, the resumable run store and the page; None: a
            temporary directory, removed afterwards.

    Raises:
        InputError: a bad goal file, a serving goal (not yet planned), or bad backend settings.
    """
    goal_path = Path(goal_path)
    goal = load_goal(goal_path)
    if out is None:
        with tempfile.TemporaryDirectory(prefix="infrasim-plan-") as tmp:
            return _plan(
                goal,
                goal_path,
                Path(tmp),
                backend,
                workers,
                address,
                profile_dirs,
                progress,
                with_sensitivity,
            )
    return _plan(
        goal,
        goal_path,
        Path(out),
        backend,
        workers,
        address,
        profile_dirs,
        progress,
        with_sensitivity,
    )


def _plan(goal, goal_path, out, backend, workers, address, profile_dirs, progress, with_sens):  # noqa: ANN001, ANN202, PLR0913
    dirs = resolve_dirs(profile_dirs)
    catalog = catalog_for(dirs)
    if goal.serve is not None:
        return _plan_serving(goal, goal_path, out, backend, workers, address, dirs, progress)
    if out.exists() and not out.is_dir():
        raise InputError([Problem(str(out), "--out", "exists and is not a directory")])
    store = RunStore(out / "runs")
    runner = Runner(store, make_backend(backend, workers=workers, address=address), progress)
    try:
        return _plan_training(goal, goal_path, out, runner, catalog, dirs, with_sens)
    finally:
        runner.backend.close()


def _plan_training(goal, goal_path, out, runner, catalog, dirs, with_sens):  # noqa: ANN001, ANN202, PLR0913
    families = build_space(catalog, goal, runner.backend, dirs)
    chosen = finalists(families, goal.options.finalists)
    fins = []
    unpriced: list[dict[str, Any]] = []
    for i, fam in enumerate(chosen):
        path, dropped = usable_scenario(
            goal, fam, catalog, out / "scenarios", f"{i:02d}-{fam.node}-{fam.nodes}"
        )
        unpriced += [_unpriced(fam, choice, why) for choice, why in dropped]
        if not fam.purchases:
            fam.reason = "no price option can price it: " + "; ".join(w for _, w in dropped)
            continue
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        fins.append(Finalist(i, fam, path, sha, spares_for(goal, fam.nodes)))
    seeds = [goal.options.seed + r for r in range(goal.options.seeds)]
    tasks = [task(f, s, r, (), dirs) for f in fins for r, s in enumerate(seeds)]
    records = runner.run(tasks)
    for f in fins:
        f.records = [r for r in records if r["point"] == f.index]
    plans = rank_plans(goal, fins)
    sens = sensitivity(goal, fins, plans, runner, dirs, catalog) if with_sens else []
    rejected = rejected_families(goal, families, plans) + unpriced
    outcome = PlanOutcome(
        goal=goal,
        goal_path=goal_path,
        plans=plans,
        rejected=rejected,
        sensitivity=sens,
        finalists=fins,
        families=families,
        out=out,
        ran=runner.ran,
        reused=runner.reused,
    )
    if not outcome.answer:
        outcome.bound_by, outcome.nearest = nearest(goal, plans, families)
    return outcome


def _unpriced(fam: Family, choice: Any, why: str) -> dict[str, Any]:  # noqa: ANN401
    """A price option dropped from a finalist's scenario, as a rejected entry."""
    return {
        "node": fam.node,
        "gpu": fam.gpu,
        "nodes": fam.nodes,
        "num_gpus": fam.num_gpus,
        "purchase": choice.purchase,
        "option": choice.name,
        "stage": "priced",
        "reason": f"cannot be priced: {why}",
    }


def _plan_serving(goal, goal_path, out, backend, workers, address, dirs, progress):  # noqa: ANN001, ANN202, PLR0913
    """A serving goal: settle each family's replicas, rerun the finalists, rank (`serving`)."""
    catalog = catalog_for(dirs)
    if out.exists() and not out.is_dir():
        raise InputError([Problem(str(out), "--out", "exists and is not a directory")])
    families = serving.build_families(catalog, goal)
    runner = Runner(
        RunStore(out / "runs"), make_backend(backend, workers=workers, address=address), progress
    )
    try:
        serving.settle(goal, families, runner, out, dirs)
        settled = [f for f in families if f.replicas is not None]
        settled.sort(key=lambda f: (serving.monthly_floor(f), f.node, f.tp))
        fins = [
            serving.finalist(goal, f, f.replicas, out, i)
            for i, f in enumerate(settled[: goal.options.finalists])
        ]
        seeds = [goal.options.seed + r for r in range(goal.options.seeds)]
        records = runner.run([task(f, s, r, (), dirs) for f in fins for r, s in enumerate(seeds)])
        for f in fins:
            f.records = [r for r in records if r["point"] == f.index]
        plans = serving.rank_serving(goal, fins)
    finally:
        runner.backend.close()
    outcome = PlanOutcome(
        goal=goal,
        goal_path=goal_path,
        plans=plans,
        rejected=serving.rejected_serving(families, plans),
        sensitivity=[],
        finalists=fins,
        families=families,
        out=out,
        ran=runner.ran,
        reused=runner.reused,
        kind="serve",  # type: ignore[arg-type]
    )
    if not outcome.answer:
        priced = [p for p in plans if p["cost_cash_usd_per_month"] is not None]
        outcome.bound_by = (
            "budget" if any(p["miss_reason"].startswith("over budget") for p in plans) else "slo"
        )
        outcome.nearest = {
            "cheapest": min(priced, key=lambda p: p["cost_cash_usd_per_month"], default=None),
            "fastest": min(
                (p for p in plans if p["ttft_p90_ms"] is not None),
                key=lambda p: p["ttft_p90_ms"],
                default=None,
            ),
        }
    return outcome
