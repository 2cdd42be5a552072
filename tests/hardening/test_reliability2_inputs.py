"""Inputs accepted but wrong, and ordinary inputs refused (issue 22, items 4 and 5).

Traces saved by a spreadsheet (a UTF-8 byte-order mark) used to "lack arrival_s"/"job_id";
an empty trace, or one whose rows were all skipped, ran 0 jobs and exited 0; skipped rows were
counted without a reason; `--set cluster.pools.0.count=true` ran a one-node cluster.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.engine.traces import read_helios, read_trace
from simulator.errors import InputError
from simulator.scenario_settings import apply_settings
from tests.conftest import REPO

TRACES = REPO / "tests" / "data" / "traces"
HEADER = "job_id,user,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time"


def test_a_csv_with_a_byte_order_mark_reads_like_one_without(tmp_path: Path) -> None:
    plain = TRACES / "helios_small.csv"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())  # as Excel saves "CSV UTF-8"
    assert read_helios(bom).names == read_helios(plain).names == ["jHcdd5", "jH7b3c", "jH0a1e"]


def test_skipped_rows_carry_their_reasons_and_line_numbers() -> None:
    jobs = read_helios(TRACES / "helios_small.csv")
    # file lines (header = line 1): jHcpu1 (line 4) has 0 GPUs, jH9f20 (line 5) ends as it
    # starts, jH5x5x (line 7) has no start or end time
    assert jobs.skip_reasons == {
        "rows without a whole GPU count in 1..2^31 (gpu_num)": [4],
        "rows with a run time of 0 s or less": [5],
        "rows without readable start_time/end_time": [7],
    }
    assert jobs.skipped == sum(len(v) for v in jobs.skip_reasons.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEADER + "\n", "no job to run: it holds no jobs"),
        (
            HEADER + "\nj0,u,0,1,1,C,2020-04-01 10:00:00,2020-04-01 10:00:00,2020-04-01 11:00:00"
            "\nj1,u,0,1,1,C,2020-04-01 10:00:00,2020-04-01 10:00:00,2020-04-01 11:00:00\n",
            "all 2 rows were skipped: 2 rows without a whole GPU count in 1..2^31 (gpu_num) "
            "(first at 2, 3)",
        ),
        ("", "the trace is empty"),
    ],
    ids=["header-only", "all-skipped", "zero-bytes"],
)
def test_a_trace_with_no_job_to_run_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_trace("helios", path)
    assert expected in str(info.value.problems[0])


def test_run_of_an_all_skipped_trace_exits_non_zero(tmp_path: Path, runner) -> None:
    from simulator.cli import app
    from tests.conftest import write_yaml
    from tests.engine.conftest import PROFILES, base_scenario

    (tmp_path / "t.csv").write_text(HEADER + "\nj0,u,1,1,1,C,bad,bad,bad\n")
    data = base_scenario(nodes=2, workloads={"job_traces": [{"format": "helios", "path": "t.csv"}]})
    scenario = write_yaml(tmp_path / "s.yaml", data)
    result = runner.invoke(app, ["run", str(scenario), "--profiles", str(PROFILES)])
    assert result.exit_code == 2, result.output
    assert "workloads.job_traces[0].path" in result.output and "rows were skipped" in result.output


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("cluster.pools.0.count=true", "expects a number (the file has 4), got true"),
        ("cluster.pools[0].count=false", "expects a number (the file has 4), got false"),
        ("policies.failures.enabled=1", "expects true or false (the file has true), got 1"),
    ],
)
def test_a_boolean_for_a_number_is_refused(setting: str, message: str) -> None:
    data = {"cluster": {"pools": [{"count": 4}]}, "policies": {"failures": {"enabled": True}}}
    with pytest.raises(InputError) as info:
        apply_settings(data, [setting], "s.yaml")
    assert message in str(info.value.problems[0])


def test_a_number_for_a_number_is_still_set() -> None:
    data = {"cluster": {"pools": [{"count": 4}]}}
    assert apply_settings(data, ["cluster.pools.0.count=8"], "s.yaml")["cluster"]["pools"] == [
        {"count": 8}
    ]


def _sweep_files(tmp_path: Path, **spec_changes) -> Path:  # noqa: ANN003
    import yaml

    from tests.sweep.conftest import BASE, SPEC

    (tmp_path / "base.yaml").write_text(yaml.safe_dump(BASE))
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(dict(SPEC, **spec_changes)))
    return spec


def test_a_huge_sweep_is_refused_unasked_and_its_size_printed(tmp_path: Path, runner) -> None:
    from simulator.cli import app
    from simulator.cli.sweep import MAX_RUNS_UNASKED
    from tests.engine.conftest import PROFILES

    replications = MAX_RUNS_UNASKED // 6 + 1  # 6 points: one run over the limit
    spec = _sweep_files(tmp_path, replications=replications)
    args = ["sweep", str(spec), "--out", str(tmp_path / "o"), "--profiles", str(PROFILES)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"{6 * replications:,} runs planned" in result.output
    assert "pass --yes" in result.output
    assert not (tmp_path / "o").exists()


H100 = REPO / "hardware_profiles" / "gpus" / "h100-sxm-80gb.yaml"


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("memory_gib", 81920, "divided by 1024 it would be 80 GiB"),
        ("memory_bandwidth_gb_per_s", 3.35, "multiplied by 1000 it would be 3350 GB/s"),
        ("memory_bandwidth_gb_per_s", 3.35e6, "divided by 1000 it would be 3350 GB/s"),
        ("peak_tflops.fp16", 1e300, "outside what any device has (0.001 to 1e+06 TFLOP/s)"),
        ("peak_tflops.fp16", 1e-300, "outside what any device has (0.001 to 1e+06 TFLOP/s)"),
    ],
)
def test_implausible_profile_figures_show_the_likely_unit_slip(
    field: str, value: float, hint: str
) -> None:
    from simulator.errors import problems_from_validation
    from simulator.schema.gpu import GpuProfile
    from simulator.yaml_io import read_yaml

    data = read_yaml(H100)
    GpuProfile.model_validate(data)  # the shipped profile itself passes
    node = data
    *parents, leaf = field.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    with pytest.raises(Exception) as info:
        GpuProfile.model_validate(data)
    (problem,) = problems_from_validation(info.value, H100)
    assert field in f"{problem.field} {problem.message}" and hint in problem.message


def test_estimate_gemm_on_a_tiny_peak_profile_is_refused_not_overflowed(
    tmp_path: Path, runner
) -> None:
    """Issue 22 item 6: a 1e-300 TFLOP/s peak raised OverflowError in `estimate gemm`."""
    import yaml

    from simulator.cli import app

    data = yaml.safe_load(H100.read_text())
    data["id"] = "tiny-gpu"
    data.pop("matches", None)
    data["peak_tflops"] = {k: 1e-300 for k in data["peak_tflops"]}
    (tmp_path / "gpus").mkdir()
    (tmp_path / "gpus" / "tiny-gpu.yaml").write_text(yaml.safe_dump(data))
    args = ["estimate", "gemm", "--gpu", "tiny-gpu", "--m", "4096", "--n", "4096", "--k", "4096"]
    result = runner.invoke(app, [*args, "--profiles", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "tiny-gpu.yaml: peak_tflops.fp16: 1e-300 TFLOP/s is outside" in result.output
