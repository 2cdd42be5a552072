"""`estimate training` and `estimate inference` through CliRunner, with flags and --input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

import simulator.cli.estimate_llm  # noqa: F401  (registers the commands)
from simulator.cli.estimate import estimate_app
from tests.conftest import write_yaml

app = typer.Typer()
app.add_typer(estimate_app, name="estimate")

SMALL_GPT = ["--layers", "24", "--hidden", "2048", "--heads", "16"]


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    """A user profile dir: a fabric, an 8-GPU H100 node and a model preset."""
    write_yaml(
        tmp_path / "interconnects" / "test-ndr.yaml",
        {
            "id": "test-ndr",
            "kind": "interconnect",
            "name": "test NDR",
            "source": "test",
            "as_of": "2024-01",
            "technology": "infiniband",
            "scope": "scale_out",
            "generation": "NDR",
            "bandwidth_gb_per_s": 50,
            "latency_us": 5,
            "topologies": ["fat_tree"],
            "default_topology": "fat_tree",
        },
    )
    write_yaml(
        tmp_path / "nodes" / "test-h100-node.yaml",
        {
            "id": "test-h100-node",
            "kind": "node",
            "name": "test 8x H100",
            "source": "test",
            "as_of": "2024-01",
            "gpu": "h100-sxm-80gb",
            "gpus_per_node": 8,
            "gpus_per_nvlink_domain": 8,
            "nics": [{"interconnect": "test-ndr", "count": 8}],
            "local_nvme_tb": 30,
            "overhead_power_w": 3000,
            "overhead_idle_power_w": 1500,
            "max_power_w": 10200,
            "rack_units": 8,
        },
    )
    write_yaml(
        tmp_path / "models" / "test-llama-8b.yaml",
        {
            "name": "test Llama 8B shape",
            "num_layers": 32,
            "hidden_size": 4096,
            "num_attention_heads": 32,
            "num_kv_heads": 8,
            "ffn_hidden_size": 14336,
            "ffn_type": "swiglu",
            "vocab_size": 128256,
        },
    )
    return tmp_path


def _run(runner, *args: str):
    return runner.invoke(app, ["estimate", *args])


def test_training_json(runner) -> None:
    result = _run(
        runner,
        "training",
        "--gpu", "h100-sxm-80gb", "--gpus-per-node", "8", "--num-gpus", "8",
        *SMALL_GPT,
        "--seq-len", "2048", "--global-batch", "64", "--tp", "2", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    for key in (
        "step_time_s",
        "tokens_per_s",
        "model_tflops_per_gpu",
        "hardware_tflops_per_gpu",
        "mfu",
        "memory_per_gpu_gib",
        "fits_in_memory",
    ):
        assert key in data
    assert set(data["breakdown"]) >= {
        "compute", "tp_comm", "pp_bubble", "pp_p2p", "dp_comm_exposed", "moe_all_to_all",
        "optimizer",
    }  # fmt: skip
    assert data["layout"]["dp"] == 4
    assert data["fits_in_memory"] is True


def test_training_on_a_node_with_a_preset(runner, profiles: Path) -> None:
    result = _run(
        runner,
        "training",
        "--node", "test-h100-node", "--num-gpus", "64", "--model", "test-llama-8b",
        "--seq-len", "8192", "--global-batch", "128", "--tp", "2", "--pp", "2",
        "--sequence-parallel", "--distributed-optimizer", "--precision", "fp8",
        "--profiles", str(profiles), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == "test-llama-8b"
    assert data["layout"]["dp"] == 16
    assert data["breakdown"]["dp_comm_exposed"] > 0


def test_training_impossible_layout_names_the_flag(runner) -> None:
    result = _run(
        runner,
        "training",
        "--gpu", "h100-sxm-80gb", "--num-gpus", "8", *SMALL_GPT,
        "--seq-len", "2048", "--global-batch", "64", "--tp", "3",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--tp" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        (["--recompute", "sometimes"], "--recompute"),
        (["--precision", "fp8"], "--precision"),  # A100 has no fp8
        (["--model", "gpt3-175b"], "--model"),  # preset and shape flags together
        (["--global-batch", "63"], "--global-batch"),
    ],
)
def test_training_bad_options(runner, extra: list[str], flag: str) -> None:
    args = ["--gpu", "a100-sxm-80gb", "--num-gpus", "8", *SMALL_GPT, "--seq-len", "2048"]
    if "--global-batch" not in extra:
        args += ["--global-batch", "64"]
    result = _run(runner, "training", *args, *extra)
    assert result.exit_code == 2
    assert flag in result.stderr


def test_training_requires_a_model(runner) -> None:
    result = _run(
        runner, "training", "--gpu", "h100-sxm-80gb", "--num-gpus", "8",
        "--seq-len", "2048", "--global-batch", "8",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--layers" in result.stderr or "--model" in result.stderr


def test_too_big_model_reports_not_fitting(runner) -> None:
    result = _run(
        runner,
        "training",
        "--gpu", "a100-sxm-80gb", "--num-gpus", "8",
        "--layers", "96", "--hidden", "12288", "--heads", "96",
        "--seq-len", "2048", "--global-batch", "8", "--tp", "8", "--allow-oom", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["fits_in_memory"] is False


def test_inference_json(runner, profiles: Path) -> None:
    result = _run(
        runner,
        "inference",
        "--gpu", "h100-sxm-80gb", "--model", "test-llama-8b", "--precision", "fp8",
        "--batch", "32", "--input-len", "1024", "--output-len", "256",
        "--profiles", str(profiles), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    for key in (
        "ttft_s",
        "tpot_s",
        "e2e_latency_s",
        "output_tokens_per_s",
        "memory_per_gpu_gib",
        "max_batch",
        "fits_in_memory",
    ):
        assert key in data
    assert data["fits_in_memory"] and data["max_batch"] >= 32
    assert data["e2e_latency_s"] == pytest.approx(data["ttft_s"] + 255 * data["tpot_s"])


def test_inference_human_output(runner) -> None:
    result = _run(
        runner, "inference", "--gpu", "a100-sxm-80gb", *SMALL_GPT,
        "--batch", "1", "--input-len", "128", "--output-len", "16",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "ttft_s:" in result.stdout and "tpot_s:" in result.stdout


def test_input_batch_with_one_bad_line(runner, tmp_path: Path) -> None:
    lines = [
        {"layers": 24, "hidden": 2048, "heads": 16, "seq_len": 2048, "global_batch": 64},
        {"layers": 24, "hidden": 2048, "heads": 16, "seq_len": 2048, "global_batch": 64, "tp": 5},
        {"layers": 24, "hidden": 2048, "heads": 16, "seq_len": 4096, "global_batch": 32, "tp": 4},
    ]
    path = tmp_path / "jobs.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = _run(
        runner, "training", "--gpu", "h100-sxm-80gb", "--num-gpus", "8", "--input", str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3]
    assert "step_time_s" in rows[0] and "step_time_s" in rows[2]
    assert "error" in rows[1] and "tp" in rows[1]["error"]
    assert "1 of 3 requests failed" in result.stderr


def test_inference_decode_attention_flag(runner) -> None:
    args = [
        "inference", "--gpu", "a100-sxm-80gb", "--model", "llama2-70b", "--tp", "4",
        "--batch", "64", "--input-len", "2048", "--output-len", "128", "--json",
    ]  # fmt: skip
    grouped = _run(runner, *args)
    per_head = _run(runner, *args, "--decode-attention", "per_query_head")
    assert grouped.exit_code == 0 and per_head.exit_code == 0, per_head.stderr
    assert json.loads(per_head.stdout)["tpot_s"] > json.loads(grouped.stdout)["tpot_s"]
    bad = _run(runner, *args, "--decode-attention", "xqa")
    assert bad.exit_code == 2
    assert "--decode-attention" in bad.stderr and "Traceback" not in bad.stderr


def test_training_grad_reduce_flags(runner) -> None:
    args = [
        "training", "--node", "dgx-h100", "--num-gpus", "64", "--model", "llama3-8b",
        "--seq-len", "8192", "--global-batch", "128", "--allow-oom", "--json",
    ]  # fmt: skip

    def exposed(*extra: str) -> float:
        result = _run(runner, *args, *extra)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["breakdown"]["dp_comm_exposed"]

    overlapped = exposed()
    one_big_bucket_tail = exposed("--dp-bucket-params", "4000000000")
    serial = exposed("--no-overlap-grad-reduce")
    # the exposed tail is the last bucket: bigger buckets expose more, no overlap exposes all
    assert overlapped < one_big_bucket_tail < serial
    bad = _run(runner, *args, "--dp-bucket-params", "0")
    assert bad.exit_code == 2 and "--dp-bucket-params" in bad.stderr
