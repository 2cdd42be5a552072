"""Trace adapters: Microsoft Philly and SenseTime Helios formats."""

from __future__ import annotations

import shutil

import pytest

from simulator.engine.traces import read_helios, read_philly
from simulator.errors import InputError
from simulator.results import simulate
from tests.conftest import REPO
from tests.engine.conftest import base_scenario

TRACES = REPO / "tests" / "data" / "traces"


def test_philly() -> None:
    jobs = read_philly(TRACES / "philly_small.json")
    # no attempt (10240) and no finished attempt (10241) are skipped
    assert jobs.skipped == 2
    assert jobs.names == [
        "application_1506638472019_10238",
        "application_1506638472019_10242",
        "application_1506638472019_10239",
    ]
    assert jobs.users == ["alice", "dave", "bob"]
    assert list(jobs.submit_s) == [0.0, 741.0, 1800.0]
    # the last attempt's GPUs (16 over two machines); attempts' durations add up
    assert list(jobs.gpus) == [4, 2, 16]
    assert list(jobs.duration_s) == [3600.0, 1800.0, 600.0 + 1200.0]


def test_helios() -> None:
    jobs = read_helios(TRACES / "helios_small.csv", time_scale=0.5)
    # a CPU-only job, a zero-length job and one without start/end are skipped
    assert jobs.skipped == 3
    assert jobs.names == ["jHcdd5", "jH7b3c", "jH0a1e"]
    assert list(jobs.submit_s) == [0.0, (180 - 14) * 0.5, (600 - 14) * 0.5]
    assert list(jobs.gpus) == [8, 2, 16]
    assert list(jobs.duration_s) == [7200 * 0.5, 3600 * 0.5, 900 * 0.5]


def test_max_jobs_keeps_the_earliest() -> None:
    jobs = read_helios(TRACES / "helios_small.csv", max_jobs=2)
    assert jobs.names == ["jHcdd5", "jH7b3c"]


def test_bad_files_are_input_errors(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("job_id,user\n1,u\n")
    with pytest.raises(InputError) as info:
        read_helios(bad)
    assert "missing Helios columns" in str(info.value)
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}')
    with pytest.raises(InputError):
        read_philly(bad)


@pytest.mark.parametrize(
    ("fmt", "name", "reader"),
    [("philly", "philly_small.json", read_philly), ("helios", "helios_small.csv", read_helios)],
)
def test_replay_in_a_scenario(tmp_path, make, fmt, name, reader) -> None:
    shutil.copy(TRACES / name, tmp_path / name)  # paths are relative to the scenario file
    data = base_scenario(nodes=2, workloads={"job_traces": [{"format": fmt, "path": name}]})
    res = simulate(make(data))
    trace = reader(TRACES / name)
    assert res.summary["jobs_completed"] == len(trace)
    assert res.summary["trace_jobs_skipped"] == trace.skipped
    assert set(res.jobs["kind"]) == {"trace"}
    jobs = res.jobs.set_index("name")
    for job, user, submit, gpus, duration in zip(
        trace.names, trace.users, trace.submit_s, trace.gpus, trace.duration_s, strict=True
    ):
        assert jobs.loc[job, "tenant"] == user
        assert jobs.loc[job, "submit_s"] == submit
        assert jobs.loc[job, "num_gpus"] == gpus
        assert jobs.loc[job, "end_s"] - jobs.loc[job, "start_s"] == pytest.approx(duration)
