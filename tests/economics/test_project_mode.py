"""Project mode: "train this once", each option costed until its own world finishes the job."""

from __future__ import annotations

import pytest

from simulator.economics import price_scenario
from simulator.economics.months import MONTH_S
from simulator.errors import InputError
from simulator.results import simulate
from tests.economics.conftest import scenario
from tests.engine.conftest import training_job

YEAR_S = 12 * MONTH_S
OPTIONS = [
    {"name": "od", "sheet": "econtest-cloud"},
    {"name": "own", "sheet": "econtest-owned", "purchase": "owned"},
    {"name": "r1", "sheet": "econtest-cloud", "purchase": "reserved_1yr"},
    {
        "name": "spot",
        "sheet": "econtest-cloud",
        "purchase": "spot",
        "spot_interruptions_per_hour": 0.05,
    },
]
JOB = training_job(
    steps=2_000_000,  # about 104 hours on the one 8-GPU node
    checkpoint={"policy": "fixed", "interval_minutes": 60, "storage": "enginetest-fs"},
)


def _loaded(make, days: float):
    data = scenario(
        nodes=1,
        days=days,
        workloads={"training_jobs": [JOB]},
        pricing={"options": OPTIONS, "mode": "project"},
    )
    return make(data)


@pytest.fixture
def project(make):
    loaded = _loaded(make, days=30)
    results = simulate(loaded)
    return results, price_scenario(loaded, results)


def test_each_option_runs_until_its_own_world_finishes(project):
    """The job (8 GPUs from t = 0) finishes at T s in the scenario as written; spot, with
    reclaims and restarts from the hourly checkpoint, finishes later.

    od: 8 GPUs x T h x $2 = twice the job's GPU-hours (cash = accrued);
    r1: accrued, the term amortised: 8 GPUs x T h x $1 = the job's GPU-hours; cash, the
    whole 12-month term: 8 x 12 x 730.5 h x $1 = $70,128;
    own (1-year life, hall built): accrued servers $100k x T / 1 year; cash the capex
    $100k + $10k + $1,000/kW x 10.2 kW = $120,200 in month 1; residual value (straight-line
    book value, the sheet has no resale curve) $100k x (1 - T / 1 year).
    """
    results, report = project
    job = results.jobs.iloc[0]
    assert job["status"] == "completed"
    t_s, gpu_h = float(job["end_s"]), float(job["gpu_hours"])
    assert gpu_h == pytest.approx(8 * t_s / 3600)
    s = report.summary
    assert s.mode == "project"
    od, own, r1, spot = (s.option(n) for n in ("od", "own", "r1", "spot"))
    assert od.by_category_accrued_usd["compute"] == pytest.approx(2 * gpu_h, abs=16 / 3600)
    assert od.cost_cash_usd == pytest.approx(od.cost_accrued_usd)
    assert r1.by_category_accrued_usd["compute"] == pytest.approx(gpu_h, rel=1e-6)
    whole_term = 8 * 12 * MONTH_S / 3600
    assert r1.cost_cash_usd - r1.cost_accrued_usd == pytest.approx(whole_term - gpu_h, rel=1e-6)
    assert own.by_category_accrued_usd["servers"] == pytest.approx(100_000 * t_s / YEAR_S)
    assert own.residual_value_usd == pytest.approx(100_000 * (1 - t_s / YEAR_S))
    assert own.cost_cash_usd > 120_200 > own.net_cash_usd
    spans = report.tables["cost_options"].set_index("name")["horizon_months"]
    assert spans["od"] == spans["own"] == spans["r1"] == pytest.approx(t_s / MONTH_S)
    assert spans["spot"] > spans["od"]  # reclaimed nodes: the spot world finishes later
    assert s.horizon_months == pytest.approx(spans["spot"])
    assert s.cheapest.net_cash == min(s.options, key=lambda o: o.net_cash_usd).name


def test_a_job_that_does_not_finish_is_an_input_error(make):
    """A 2-day simulation cannot finish a 4-day job: no project cost, a problem naming it."""
    loaded = _loaded(make, days=2)
    with pytest.raises(InputError) as err:
        price_scenario(loaded, simulate(loaded))
    problem = err.value.problems[0]
    assert problem.field == "pricing.options[0]"
    assert "did not finish" in problem.message and "train" in problem.message


def test_project_mode_takes_no_horizon(make):
    loaded = _loaded(make, days=30)
    with pytest.raises(InputError) as err:
        price_scenario(loaded, simulate(loaded), horizon_months=4)
    assert err.value.problems[0].file == "--horizon"


def test_rented_energy_is_the_jobs_draw_when_the_project_ends_before_the_run(project):
    """The job finishes after about 104 h of a 30-day run. In project mode the horizon ends
    there, so an on-demand option's energy is the job's own simulated energy x PUE (all of it
    falls inside the horizon), not that energy scaled down by horizon / simulated time."""
    results, report = project
    od = next(o for o in report.options if o.name == "od")
    job_kwh = float(results.jobs["energy_kwh"].sum())
    pue = results.summary.pue
    assert od.energy_kwh == pytest.approx(job_kwh * pue, rel=1e-6)
