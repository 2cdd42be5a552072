"""RunSummary: a run's summary survives the round trip, old summary files still load, and a
summary file with a key the model does not know is refused, naming the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from simulator.catalog import Catalog
from simulator.errors import InputError
from simulator.results import Results, load_summary, simulate
from simulator.scenario import load_scenario
from simulator.schema.run_summary import SERVICE_RENAMES_V1, RunSummary, service_figures_v2
from tests.engine.conftest import PROFILES
from tests.hardening.fuzz import small_scenario

OLD = Path(__file__).parent / "data" / "summaries"
"""summary.json files as infrasim wrote them before RunSummary (the two shipped scenarios:
one with costs, one with a serving block)."""


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Results, Path]:
    """A small run and the folder it was saved to."""
    root = tmp_path_factory.mktemp("summary")
    (root / "s.yaml").write_text(yaml.safe_dump(small_scenario()))
    loaded = load_scenario(root / "s.yaml", Catalog.load([PROFILES], include_env=False))
    results = simulate(loaded)
    return results, results.save(root / "out")


def test_a_runs_summary_survives_json(run) -> None:
    results, out = run
    text = json.dumps(results.summary.to_dict())
    assert RunSummary.model_validate(json.loads(text)) == results.summary
    assert Results.load(out).summary == results.summary


def test_summary_json_is_the_dict_form(run) -> None:
    results, out = run
    assert json.loads((out / "summary.json").read_text()) == results.summary.to_dict()
    assert results.summary["total_gpus"] == results.summary.total_gpus  # the mapping view
    assert results.summary.get("costs") is None and "costs" not in results.summary


@pytest.mark.parametrize("name", ["pretrain-h100-v0.json", "serving-h200-v0.json"])
def test_an_old_summary_file_loads_with_every_figure_it_had(name: str) -> None:
    """A version-1 file is migrated on read: serving latencies renamed and in ms, the rest
    as written (costs are migrated by their own block, `CostSummary`)."""
    path = OLD / name
    old = json.loads(path.read_text())
    summary = load_summary(path)
    assert summary.summary_version == 2 and summary.training_jobs == []
    new = summary.to_dict()
    for key, value in old.items():
        if key not in ("serving", "costs"):
            assert new[key] == value, key
    for service, figures in (old.get("serving") or {}).items():
        mine = new["serving"][service]
        for key, value in figures.items():
            renamed = SERVICE_RENAMES_V1.get(key, key)
            scale = 1000.0 if renamed.endswith("_ms") else 1.0
            assert mine[renamed] == pytest.approx(value * scale if value is not None else None)
        assert mine["replicas_mean"] is None  # version 1 did not record it


def test_v1_serving_names_become_milliseconds() -> None:
    """Hand-worked: 0.25 s TTFT p50 -> 250 ms; goodput keeps its value under its new name."""
    figures = service_figures_v2(
        {"ttft_s_p50": 0.25, "e2e_s_p99": None, "goodput_requests_per_s": 3.0}
    )
    assert figures == {
        "ttft_p50_ms": 250.0,
        "e2e_p99_ms": None,
        "goodput_rps": 3.0,
        "replicas_mean": None,
    }
    # a version-2 figure passes as it is (never scaled twice)
    assert service_figures_v2({"ttft_p50_ms": 250.0})["ttft_p50_ms"] == 250.0


def test_a_newer_summary_version_is_refused(tmp_path: Path) -> None:
    data = json.loads((OLD / "serving-h200-v0.json").read_text())
    data["summary_version"] = 3
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as caught:
        load_summary(path)
    (problem,) = caught.value.problems
    assert problem.field == "summary_version"


def test_an_old_run_folder_loads(run, tmp_path: Path) -> None:
    _, out = run
    folder = shutil.copytree(out, tmp_path / "old")
    shutil.copy(OLD / "serving-h200-v0.json", folder / "summary.json")
    summary = Results.load(folder).summary
    assert summary.serving is not None
    assert summary.serving["chat-70b"].requests_arrived == 72126
    assert summary.costs is None


def test_old_costs_read_by_attribute() -> None:
    costs = load_summary(OLD / "pretrain-h100-v0.json").costs
    assert costs is not None and costs.cheapest.accrued in [o.name for o in costs.options]
    (reserved,) = [
        b
        for b in costs.break_even
        if (b.owned, b.rented) == ("own-hgx-h100", "aws-p5-reserved-1yr")
    ]
    assert reserved.month == 18 and reserved.basis == "cash"


@pytest.mark.parametrize(
    ("where", "field"),
    [
        (lambda d: d, "gpu_hourz"),
        (lambda d: d["serving"]["chat-70b"], "ttft_ms_p50"),  # neither v1's nor v2's name
    ],
    ids=["top level", "serving"],
)
def test_an_unknown_key_is_refused_naming_the_file(run, tmp_path: Path, where, field) -> None:
    _, out = run
    folder = shutil.copytree(out, tmp_path / "bad")
    data = json.loads((OLD / "serving-h200-v0.json").read_text())
    where(data)[field] = 1.0
    (folder / "summary.json").write_text(json.dumps(data))
    with pytest.raises(InputError) as caught:
        Results.load(folder)
    (problem,) = caught.value.problems
    assert problem.file == str(folder / "summary.json")
    assert field in problem.field


def test_a_summary_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        load_summary(path)
