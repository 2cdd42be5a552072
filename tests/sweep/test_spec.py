"""Spec loading and expansion: grid order, zips, ranges, and errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.errors import InputError
from simulator.scenario import load_scenario
from simulator.schema.sweep import RangeValues
from simulator.sweep import load_sweep
from simulator.sweep.paths import parse_path, setting
from simulator.sweep.spec import range_values
from tests.sweep.conftest import PROFILES


def _problems(excinfo: pytest.ExceptionInfo[InputError]) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in excinfo.value.problems]


def test_grid_is_the_product_first_axis_slowest(write_spec, sweep_catalog) -> None:
    sweep = load_sweep(write_spec(), sweep_catalog)
    assert [p.values for p in sweep.points] == [
        {"cluster.pools[0].count": c, "workloads.synthetic_jobs[0].arrivals_per_hour": a}
        for c in (1, 2, 3)
        for a in (2, 4)
    ]
    assert sweep.points[3].settings == (
        "cluster.pools.0.count=2",
        "workloads.synthetic_jobs.0.arrivals_per_hour=4",
    )
    assert sweep.seed == 1  # the base scenario's seed when the spec gives none


def test_zipped_axis_moves_fields_together_and_ranges_include_stop(
    write_spec, sweep_catalog
) -> None:
    spec = write_spec(
        axes=[
            {
                "name": "shape",
                "zip": [
                    {"path": "cluster.pools.0.count", "values": [1, 2]},
                    {
                        "path": "workloads.training_jobs[0].num_gpus",
                        "range": {"start": 8, "stop": 16, "step": 8},
                    },
                ],
            },
            {"path": "horizon_days", "range": {"start": 0.5, "stop": 1.0, "num": 3}},
        ]
    )
    sweep = load_sweep(spec, sweep_catalog)
    values = [tuple(p.values.values()) for p in sweep.points]
    assert values == [
        (1, 8, 0.5),
        (1, 8, 0.75),
        (1, 8, 1.0),
        (2, 16, 0.5),
        (2, 16, 0.75),
        (2, 16, 1.0),
    ]
    # every point loads through the scenario loader's own --set mechanism
    loaded = load_scenario(sweep.base_path, sweep_catalog, list(sweep.points[4].settings))
    assert loaded.scenario.cluster.pools[0].count == 2
    assert loaded.scenario.workloads.training_jobs[0].num_gpus == 16
    assert loaded.scenario.horizon_days == 0.75


def test_range_values() -> None:
    assert range_values(RangeValues(start=1, stop=10, step=3)) == [1, 4, 7, 10]
    assert range_values(RangeValues(start=0.1, stop=0.3, step=0.1)) == [0.1, 0.2, 0.3]
    assert range_values(RangeValues(start=2, stop=2, num=1)) == [2]


def test_settings_round_trip_through_yaml(tmp_path: Path, sweep_catalog) -> None:
    from simulator.scenario import apply_settings

    for value in (1e20, "yes", "1.0", {"policy": "fixed", "interval_minutes": 30}, [1, 2], None):
        data = apply_settings({"a": {"b": 0}}, [setting(["a", "b"], value)], "t")
        assert data["a"]["b"] == value
    assert parse_path("cluster.pools[0].node.overrides.x") == [
        "cluster",
        "pools",
        0,
        "node",
        "overrides",
        "x",
    ]
    assert parse_path("a..b") is None


@pytest.mark.parametrize(
    ("axes", "field", "words"),
    [
        (
            [{"path": "cluster.pool[0].count", "values": [1]}],
            "axes[0].path",
            "'pool' is not a field",
        ),
        ([{"path": "cluster.pools[3].count", "values": [1]}], "axes[0].path", "no index 3"),
        ([{"path": "horizon_days.x", "values": [1]}], "axes[0].path", "single value"),
        (
            [{"path": "cluster.pools[0].count", "values": [1, "many"]}],
            "axes[0].values[1]",
            "expected a whole number",
        ),
        ([{"path": "seed", "valuez": [1]}], "axes[0].valuez", "unknown key"),
        ([{"path": "seed"}], "axes[0].values", "required"),
        ([{"paths": "seed"}], "axes[0]", "an axis needs"),
        (
            [
                {
                    "zip": [
                        {"path": "seed", "values": [1, 2]},
                        {"path": "horizon_days", "values": [1]},
                    ]
                }
            ],
            "axes[0].zip",
            "equally many",
        ),
        ([{"path": "seed", "range": {"start": 1, "stop": 5}}], "axes[0].range", "step or num"),
    ],
)
def test_spec_errors_name_the_field(write_spec, sweep_catalog, axes, field, words) -> None:
    with pytest.raises(InputError) as excinfo:
        load_sweep(write_spec(axes=axes), sweep_catalog)
    problems = _problems(excinfo)
    assert any(f == field and words in m for f, m in problems), problems


def test_other_spec_errors(write_spec, sweep_catalog, tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        load_sweep(write_spec(base="missing.yaml"), sweep_catalog)
    assert _problems(excinfo) == [("base", "scenario file not found: missing.yaml")]
    with pytest.raises(InputError) as excinfo:
        load_sweep(write_spec(constraints=[{"metric": "peak_it_kw"}]), sweep_catalog)
    assert _problems(excinfo)[0][0] == "constraints[0]"
    with pytest.raises(InputError) as excinfo:
        load_sweep(
            write_spec(objectives=[{"metric": "x", "name": "cluster.pools[0].count"}]),
            sweep_catalog,
        )
    assert _problems(excinfo)[0][0] == "objectives[0].name"
    with pytest.raises(InputError) as excinfo:
        load_sweep(write_spec(), sweep_catalog, replications=0)
    assert _problems(excinfo)[0][0] == "--replications"


def test_a_bad_base_scenario_reports_its_own_file(write_spec, sweep_catalog) -> None:
    from tests.sweep.conftest import base_data

    with pytest.raises(InputError) as excinfo:
        load_sweep(write_spec(scenario=base_data(horizon_days=-1)), sweep_catalog)
    problem = excinfo.value.problems[0]
    assert problem.file.endswith("base.yaml") and problem.field == "horizon_days"


def test_cli_spec_error_is_one_line_and_exit_2(runner, write_spec) -> None:
    from simulator.cli import app

    spec = write_spec(axes=[{"path": "cluster.pools[0].cnt", "values": [1, 2]}])
    result = runner.invoke(app, ["sweep", str(spec), "--profiles", str(PROFILES)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "spec.yaml: axes[0].path: 'cnt' is not a field" in lines[0]
