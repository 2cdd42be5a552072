"""The planner: from a goal (what must be achieved) to ranked, simulated plans (how).

from simulator.plan import plan_goal
outcome = plan_goal("scenarios/goals/llama3-70b-2T-60d.yaml", "out/plan")
outcome.answer[0]   # the cheapest plan meeting the goal
"""

from __future__ import annotations

from typing import Any

from simulator.plan.goal import load_goal
from simulator.plan.planner import PlanOutcome, plan_goal

__all__ = ["PlanOutcome", "load_goal", "plan_goal", "plan_json"]


def plan_json(outcome: PlanOutcome) -> dict[str, Any]:
    """The answer as plain data: `plans` (meeting the goal, cheapest first), `rejected`
    (pruned families, unpriced sheets and simulated misses, each with its reason),
    `sensitivity`, and when nothing meets the goal `bound_by` and `nearest`."""
    goal = outcome.goal
    return {
        "kind": outcome.kind,
        "goal": goal.name,
        "goal_file": outcome.goal_path.name,
        "deadline_days": goal.train.deadline if goal.train else None,
        "budget_usd": goal.train.budget_usd if goal.train else None,
        "seeds": goal.options.seeds,
        "families": len(outcome.families),
        "pruned": sum(1 for f in outcome.families if f.reason),
        "finalists": len(outcome.finalists),
        "plans": outcome.answer,
        "rejected": outcome.rejected,
        "sensitivity": outcome.sensitivity,
        "bound_by": outcome.bound_by,
        "nearest": outcome.nearest,
    }
