"""The scenario the planner simulates for one family: everything a real run would face.

Built from the goal, never hand-written: the node pool with hot spares (a failed node is
replaced in minutes rather than the job waiting for its repair), failures on at Llama 3's
rates, Young/Daly checkpoints to the goal's storage tier, the goal's facility (and power cap),
every purchase option of the node as a price option, and `pricing.mode: project` so each
option is costed as the cash to finish this one job. The horizon is twice the deadline: a
plan that misses is still seen finishing, so how far it misses is measured, not guessed.

The storage tier is written as a profile override carrying its own write bandwidths, so the
sensitivity runs can halve them with an ordinary `--set` (`CHECKPOINT_WRITE_FIELDS`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from simulator.atomic_files import write_text_atomic
from simulator.catalog import Catalog
from simulator.errors import InputError
from simulator.plan.space import Family, PurchaseChoice
from simulator.scenario import load_scenario
from simulator.schema.goal import Goal

JOB = "train"
POOL = "gpus"
CHECKPOINT_WRITE_FIELDS = ("aggregate_write_gb_per_s", "write_gb_per_s_per_client")


def spares_for(goal: Goal, nodes: int) -> int:
    """Hot spare nodes: the goal's, else 3% of the nodes (at least one)."""
    if goal.options.spare_nodes is not None:
        return goal.options.spare_nodes
    return max(1, math.ceil(0.03 * nodes))


def scenario_data(goal: Goal, family: Family, catalog: Catalog) -> dict[str, Any]:
    """The scenario of `family` as plain data (see the module docstring)."""
    train = goal.train
    assert train is not None and family.layout is not None
    execution = family.layout.execution
    storage = catalog.storage(goal.options.storage)
    model = train.model if isinstance(train.model, str) else train.model.model_dump()
    spares = spares_for(goal, family.nodes)
    options = []
    for choice in family.purchases:
        option: dict[str, Any] = {
            "name": choice.name,
            "sheet": choice.sheet,
            "purchase": choice.purchase,
        }
        if choice.instance_type is not None:
            option["instance_type"] = choice.instance_type
        options.append(option)
    policies: dict[str, Any] = {
        "scheduler": {"kind": "fifo"},
        "placement": {"kind": "topology_aware", "params": {"spare_nodes_per_pool": spares}},
        "failures": {"enabled": True, "rates": "llama3", "rate_multiplier": 1.0},
    }
    if goal.options.power_limit_kw is not None:
        policies["power"] = {"cap_kw": goal.options.power_limit_kw}
    return {
        "schema_version": 1,
        "name": f"{goal.name}: {family.label}",
        "description": "Built by infrasim plan from the goal; one finalist family.",
        "seed": goal.options.seed,
        "horizon_days": float(2.0 * train.deadline),
        "start_date": goal.options.start_date,
        "cluster": {
            "pools": [{"name": POOL, "node": family.node, "count": family.nodes + spares}],
            "storage": [
                {
                    "profile": {
                        "id": storage.id,
                        "overrides": {f: getattr(storage, f) for f in CHECKPOINT_WRITE_FIELDS},
                    },
                    "role": "both",
                }
            ],
            "facility": goal.options.facility,
        },
        "workloads": {
            "training_jobs": [
                {
                    "name": JOB,
                    "model": model,
                    "num_gpus": family.num_gpus,
                    "parallelism": execution.parallelism.model_dump(exclude_none=True),
                    "seq_len": train.seq_len,
                    "global_batch": execution.global_batch,
                    "micro_batch": execution.micro_batch,
                    "precision": train.precision,
                    "total_tokens": float(train.tokens),
                    "deadline_hours": float(train.deadline * 24.0),
                    "checkpoint": {"policy": "young_daly", "storage": storage.id},
                }
            ]
        },
        "policies": policies,
        "pricing": {"mode": "project", "options": options},
    }


def write_scenario(data: dict[str, Any], directory: Path, name: str) -> Path:
    """Write one finalist's scenario (deterministic bytes: its hash keys the stored runs)."""
    directory.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(directory / f"{name}.yaml", yaml.safe_dump(data, sort_keys=False))


_OPTION_FIELD = re.compile(r"^pricing\.options\[(\d+)\]")


def usable_scenario(
    goal: Goal, family: Family, catalog: Catalog, directory: Path, name: str
) -> tuple[Path, list[tuple[PurchaseChoice, str]]]:
    """Write the family's scenario, dropping price options the economics cannot price there
    (a sheet with no price for the storage tier, say): (path, [(dropped option, why)]).

    The family's `purchases` keep only the options left. Raises InputError when the scenario
    fails for another reason (a bug in what the planner built, or a bad goal field).
    """
    dropped: list[tuple[PurchaseChoice, str]] = []
    while True:
        path = write_scenario(scenario_data(goal, family, catalog), directory, name)
        try:
            load_scenario(path, catalog, [])
        except InputError as exc:
            bad: dict[int, str] = {}
            for problem in exc.problems:
                match = _OPTION_FIELD.match(problem.field)
                if match is None:
                    raise
                bad.setdefault(int(match.group(1)), problem.message)
            dropped += [(family.purchases[i], why) for i, why in sorted(bad.items())]
            family.purchases = [c for i, c in enumerate(family.purchases) if i not in bad]
            if not family.purchases:
                return path, dropped
            continue
        return path, dropped
