"""`infrasim run --out` saves report.html atomically; `report` and `compare` rebuild pages."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from simulator.cli import app
from tests.conftest import write_yaml
from tests.engine.conftest import PROFILES, base_scenario, training_job


def _scenario(tmp_path: Path, name: str = "engine test", nodes: int = 2) -> Path:
    data = base_scenario(nodes=nodes, workloads={"training_jobs": [training_job(steps=50)]})
    data["name"] = name
    return write_yaml(tmp_path / f"{nodes}.yaml", data)


def _run(runner, scenario: Path, out: Path):
    return runner.invoke(
        app, ["run", str(scenario), "--out", str(out), "--profiles", str(PROFILES)]
    )


def test_run_writes_a_report_that_report_rebuilds_byte_for_byte(runner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(runner, _scenario(tmp_path, name="<script>alert(1)</script> plan"), out)
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; plan" in html
    inputs = pd.read_parquet(out / "inputs.parquet")
    assert {"node", "gpu", "facility", "storage"} <= set(inputs["kind"])
    assert inputs["source"].str.len().min() > 0 and inputs["as_of"].str.len().min() > 0
    assert pd.read_parquet(out / "racks.parquet")["cooling_limit_kw"].iloc[0] > 0
    (out / "report.html").unlink()
    rebuilt = runner.invoke(app, ["report", str(out)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert (out / "report.html").read_text() == html


def test_a_failing_report_leaves_no_output_at_all(runner, tmp_path: Path, monkeypatch) -> None:
    def broken(results):  # noqa: ANN001, ANN202
        raise RuntimeError("render failed")

    # `simulator.cli.run` the attribute is the console entry point; take the module itself.
    monkeypatch.setattr(sys.modules["simulator.cli.run"], "render_report", broken)
    out = tmp_path / "out"
    result = _run(runner, _scenario(tmp_path), out)
    assert result.exit_code != 0
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["2.yaml"]  # no temporary leftovers


def test_compare_writes_one_page_for_several_runs(runner, tmp_path: Path) -> None:
    for nodes in (2, 4):
        result = _run(runner, _scenario(tmp_path, nodes=nodes), tmp_path / f"run{nodes}")
        assert result.exit_code == 0, result.output
    page = tmp_path / "cmp" / "compare.html"
    result = runner.invoke(
        app, ["compare", str(tmp_path / "run2"), str(tmp_path / "run4"), "--out", str(page)]
    )
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert "engine test [run2] vs engine test [run4]" in html
    assert "<h2>GPU busy fraction</h2>" in html


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["report", "{tmp}/missing"], "not a results directory"),
        (["compare", "{tmp}", "--out", "{tmp}/x.html"], "at least two"),
        (["compare", "{tmp}/a", "{tmp}/b", "--out", "{tmp}/x.html"], "not a results directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, tmp_path: Path, args, expected) -> None:
    result = runner.invoke(app, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in result.output
