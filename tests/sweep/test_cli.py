"""`infrasim sweep`: output files, a readable summary, bad options as one line and exit 2."""

from __future__ import annotations

import re

import pandas as pd

from simulator.cli import app
from simulator.report.page import plotly_js
from tests.sweep.conftest import PROFILES


def test_sweep_writes_table_and_page(runner, write_spec, tmp_path) -> None:
    spec = write_spec(replications=2)
    out = tmp_path / "out"
    args = ["sweep", str(spec), "--workers", "2", "--out", str(out), "--profiles", str(PROFILES)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "6 points x 2 seed(s); 12 runs simulated now, 0 reused" in result.output
    table = pd.read_parquet(out / "points.parquet")
    csv = pd.read_csv(out / "points.csv")
    assert list(csv.columns) == list(table.columns)
    numbers = ["point", "total_gpus_mean", "mean_wait_s_mean", "it_energy_kwh_ci95"]
    pd.testing.assert_frame_equal(csv[numbers], table[numbers], check_dtype=False)
    assert list(table.columns[:4]) == [
        "point",
        "cluster.pools[0].count",
        "workloads.synthetic_jobs[0].arrivals_per_hour",
        "status",
    ]
    html = (out / "report.html").read_text()
    assert html.count(plotly_js()) == 1
    assert re.findall(r"<h2>(.*?)</h2>", html) == [
        "Summary",
        "Pareto front",
        "Sensitivity to cluster.pools[0].count",
        "Sensitivity to workloads.synthetic_jobs[0].arrivals_per_hour",
        "All points",
    ]
    rerun = runner.invoke(app, [*args, "--replications", "3"])
    assert "6 runs simulated now, 12 reused" in rerun.output


def test_bad_options_exit_2(runner, write_spec, tmp_path) -> None:
    spec = str(write_spec())
    profiles = ["--profiles", str(PROFILES), "--out", str(tmp_path / "o")]
    for extra, words in (
        (["--backend", "slurm"], "--backend: slurm: expected one of local, ray"),
        (["--workers", "0"], "--workers: 0: must be at least 1"),
        (["--address", "10.0.0.1:6379"], "only the ray backend connects"),
        (["--replications", "0"], "--replications: must be at least 1"),
    ):
        result = runner.invoke(app, ["sweep", spec, *profiles, *extra])
        assert result.exit_code == 2, result.output
        assert words in result.output and len(result.output.strip().splitlines()) == 1
