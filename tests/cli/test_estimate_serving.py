"""`infrasim estimate serving` through CliRunner: JSON keys, modes, --input, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

import simulator.cli.estimate_serving  # noqa: F401  (registers the command)
from simulator.cli.estimate import estimate_app

app = typer.Typer()
app.add_typer(estimate_app, name="estimate")

BASE = [
    "estimate",
    "serving",
    "--node",
    "dgx-h100",
    "--model",
    "llama3-8b",
    "--precision",
    "bf16",
    "--input-len",
    "200",
    "--output-len",
    "20",
    "--max-batched-tokens",
    "512",
]
CONTRACT = (
    "output_tokens_per_s",
    "requests_per_s",
    "ttft_s_p50",
    "ttft_s_p99",
    "tpot_s_p50",
    "tpot_s_p99",
    "e2e_s_p50",
    "e2e_s_p99",
    "slo_attainment",
)


def _json(runner, *args: str) -> dict:  # noqa: ANN001
    result = runner.invoke(app, [*BASE, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_rate_mode_json_has_the_contract_keys(runner) -> None:  # noqa: ANN001
    out = _json(
        runner,
        "--num-requests",
        "100",
        "--request-rate",
        "5",
        "--replicas",
        "2",
        "--ttft-slo",
        "0.5",
        "--tpot-slo",
        "0.05",
    )
    assert set(CONTRACT) <= set(out)
    assert out["replicas"] == 2 and out["num_gpus"] == 2
    assert out["requests_completed"] == 100
    assert 0.0 <= out["slo_attainment"] <= 1.0
    assert out["ttft_s_p50"] <= out["ttft_s_p99"] and out["e2e_s_p50"] <= out["e2e_s_p99"]


def test_offline_batch_all_at_once(runner) -> None:  # noqa: ANN001
    out = _json(runner, "--num-requests", "32", "--concurrency", "32")
    assert out["slo_attainment"] is None  # no targets given
    assert out["requests_completed"] == 32
    assert out["output_tokens_per_s"] == pytest.approx(32 * 20 / out["duration_s"])
    # one batch: more throughput than one request at a time
    one = _json(runner, "--num-requests", "32", "--concurrency", "1")
    assert out["output_tokens_per_s"] > 5 * one["output_tokens_per_s"]


def test_num_gpus_sets_replicas(runner) -> None:  # noqa: ANN001
    out = _json(
        runner, "--num-requests", "20", "--request-rate", "5", "--num-gpus", "4", "--tp", "2"
    )
    assert out["replicas"] == 2


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--num-requests", "10"], "--request-rate"),
        (["--num-requests", "10", "--request-rate", "1", "--concurrency", "2"], "--request-rate"),
        (["--num-requests", "0", "--request-rate", "1"], "--num-requests"),
        (["--num-requests", "5", "--request-rate", "-1"], "--request-rate"),
        (
            ["--num-requests", "5", "--request-rate", "1", "--num-gpus", "3", "--tp", "2"],
            "--num-gpus",
        ),
        (["--num-requests", "5", "--request-rate", "1", "--routing", "random"], "--routing"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(runner, args, field) -> None:  # noqa: ANN001
    result = runner.invoke(app, [*BASE, *args])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in result.output


def test_input_file_one_result_per_line(runner, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "req.jsonl"
    path.write_text(
        json.dumps({"num_requests": 10, "request_rate": 2})
        + "\n"
        + json.dumps({"num_requests": 10})
        + "\n"
    )
    result = runner.invoke(app, [*BASE, "--input", str(path)])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["requests_completed"] == 10
    assert "error" in rows[1] and "--request-rate" in rows[1]["error"]


def test_real_subprocess() -> None:
    cmd = [
        sys.executable,
        "-m",
        "simulator",
        *BASE,
        "--num-requests",
        "8",
        "--concurrency",
        "8",
        "--json",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["requests_completed"] == 8
