"""A calibration file is a profile overlay: estimates, scenarios and `run` see it; bad files
fail with one line naming the field, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from simulator.catalog import Catalog
from simulator.cli import app
from simulator.scenario import load_scenario
from tests.calibrate.conftest import h100_overlay_file
from tests.conftest import REPO

GEMM = [
    "estimate",
    "gemm",
    "--gpu",
    "h100-sxm-80gb",
    "--m",
    "8192",
    "--n",
    "8192",
    "--k",
    "8192",
    "--json",
]


def test_overlay_changes_estimate_gemm(tmp_path: Path, runner, catalog: Catalog) -> None:
    base = json.loads(runner.invoke(app, GEMM).output)
    half = catalog.gpu("h100-sxm-80gb").efficiency.gemm.max_fraction_of_peak["bf16"] / 2
    cal = h100_overlay_file(tmp_path / "cal.json", catalog, half)
    result = runner.invoke(app, [*GEMM, "--calibration", str(cal)])
    assert result.exit_code == 0, result.output
    tuned = json.loads(result.output)
    assert tuned["tflops"] < 0.6 * base["tflops"]


def test_overlay_reaches_llm_estimates(tmp_path: Path, runner, catalog: Catalog) -> None:
    args = [
        "estimate",
        "training",
        "--gpu",
        "h100-sxm-80gb",
        "--model",
        "llama3-8b",
        "--num-gpus",
        "8",
        "--seq-len",
        "8192",
        "--global-batch",
        "512",
        "--allow-oom",  # tp 1 does not fit; the step time is what the overlay must move
        "--json",
    ]
    base = runner.invoke(app, args)
    assert base.exit_code == 0, base.output
    cal = h100_overlay_file(tmp_path / "cal.json", catalog, 0.2)
    slow = runner.invoke(app, [*args, "--calibration", str(cal)])
    assert slow.exit_code == 0, slow.output
    assert slow.output != base.output


def test_overlay_reaches_the_serving_estimate(tmp_path: Path, runner, catalog: Catalog) -> None:
    """A slower measured bf16 GEMM makes prefill slower, so the first token comes later."""
    args = [
        "estimate",
        "serving",
        "--node",
        "dgx-h100",
        "--model",
        "llama3-8b",
        "--precision",
        "bf16",
        "--num-requests",
        "40",
        "--input-len",
        "2048",
        "--output-len",
        "16",
        "--request-rate",
        "2",
        "--json",
    ]
    base = runner.invoke(app, args)
    assert base.exit_code == 0, base.output
    cal = h100_overlay_file(tmp_path / "cal.json", catalog, 0.1)
    slow = runner.invoke(app, [*args, "--calibration", str(cal)])
    assert slow.exit_code == 0, slow.output
    assert json.loads(slow.output)["ttft_s_p50"] > 1.5 * json.loads(base.output)["ttft_s_p50"]


def test_malformed_file_names_the_field(tmp_path: Path, runner, catalog: Catalog) -> None:
    cal = h100_overlay_file(tmp_path / "cal.json", catalog, 1.5)
    result = runner.invoke(app, [*GEMM, "--calibration", str(cal)])
    assert result.exit_code == 2
    assert f"{cal}: overlay.efficiency.gemm" in result.output and "(0, 1]" in result.output
    assert "Traceback" not in result.output


def test_unknown_key_and_wrong_version(tmp_path: Path, runner, catalog: Catalog) -> None:
    cal = h100_overlay_file(tmp_path / "cal.json", catalog, 0.5)
    data = json.loads(cal.read_text())
    data["fits"]["gemm_fit"] = {}
    cal.write_text(json.dumps(data))
    result = runner.invoke(app, ["calibrate", "show", str(cal)])
    assert result.exit_code == 2 and "fits.gemm_fit: unknown key" in result.output
    data["schema_version"] = 99
    cal.write_text(json.dumps(data))
    result = runner.invoke(app, [*GEMM, "--calibration", str(cal)])
    assert result.exit_code == 2 and "schema_version: expected 1 (got 99)" in result.output


def test_overlay_for_an_unknown_gpu_id(tmp_path: Path, runner, catalog: Catalog) -> None:
    cal = h100_overlay_file(tmp_path / "cal.json", catalog, 0.5)
    data = json.loads(cal.read_text())
    data["overlay"]["target_gpu_id"] = "h900"
    cal.write_text(json.dumps(data))
    result = runner.invoke(app, [*GEMM, "--calibration", str(cal)])
    assert result.exit_code == 2 and "overlay.target_gpu_id: unknown gpu id 'h900'" in result.output


def test_scenario_field_resolves_relative_to_the_scenario(tmp_path: Path, catalog) -> None:
    data = yaml.safe_load((REPO / "scenarios/llama3-70b-pretrain-h100.yaml").read_text())
    data["calibration"] = "cal/h100.json"
    (tmp_path / "cal").mkdir()
    h100_overlay_file(tmp_path / "cal" / "h100.json", catalog, 0.33)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(data))
    loaded = load_scenario(scenario, catalog)
    assert loaded.catalog.gpu("h100-sxm-80gb").efficiency.gemm.max_fraction_of_peak["bf16"] == 0.33
    assert catalog.gpu("h100-sxm-80gb").efficiency.gemm.max_fraction_of_peak["bf16"] != 0.33
    override = h100_overlay_file(tmp_path / "other.json", catalog, 0.44)
    loaded = load_scenario(scenario, catalog, calibration=override)
    assert loaded.catalog.gpu("h100-sxm-80gb").efficiency.gemm.max_fraction_of_peak["bf16"] == 0.44


def test_scenario_with_missing_calibration_names_the_field(tmp_path: Path, runner) -> None:
    data = yaml.safe_load((REPO / "scenarios/llama3-70b-pretrain-h100.yaml").read_text())
    data["calibration"] = "nope.json"
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["run", str(scenario)])
    assert result.exit_code == 2
    assert f"{scenario}: calibration: calibration file not found: nope.json" in result.output


def test_missing_torch_names_the_extra(monkeypatch, runner, tmp_path: Path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    result = runner.invoke(app, ["calibrate", "run", "--quick", "--out", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert "pip install 'infrasim[calibrate]'" in result.output
    assert not (tmp_path / "x.json").exists()
