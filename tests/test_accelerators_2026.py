"""The 2026 accelerators (issue 24) work everywhere a GPU id does: estimates, pools, listings.

Quick shapes only: a 4-layer model, small GEMMs. The assertions are about our behaviour
(the id resolves, the numbers are finite and ordered as the profiles say), not a wording.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

import simulator
import simulator.cli.estimate_serving  # noqa: F401  (registers the command)
import simulator.cli.estimate_training  # noqa: F401  (registers the command)
from simulator.catalog import parse_profile
from simulator.cli import app
from simulator.errors import InputError
from simulator.validation.cases import load_cases
from simulator.validation.runner import run_validation
from simulator.yaml_io import read_yaml

NEW_GPUS = (
    "b300-sxm-288gb",
    "gb300",
    "mi325x",
    "mi355x",
    "tpu-v5e",
    "tpu-v5p",
    "tpu-v6e",
    "tpu7x",
    "trainium2",
    "trainium3",
    "gaudi3",
    "h20",
    "l4",
    "rtx-pro-6000",
)
NEW_NODES = (
    "hgx-b300",
    "gb300-nvl72",
    "mi355x-platform",
    "mi325x-platform",
    "tpu-v5e-8",
    "tpu-v5e-256",
    "tpu-v5p-128",
    "tpu-v6e-8",
    "tpu-v6e-256",
    "tpu7x-128",
    "aws-trn2",
    "aws-trn2-ultraserver",
    "aws-trn3-ultraserver",
    "gaudi3-node",
    "hgx-h20",
    "gcp-g2-standard-96",
    "rtx-pro-6000-server",
)
SMALL_MODEL = ["--layers", "4", "--hidden", "1024", "--heads", "8", "--vocab", "32000"]
SHIPPED = Path(__file__).resolve().parents[1] / "scenarios" / "llama3-70b-pretrain-h100.yaml"


def _json(runner, *args: str) -> dict:  # noqa: ANN001
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("gpu", NEW_GPUS)
def test_gemm_runs_below_peak(runner, catalog, gpu: str) -> None:  # noqa: ANN001
    out = _json(
        runner, "estimate", "gemm", "--gpu", gpu, "--m", "4096", "--n", "4096", "--k", "4096"
    )
    peak = catalog.gpu(gpu).peak_tflops.bf16
    assert 0 < out["tflops"] < peak


@pytest.mark.parametrize("node", NEW_NODES)
def test_collective_on_each_node(runner, catalog, node: str) -> None:  # noqa: ANN001
    n = min(8, catalog.node(node).gpus_per_node)
    out = _json(
        runner, "estimate", "collective", "--node", node, "--op", "all_reduce",
        "--size", "64MiB", "--num-gpus", str(n),
    )  # fmt: skip
    gpu = catalog.gpu(catalog.node(node).gpu)
    per_direction = gpu.scale_up_bandwidth_per_direction_gb_per_s() or (
        gpu.host_link_bandwidth_gb_per_s
    )
    # bus bandwidth never beats the chip's own links (no NVLS-style switch reduction here
    # except on the NVLink racks, which are allowed up to the line rate times two)
    assert 0 < out["busbw_gb_per_s"] <= 2 * per_direction
    expected = "torus" if catalog.node(node).torus_shape else None
    if expected:
        assert out["algorithm"] == "torus"


@pytest.mark.parametrize("gpu", NEW_GPUS)
def test_training_step_on_each_gpu(gpu: str) -> None:
    out = simulator.estimate_training(
        gpu=gpu, num_gpus=8, layers=4, hidden=1024, heads=8, vocab=32000,
        seq_len=1024, global_batch=16,
    )  # fmt: skip
    assert out["step_time_s"] > 0 and math.isfinite(out["step_time_s"])


@pytest.mark.parametrize("gpu", NEW_GPUS)
def test_serving_on_each_gpu(runner, gpu: str) -> None:  # noqa: ANN001
    out = _json(
        runner, "estimate", "serving", "--gpu", gpu, *SMALL_MODEL, "--precision", "bf16",
        "--input-len", "128", "--output-len", "16", "--max-batched-tokens", "512",
        "--num-requests", "8", "--concurrency", "4",
    )  # fmt: skip
    assert out["output_tokens_per_s"] > 0


def test_more_memory_bandwidth_decodes_faster(runner) -> None:  # noqa: ANN001
    """Decode is memory-bound: TPU7x (7.4 TB/s) must out-decode v5e (0.8 TB/s)."""

    def tpot(gpu: str) -> float:
        return _json(
            runner, "estimate", "serving", "--gpu", gpu, *SMALL_MODEL, "--precision", "bf16",
            "--input-len", "128", "--output-len", "16", "--max-batched-tokens", "512",
        "--num-requests", "8", "--concurrency", "4",
        )["tpot_s_p50"]  # fmt: skip

    assert tpot("tpu7x") < tpot("tpu-v5e")


@pytest.mark.parametrize("node", NEW_NODES)
def test_a_scenario_pool_of_each_node_trains(tmp_path: Path, catalog, node: str) -> None:  # noqa: ANN001
    """One node of each system as the pool of the shipped scenario, a small job on it, run."""
    data = yaml.safe_load(SHIPPED.read_text())
    per_node = catalog.node(node).gpus_per_node
    data["cluster"]["pools"] = [{"name": "new", "node": node, "count": 1}]
    data["cluster"]["facility"] = "liquid-cooled-hyperscale"  # NVL72 racks draw 140 kW
    job = data["workloads"]["training_jobs"][0]
    for field in ("micro_batch", "deadline_hours"):
        job.pop(field)
    job.update(
        model="gpt-j-6b", num_gpus=per_node, seq_len=1024, global_batch=per_node,
        total_tokens=1.0e6, parallelism="auto",
    )  # fmt: skip
    data.pop("pricing")
    data["horizon_days"] = 1
    data["policies"]["placement"] = {"kind": "topology_aware"}
    data["policies"]["failures"] = {"enabled": False}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    summary = simulator.simulate(path).summary.to_dict()
    (trained,) = summary["training_jobs"]
    assert trained["status"] == "completed" and trained["num_gpus"] == per_node
    assert 0 < trained["mfu"] < 1


def test_profiles_list_shows_every_new_id(runner) -> None:  # noqa: ANN001
    result = runner.invoke(app, ["profiles", "list"])
    assert result.exit_code == 0, result.output
    for profile_id in (*NEW_GPUS, *NEW_NODES):
        assert profile_id in result.stdout, profile_id


def test_the_2026_validation_cases_all_evaluate(catalog) -> None:  # noqa: ANN001
    """Every case in tests/data/accelerators_2026.json maps to a profile and is held out."""
    path = Path(__file__).resolve().parent / "data" / "accelerators_2026.json"
    cases = load_cases(path)
    report = run_validation(cases, catalog)
    assert {r.status for r in report.results} == {"ok"}
    fitted = {c for g in catalog.profiles["gpu"].values() for c in g.efficiency.fitted_to_cases}
    assert not fitted & {c["id"] for c in cases}


def test_a_torus_that_does_not_fill_the_domain_is_refused() -> None:
    """torus_shape must multiply out to the scale-up domain (a 4x4 torus is 16 chips)."""
    path = Path(__file__).resolve().parents[1] / "hardware_profiles" / "nodes" / "aws-trn2.yaml"
    data = read_yaml(path)
    data["torus_shape"] = [4, 2]
    with pytest.raises(InputError, match="torus_shape"):
        parse_profile(data, path)


def test_fp6_runs_where_the_part_has_it(runner) -> None:  # noqa: ANN001
    """MI355X lists MXFP6 at twice its FP8 rate; a compute-bound GEMM must get faster, and a
    part with no FP6 path (H100) must refuse it."""
    shape = ("--m", "8192", "--n", "8192", "--k", "8192")
    fp8 = _json(runner, "estimate", "gemm", "--gpu", "mi355x", *shape, "--dtype", "fp8")
    fp6 = _json(runner, "estimate", "gemm", "--gpu", "mi355x", *shape, "--dtype", "fp6")
    assert fp6["tflops"] > 1.5 * fp8["tflops"]
    refused = runner.invoke(
        app, ["estimate", "gemm", "--gpu", "h100-sxm-80gb", *shape, "--dtype", "fp6"]
    )
    assert refused.exit_code == 2
