"""Bad input: errors name the scenario field; nothing runs."""

from __future__ import annotations

import pytest

from simulator.errors import InputError
from simulator.results import simulate
from tests.engine.conftest import TINY_MODEL, base_scenario, training_job


def problems(make, data) -> list[str]:
    with pytest.raises(InputError) as info:
        simulate(make(data))
    return [f"{p.field}: {p.message}" for p in info.value.problems]


def _with_job(**policies) -> dict:
    data = base_scenario(nodes=2, workloads={"training_jobs": [training_job()]})
    data["policies"].update(policies)
    return data


def test_unknown_scheduler_kind(make) -> None:
    (p,) = problems(make, _with_job(scheduler={"kind": "round_robin"}))
    assert p.startswith("policies.scheduler.kind: unknown kind 'round_robin'")
    assert "easy_backfill" in p and "fair_share" in p


def test_bad_scheduler_params(make) -> None:
    (p,) = problems(make, _with_job(scheduler={"kind": "easy_backfill", "params": {"depth": 0}}))
    assert p.startswith("policies.scheduler.params.depth:")
    (p,) = problems(make, _with_job(scheduler={"kind": "fifo", "params": {"depth": 5}}))
    assert p.startswith("policies.scheduler.params.depth: unknown key")


def test_bad_placement(make) -> None:
    (p,) = problems(make, _with_job(placement={"kind": "random"}))
    assert p.startswith("policies.placement.kind: unknown kind 'random'")
    assert "topology_aware" in p


def test_checkpoint_needs_a_storage_tier(make) -> None:
    data = _with_job()
    data["cluster"]["storage"] = []
    data["workloads"]["training_jobs"][0]["checkpoint"] = {"policy": "fixed", "interval_minutes": 5}
    (p,) = problems(make, data)
    assert p.startswith("workloads.training_jobs[0].checkpoint:")


def test_job_that_does_not_fit_in_memory(make) -> None:
    big = dict(
        TINY_MODEL,
        name="huge",
        num_layers=200,
        hidden_size=12288,
        num_attention_heads=96,
        ffn_hidden_size=49152,
    )
    data = base_scenario(nodes=2, workloads={"training_jobs": [training_job(model=big)]})
    (p,) = problems(make, data)
    assert p.startswith("workloads.training_jobs[0]: does not fit in GPU memory")


def test_impossible_parallelism_names_the_job(make) -> None:
    data = base_scenario(
        nodes=2,
        workloads={"training_jobs": [training_job(parallelism={"tp": 8, "pp": 32}, num_gpus=256)]},
    )
    data["cluster"]["pools"][0]["count"] = 32
    found = problems(make, data)
    assert all(p.startswith("workloads.training_jobs[0]") for p in found)
    assert any("--pp" in p or "pp" in p for p in found)


def test_synthetic_job_larger_than_any_pool(make) -> None:
    data = base_scenario(
        nodes=1,
        workloads={
            "synthetic_jobs": [
                {
                    "name": "s",
                    "arrivals_per_hour": 1,
                    "gpus_per_job": [1, 64],
                    "mean_duration_hours": 1,
                }
            ]
        },
    )
    (p,) = problems(make, data)
    assert p.startswith(
        "workloads.synthetic_jobs[0].gpus_per_job[1]: a 64-GPU job of 's' can never start: "
        "needs 64 GPUs but its pool has 8 (pool 'main': 1 node of 8 GPUs; the job needs 8 nodes)"
    )
