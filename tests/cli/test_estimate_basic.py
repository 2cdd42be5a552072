"""`estimate gemm` and `estimate collective` through CliRunner: output, batches, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from simulator.cli.estimate import estimate_app, parse_bytes
from tests.conftest import write_yaml

app = typer.Typer()
app.add_typer(estimate_app, name="estimate")


@app.callback()
def _root() -> None:
    """Minimal wrapper; the lead mounts estimate_app on the real `infrasim` app."""


def invoke(runner, *args: str):
    return runner.invoke(app, ["estimate", *args])


@pytest.fixture
def test_profiles(tmp_path: Path) -> Path:
    """A node with NVLink and NICs, ids that cannot clash with the shipped catalog."""
    root = tmp_path / "profiles"
    common = {"source": "test fixture", "as_of": "2025-01"}
    write_yaml(
        root / "interconnects" / "test-nvlink.yaml",
        {
            "id": "test-nvlink",
            "name": "test NVLink",
            **common,
            "technology": "nvlink",
            "scope": "scale_up",
            "generation": "4",
            "bandwidth_gb_per_s": 450,
            "latency_us": 1.0,
            "topologies": ["nvswitch"],
            "default_topology": "nvswitch",
            "supports_in_network_reduction": True,
        },
    )
    write_yaml(
        root / "interconnects" / "test-nic.yaml",
        {
            "id": "test-nic",
            "name": "test 400G NIC",
            **common,
            "technology": "infiniband",
            "scope": "scale_out",
            "generation": "ndr",
            "bandwidth_gb_per_s": 50,
            "latency_us": 5.0,
            "topologies": ["fat_tree"],
            "default_topology": "fat_tree",
        },
    )
    write_yaml(
        root / "nodes" / "test-node.yaml",
        {
            "id": "test-node",
            "name": "test 8-GPU node",
            **common,
            "gpu": "h100-sxm-80gb",
            "gpus_per_node": 8,
            "gpus_per_nvlink_domain": 8,
            "scale_up": "test-nvlink",
            "nics": [{"interconnect": "test-nic", "count": 8}],
            "local_nvme_tb": 30,
            "overhead_power_w": 3000,
            "overhead_idle_power_w": 1500,
            "max_power_w": 10200,
            "rack_units": 8,
        },
    )
    return root


def test_gemm_human_output(runner) -> None:
    result = invoke(
        runner, "gemm", "--gpu", "h100-sxm-80gb", "--m", "4096", "--n", "4096", "--k", "4096"
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.stdout.strip().splitlines())
    for key in ("time_s", "tflops", "efficiency", "bound"):
        assert key in lines
    assert float(lines["efficiency"]) < 1


def test_gemm_json_is_one_object(runner) -> None:
    result = invoke(
        runner,
        "gemm",
        "--gpu",
        "a100-sxm-80gb",
        "--m",
        "128",
        "--n",
        "4096",
        "--k",
        "4096",
        "--dtype",
        "fp16",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["gpu"] == "a100-sxm-80gb" and data["dtype"] == "fp16"
    assert data["time_s"] > 0 and 0 < data["efficiency"] <= 1
    assert data["tflops"] == pytest.approx(2 * 128 * 4096 * 4096 / data["time_s"] / 1e12)


def test_gemm_burst_is_faster_than_sustained(runner) -> None:
    args = ["gemm", "--gpu", "h100-sxm-80gb", "--m", "8192", "--n", "8192", "--k", "8192", "--json"]
    sustained = json.loads(invoke(runner, *args).stdout)
    burst = json.loads(invoke(runner, *args, "--burst").stdout)
    assert burst["time_s"] < sustained["time_s"]


def test_collective_json(runner) -> None:
    result = invoke(
        runner,
        "collective",
        "--op",
        "all_reduce",
        "--gpu",
        "a100-sxm-80gb",
        "--num-gpus",
        "8",
        "--gpus-per-node",
        "8",
        "--size",
        "1GiB",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["size_bytes"] == 2**30
    assert data["busbw_gb_per_s"] == pytest.approx(data["algbw_gb_per_s"] * 2 * 7 / 8)
    assert 150 < data["busbw_gb_per_s"] < 250
    assert data["algorithm"] == "ring"


def test_collective_with_node_uses_its_nvlink_and_nics(runner, test_profiles: Path) -> None:
    base = ["collective", "--op", "all_reduce", "--node", "test-node", "--size", "8GiB"]
    base += ["--profiles", str(test_profiles), "--json"]
    one = json.loads(invoke(runner, *base, "--num-gpus", "8").stdout)
    assert one["algorithm"] == "nvls" and "test-nvlink" in one["links"]
    two = json.loads(invoke(runner, *base, "--num-gpus", "16").stdout)
    assert two["time_s"] > one["time_s"] and "test-nic" in two["links"]


def test_more_gpus_per_node_than_the_node_has(runner, test_profiles: Path) -> None:
    result = invoke(
        runner,
        "collective",
        "--op",
        "all_reduce",
        "--node",
        "test-node",
        "--num-gpus",
        "32",
        "--gpus-per-node",
        "16",
        "--size",
        "1GB",
        "--profiles",
        str(test_profiles),
    )
    assert result.exit_code == 2
    assert "node test-node has 8" in result.stderr


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4096", 4096),
        ("1e6", 10**6),
        ("64MiB", 64 * 2**20),
        ("1GiB", 2**30),
        ("1GB", 10**9),
        ("512K", 512 * 1024),
        ("1.5 kB", 1500),
        (2048, 2048),
    ],
)
def test_sizes(text, size: int) -> None:
    assert parse_bytes(text) == size


@pytest.mark.parametrize("text", ["1XB", "-5", "GiB", "", "nan"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bytes(text)


def test_input_json_lines_with_one_bad_line(runner, tmp_path: Path) -> None:
    lines = [
        {"gpu": "h100-sxm-80gb", "m": 4096, "n": 4096, "k": 4096},
        {"gpu": "a100-sxm-80gb", "m": 4096, "n": 4096, "k": 4096, "dtype": "fp8"},
        {"gpu": "h100-sxm-80gb", "m": 1, "n": 8192, "k": 8192, "dtype": "fp8"},
        {"gpu": "h100-sxm-80gb", "m": 16, "n": 16, "k": 16, "colour": "red"},
    ]
    path = tmp_path / "shapes.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = invoke(runner, "gemm", "--input", str(path))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    assert "error" not in out[0] and out[0]["time_s"] > 0
    assert "fp8" in out[1]["error"] and "time_s" not in out[1]
    assert out[2]["bound"] == "memory"
    assert "colour" in out[3]["error"]
    assert "2 of 4 requests failed" in result.stderr


def test_input_flags_are_defaults_for_each_line(runner, tmp_path: Path) -> None:
    path = tmp_path / "sizes.jsonl"
    path.write_text('{"size": "1MiB"}\n{"size": 1073741824, "num_gpus": 4}\n')
    result = invoke(
        runner,
        "collective",
        "--op",
        "all_reduce",
        "--gpu",
        "h100-sxm-80gb",
        "--num-gpus",
        "8",
        "--input",
        str(path),
    )
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["num_gpus"] == 8 and first["size_bytes"] == 2**20
    assert second["num_gpus"] == 4 and second["time_s"] > first["time_s"]


def test_input_yaml_object(runner, tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "one.yaml", {"gpu": "b200-sxm-180gb", "m": 8192, "n": 8192, "k": 8192}
    )
    result = invoke(runner, "gemm", "--input", str(path))
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["gpu"] == "b200-sxm-180gb"


def test_unknown_gpu_is_one_line_and_exit_2(runner) -> None:
    result = invoke(runner, "gemm", "--gpu", "h900", "--m", "1", "--n", "1", "--k", "1", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown gpu id 'h900'" in lines[0]
    assert "Traceback" not in result.output


def test_bad_flags_name_the_flag(runner) -> None:
    result = invoke(
        runner,
        "collective",
        "--op",
        "all_reduce",
        "--gpu",
        "h100-sxm-80gb",
        "--num-gpus",
        "0",
        "--size",
        "lots",
    )
    assert result.exit_code == 2
    assert "--num-gpus" in result.stderr and "--size" in result.stderr
    assert "Traceback" not in result.output


def test_missing_hardware_and_dtype_errors(runner) -> None:
    result = invoke(runner, "gemm", "--m", "8", "--n", "8", "--k", "8")
    assert result.exit_code == 2 and "--gpu" in result.stderr
    result = invoke(runner, "gemm", "--gpu", "v100-sxm-32gb", "--m", "8", "--n", "8", "--k", "8")
    assert result.exit_code == 2 and "bf16" in result.stderr
