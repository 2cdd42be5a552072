"""Cloud burst: who may leave the queue for the cloud, and who stays on the cluster."""

from __future__ import annotations

from pathlib import Path

from simulator.engine import fixed_step_time
from simulator.results import simulate
from tests.conftest import write_yaml


def _scenario(tmp_path: Path) -> Path:
    """One 8-GPU node held by a training job; a service's replicas queue behind it."""
    return write_yaml(
        tmp_path / "s.yaml",
        {
            "schema_version": 1,
            "name": "burst",
            "seed": 3,
            "horizon_days": 0.05,
            "cluster": {
                "pools": [{"name": "h100", "node": "dgx-h100", "count": 1}],
                "storage": [{"profile": "parallel-fs", "role": "both"}],
                "facility": "liquid-cooled-hyperscale",
                "burst": {"wait_limit_hours": 0.1},
            },
            "workloads": {
                "training_jobs": [
                    {
                        "name": "ft",
                        "model": "llama3-8b",
                        "num_gpus": 8,
                        "seq_len": 2048,
                        "global_batch": 16,
                        "steps": 100000,
                        "checkpoint": {"policy": "none"},
                    },
                    {
                        "name": "later",
                        "model": "llama3-8b",
                        "num_gpus": 8,
                        "seq_len": 2048,
                        "global_batch": 16,
                        "steps": 60,
                        "checkpoint": {"policy": "none"},
                    },
                ],
                "inference_services": [
                    {
                        "name": "chat",
                        "model": "llama3-8b",
                        "precision": "bf16",
                        "tp": 2,
                        "replicas": 2,
                        "max_batched_tokens": 512,
                        "traffic": {
                            "arrivals": "poisson",
                            "requests_per_s": 1,
                            "input_tokens": {"kind": "fixed", "value": 64},
                            "output_tokens": {"kind": "fixed", "value": 8},
                        },
                    }
                ],
            },
            "policies": {"failures": {"enabled": False}},
        },
    )


def test_serving_replicas_never_burst_but_batch_jobs_do(tmp_path: Path) -> None:
    results = simulate(_scenario(tmp_path), step_time=fixed_step_time(1.0))
    jobs = results.jobs.set_index("name")
    bursts = results.events[results.events["event"] == "burst"]
    assert list(bursts["job"]) == ["later"]  # the queued training job went to the cloud
    assert bool(jobs.loc["later", "burst"])
    replicas = jobs[jobs["kind"] == "serving"]
    assert len(replicas) == 2
    assert not replicas["burst"].astype(bool).any()
    assert (replicas["status"] == "queued").all()  # still waiting for the cluster's GPUs
