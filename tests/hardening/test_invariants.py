"""Each run invariant catches the corruption it exists for, and real runs satisfy them all.

Results from a real small run are corrupted one way at a time; each law must name what broke.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import simulator.results as results_module
from simulator.catalog import Catalog
from simulator.cli import app
from simulator.invariants import InvariantViolation, check_invariants, violations
from simulator.results import Results, simulate
from simulator.schema.run_summary import CostSummary, ServiceSummary
from tests.engine.conftest import PROFILES
from tests.hardening.fuzz import small_scenario
from tests.summaries import cost_option, cost_summary, service_summary


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Results:
    from simulator.scenario import load_scenario

    path = tmp_path_factory.mktemp("inv") / "s.yaml"
    path.write_text(yaml.safe_dump(small_scenario()))
    return simulate(load_scenario(path, Catalog.load([PROFILES], include_env=False)))


def _copy(r: Results) -> Results:
    return Results(
        jobs=r.jobs.copy(),
        events=r.events.copy(),
        timeline=r.timeline.copy(),
        summary=r.summary,  # frozen: a corruption replaces it
        tables={k: v.copy() for k, v in r.tables.items()},
    )


def _set(r: Results, **figures: object) -> None:
    """Corrupt figures of `r`'s summary (the model is frozen: replace it)."""
    r.summary = r.summary.model_copy(update=figures)


def test_a_real_run_satisfies_every_law(clean: Results) -> None:
    assert clean.summary["jobs_completed"] > 0 and len(clean.timeline) > 2
    assert violations(clean) == []


def test_more_gpu_hours_than_the_cluster_has(clean: Results) -> None:
    r = _copy(clean)
    s = r.summary
    _set(r, gpu_hours_allocated=s.total_gpus * s.horizon_days * 24.1)
    r.jobs.loc[r.jobs.index[0], "gpu_hours"] += r.summary.gpu_hours_allocated * 1.1
    with pytest.raises(InvariantViolation, match="GPU-hours on the cluster .* exceed"):
        check_invariants(r)


def test_burst_gpu_hours_do_not_count_against_the_cluster(clean: Results) -> None:
    r = _copy(clean)
    extra = r.summary.total_gpus * r.summary.horizon_days * 24.0
    r.jobs["burst"] = False
    r.jobs.loc[r.jobs.index[0], ["gpu_hours", "burst"]] = [extra, True]
    _set(r, gpu_hours_allocated=float(r.jobs["gpu_hours"].sum()))
    assert violations(r) == []
    r.jobs.loc[r.jobs.index[0], "burst"] = False
    assert any("exceed total_gpus" in v for v in violations(r))


def test_summary_gpu_hours_must_be_the_jobs_sum(clean: Results) -> None:
    r = _copy(clean)
    _set(r, gpu_hours_allocated=r.summary.gpu_hours_allocated * 0.5)
    assert any("!= the jobs table's sum" in v for v in violations(r))


def test_timeline_allocating_more_gpus_than_exist(clean: Results) -> None:
    r = _copy(clean)
    r.timeline.loc[r.timeline.index[1], "allocated_gpus"] = r.summary.total_gpus + 1
    assert any("timeline allocates" in v for v in violations(r))


def test_job_starting_before_its_submission(clean: Results) -> None:
    r = _copy(clean)
    started = r.jobs.index[r.jobs["start_s"].notna()][0]
    r.jobs.loc[started, "submit_s"] = r.jobs.loc[started, "start_s"] + 60.0
    with pytest.raises(InvariantViolation, match="start before submission"):
        check_invariants(r)


def test_job_ending_before_it_started(clean: Results) -> None:
    r = _copy(clean)
    done = r.jobs.index[r.jobs["end_s"].notna()][0]
    r.jobs.loc[done, "end_s"] = r.jobs.loc[done, "start_s"] - 1.0
    assert any("end before they start" in v for v in violations(r))


def test_energy_that_is_not_the_power_integral(clean: Results) -> None:
    r = _copy(clean)
    _set(r, it_energy_kwh=r.summary.it_energy_kwh * 1.001)
    with pytest.raises(InvariantViolation, match="it_energy_kwh .* integral"):
        check_invariants(r)
    r = _copy(clean)
    r.timeline.loc[r.timeline.index[1], "it_kw"] += 50.0
    assert any("integral" in v for v in violations(r))


def _costs(total: float, parts: dict[str, float]) -> CostSummary:
    own = cost_option(name="own", cost_accrued_usd=total, by_category_accrued_usd=parts)
    return cost_summary(options=[own])


def test_costs_that_do_not_add_up(clean: Results) -> None:
    r = _copy(clean)
    _set(r, costs=_costs(1_000.0, {"capex": 600.0, "energy": 400.0}))
    assert violations(r) == []
    _set(r, costs=_costs(1_000.0, {"capex": 600.0, "energy": 390.0}))
    with pytest.raises(InvariantViolation, match=r"costs.options\['own'\].*990.00"):
        check_invariants(r)


def _serving(arrived: int, done: int, flying: int, dropped: int) -> dict[str, ServiceSummary]:
    return {
        "chat": service_summary(
            requests_arrived=arrived,
            requests_completed=done,
            requests_in_flight=flying,
            requests_dropped=dropped,
        )
    }


def test_requests_that_vanish(clean: Results) -> None:
    r = _copy(clean)
    _set(r, serving=_serving(10, 7, 2, 1))
    assert violations(r) == []
    _set(r, serving=_serving(10, 7, 1, 1))
    with pytest.raises(InvariantViolation, match="10 requests arrived but 7 completed"):
        check_invariants(r)


def test_requests_table_disagreeing_with_the_summary(clean: Results) -> None:
    import pandas as pd

    r = _copy(clean)
    _set(r, serving=_serving(3, 2, 0, 1))
    r.tables["requests"] = pd.DataFrame(
        {"service": ["chat"] * 3, "status": ["completed", "completed", "dropped"]}
    )
    assert violations(r) == []
    r.tables["requests"].loc[2, "status"] = "completed"
    assert any("requests table has 3" in v for v in violations(r))


def test_simulate_refuses_a_broken_run(monkeypatch, runner, tmp_path: Path) -> None:
    """simulate() checks the laws itself: a corrupted summary never reaches the caller."""
    real = results_module._summarize

    def corrupt(*args, **kwargs):
        summary = real(*args, **kwargs)
        summary["it_energy_kwh"] = summary["it_energy_kwh"] * 2 + 1.0
        return summary

    monkeypatch.setattr(results_module, "_summarize", corrupt)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small_scenario()))
    with pytest.raises(InvariantViolation, match="infrasim bug"):
        simulate(path, catalog=Catalog.load([PROFILES], include_env=False))

    result = runner.invoke(app, ["run", str(path), "--profiles", str(PROFILES)])
    assert result.exit_code == 3
    assert "infrasim bug" in result.stderr and "it_energy_kwh" in result.stderr
    assert "Traceback" not in result.output
