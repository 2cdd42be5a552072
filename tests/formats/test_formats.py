"""Formats people keep: files written by an earlier release still work with this one.

`tests/data/formats/` holds one file per format version, each written by the release that
introduced it (the v1 files by commit 27eb151): a scenario, a sweep spec and a whole run
folder. The rule (docs/architecture.md, "Formats people keep"): when a format changes, bump
its version, keep a reader for the previous one, and add its v-N file there.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import typing
from pathlib import Path

import pytest

import simulator
from simulator.cli import app
from simulator.errors import InputError
from simulator.results import FILES, Results
from simulator.scenario import load_scenario
from simulator.schema.scenario import Scenario
from simulator.schema.sweep import SweepSpec
from simulator.sweep import load_sweep

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"
SCENARIO_V1 = FORMATS / "scenario-v1.yaml"
SWEEP_V1 = FORMATS / "sweep-v1.yaml"
RUN_V1 = FORMATS / "run-v1"


def _versions(model: type) -> tuple[int, ...]:
    return typing.get_args(model.model_fields["schema_version"].annotation)


def _fingerprint(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module", autouse=True)
def data_untouched():
    """No test here writes into tests/data: every run folder is copied to tmp_path first."""
    before = _fingerprint(FORMATS)
    yield
    assert _fingerprint(FORMATS) == before


@pytest.mark.parametrize(("model", "stem"), [(Scenario, "scenario"), (SweepSpec, "sweep")])
def test_every_version_this_release_reads_has_its_file(model: type, stem: str) -> None:
    versions = _versions(model)
    assert versions, f"{model.__name__}.schema_version is not a Literal of versions"
    missing = [v for v in versions if not (FORMATS / f"{stem}-v{v}.yaml").is_file()]
    assert missing == [], f"add tests/data/formats/{stem}-v<N>.yaml for {missing}"


def test_scenario_v1_loads_and_runs(catalog) -> None:
    loaded = load_scenario(SCENARIO_V1, catalog)
    assert loaded.scenario.schema_version == 1
    assert loaded.total_gpus == 24
    results = simulator.simulate(loaded)
    summary = results.summary
    assert summary.total_gpus == 24 and summary.jobs_submitted > 0
    assert set(summary.training_goodput) == {"pretrain-8b"}
    assert 0 < summary.training_goodput["pretrain-8b"] <= 1
    assert "chat-8b" in summary.inference_services
    assert {"requests", "serving_timeline"} <= set(results.tables)


def test_sweep_v1_loads_and_expands(catalog) -> None:
    sweep = load_sweep(SWEEP_V1, catalog)
    assert sweep.spec.schema_version == 1
    assert sweep.base_path == SCENARIO_V1
    assert sweep.seed == 11  # the base scenario's
    assert sweep.spec.replications == 2
    young_daly = "workloads.training_jobs.0.checkpoint={policy: young_daly, storage: parallel-fs}"
    fixed = (
        "workloads.training_jobs.0.checkpoint="
        "{policy: fixed, interval_minutes: 360, storage: parallel-fs}"
    )
    shapes = [
        ("cluster.pools.0.count=3", "workloads.training_jobs.0.num_gpus=16"),
        ("cluster.pools.0.count=5", "workloads.training_jobs.0.num_gpus=32"),
    ]
    dps = [
        "workloads.training_jobs.0.parallelism.dp=2",
        "workloads.training_jobs.0.parallelism.dp=4",
    ]
    # the settings are part of a run's key in runs.jsonl: the release that wrote the file
    # expanded it to exactly these, in this order
    assert [p.settings for p in sweep.points] == [
        (*shape, dp, checkpoint)
        for shape, dp in zip(shapes, dps, strict=True)
        for checkpoint in (young_daly, fixed)
    ]
    for point in sweep.points:
        loaded = load_scenario(SCENARIO_V1, catalog, list(point.settings))
        assert loaded.total_gpus == 8 * point.values["nodes"]


@pytest.fixture
def run_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RUN_V1, tmp_path / "run-v1"))


def test_run_v1_folder_is_whole() -> None:
    assert all((RUN_V1 / name).is_file() for name in FILES)
    assert not (RUN_V1 / "report.html").exists()  # rebuilt by `infrasim report`
    assert sum(p.stat().st_size for p in RUN_V1.iterdir()) < 200_000


def test_results_load_reads_a_v1_run(run_copy: Path) -> None:
    results = Results.load(run_copy)
    assert results.summary.scenario == "format v1 fixture"
    assert results.summary.total_gpus == 24
    assert set(results.summary.training_goodput) == {"pretrain-8b"}
    assert results.summary.costs is not None
    assert {"inputs", "racks", "requests", "serving_timeline", "cost_options"} <= set(
        results.tables
    )
    assert len(results.jobs) == results.summary.jobs_submitted
    # every figure the old release wrote is read back, none dropped; version 2 renamed the
    # serving latencies (seconds -> ms) and version 2 of the cost block lists its options
    old = json.loads((RUN_V1 / "summary.json").read_text())
    new = results.summary.to_dict()
    assert new["summary_version"] == 2 and new["training_jobs"] == []
    assert {k: new[k] for k in old if k not in ("serving", "costs")} == {
        k: v for k, v in old.items() if k not in ("serving", "costs")
    }
    chat_v1, chat = old["serving"]["chat-8b"], new["serving"]["chat-8b"]
    assert chat["ttft_p50_ms"] == pytest.approx(1000.0 * chat_v1["ttft_s_p50"])
    assert chat["e2e_p99_ms"] == pytest.approx(1000.0 * chat_v1["e2e_s_p99"])
    assert chat["goodput_rps"] == chat_v1["goodput_requests_per_s"]
    assert chat["requests_arrived"] == chat_v1["requests_arrived"]
    assert [o.name for o in results.summary.costs.options] == list(old["costs"]["options"])


def test_report_rebuilds_a_v1_run(runner, run_copy: Path) -> None:
    result = runner.invoke(app, ["report", str(run_copy)])
    assert result.exit_code == 0, result.output
    html = (run_copy / "report.html").read_text()
    assert "format v1 fixture" in html and "chat-8b" in html and "pretrain-8b" in html


def test_compare_reads_two_v1_runs(runner, run_copy: Path, tmp_path: Path) -> None:
    other = shutil.copytree(RUN_V1, tmp_path / "run-v1-again")
    page = tmp_path / "x.html"
    result = runner.invoke(app, ["compare", str(run_copy), str(other), "--out", str(page)])
    assert result.exit_code == 0, result.output
    assert "format v1 fixture" in page.read_text()


@pytest.mark.parametrize("source", [SCENARIO_V1, SWEEP_V1])
def test_a_newer_schema_version_is_refused_naming_the_field_and_the_versions_read(
    source: Path, tmp_path: Path, catalog
) -> None:
    path = tmp_path / source.name
    path.write_text(source.read_text().replace("schema_version: 1\n", "schema_version: 99\n"))
    if source.name.startswith("sweep"):
        shutil.copy(SCENARIO_V1, tmp_path / SCENARIO_V1.name)
        load = load_sweep
    else:
        load = load_scenario
    with pytest.raises(InputError) as excinfo:
        load(path, catalog)
    assert [(p.file, p.field, p.message) for p in excinfo.value.problems] == [
        (str(path), "schema_version", "expected 1 (got 99)")
    ]


def test_the_cli_refuses_a_newer_scenario_in_one_line(runner, tmp_path: Path) -> None:
    path = tmp_path / "future.yaml"
    path.write_text(SCENARIO_V1.read_text().replace("schema_version: 1\n", "schema_version: 99\n"))
    result = runner.invoke(app, ["scenario", "validate", str(path)])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {path}: schema_version: expected 1 (got 99)"
