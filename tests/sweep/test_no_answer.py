"""`infrasim search` with no feasible point: the table and page are written, the exit is 4.

A script reading only the exit status must not take "nothing meets the deadline" for an answer.
"""

from __future__ import annotations

import json

import pytest

from simulator.cli import app
from simulator.cli.common import EXIT_NO_ANSWER
from tests.sweep.conftest import PROFILES


@pytest.mark.parametrize("as_json", [False, True])
def test_search_without_a_feasible_point_exits_4(runner, write_spec, tmp_path, as_json) -> None:
    spec = write_spec(
        axes=[{"path": "cluster.pools[0].count", "values": [1, 2]}],
        # a 20,000-step job cannot finish in 36 seconds on any point: all pruned by the bound
        constraints=[{"metric": "time_to_train_h", "max": 0.01}],
        objectives=[{"metric": "total_gpus"}],
        metrics=[],
    )
    out = tmp_path / "out"
    args = ["search", str(spec), "--workers", "1", "--out", str(out), "--profiles", str(PROFILES)]
    result = runner.invoke(app, [*args, "--json"] if as_json else args)
    assert result.exit_code == EXIT_NO_ANSWER == 4, result.output
    assert "no configuration meets every constraint" in result.stderr
    assert (out / "points.csv").is_file() and (out / "report.html").is_file()
    if as_json:
        answer = json.loads(result.stdout)
        assert answer["best"] is None and answer["points"] == 2
