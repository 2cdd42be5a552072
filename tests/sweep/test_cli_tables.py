"""What `infrasim sweep` and `search` print: the front as a table, the progress of runs."""

from __future__ import annotations

import io

import pandas as pd

from simulator.cli import app
from simulator.cli.sweep import RunsBar
from tests.sweep.conftest import PROFILES


def test_search_prints_best_and_front_as_tables(runner, write_spec, tmp_path) -> None:
    spec = write_spec(
        axes=[{"path": "cluster.pools[0].count", "values": [1, 2]}],
        replications=2,
        objectives=[{"metric": "total_gpus"}, {"metric": "mean_wait_s"}],
        metrics=[],
    )
    out = tmp_path / "out"
    args = ["search", str(spec), "--workers", "1", "--out", str(out), "--profiles", str(PROFILES)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    headers = [
        i for i, line in enumerate(lines) if line.split()[:2] == ["point", "cluster.pools[0].count"]
    ]
    assert len(headers) == 2  # best, then the front
    assert lines[headers[0] - 1] == "best (mean ± 95% interval):"
    assert lines[headers[0]].split() == [
        "point",
        "cluster.pools[0].count",
        "total_gpus",
        "mean_wait_s",
    ]
    table = pd.read_parquet(out / "points.parquet")
    front = table[table["pareto"]]
    rows = lines[headers[1] + 2 : headers[1] + 2 + len(front)]
    for row, (_, point) in zip(rows, front.iterrows(), strict=True):
        cells = row.split()
        # the figures as the sweep table has them: 8 GPUs are 8 on every seed (± 0)
        assert cells[:3] == [
            str(point["point"]),
            str(point["cluster.pools[0].count"]),
            f"{point['total_gpus_mean']:,.4g}",
        ]
        assert cells[3:5] == ["±", "0"]


def test_runs_bar_ends_at_the_total() -> None:
    stream = io.StringIO()
    bar = RunsBar(stream)
    bar(4, 10)  # four runs reused from an interrupted sweep
    bar(10, 10)
    bar.close()
    assert "10/10" in stream.getvalue() and stream.getvalue().endswith("\n")
    quiet = io.StringIO()
    RunsBar(quiet).close()  # never drawn: nothing written
    assert quiet.getvalue() == ""
