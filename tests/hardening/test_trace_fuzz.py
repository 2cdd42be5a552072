"""Hostile trace files: the readers skip bad rows or name the bad entry, never crash.

Trace files come from the internet (Philly, Helios releases) or from other tools; a job with
a malformed attempt, a GPU count of 2.5, inf or 1e30 must not become a traceback or a job
with a wrong number of GPUs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from simulator.engine.traces import read_helios, read_philly
from simulator.errors import InputError
from tests.hardening.fuzz import FUZZ

json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8),
        st.sampled_from(["2017-10-03 08:00:00", "2017-10-03 09:30:00", "None", ""]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["submitted_time", "attempts", "start_time", "end_time", "detail",
                             "gpus", "jobid", "user", "ip"]),
            inner, max_size=5,
        ),
    ),
    max_leaves=20,
)  # fmt: skip
cells = st.one_of(
    st.sampled_from(["1", "8", "2.5", "inf", "-inf", "nan", "-4", "1e30", "0", "", "x"]),
    st.sampled_from(["2020-04-01 10:00:00", "2020-04-01 12:00:00", "1000-01-01", "garbage"]),
)


def _check(jobs) -> None:
    assert len(jobs.names) == len(jobs.gpus) == len(jobs.submit_s) == len(jobs.duration_s)
    assert all(0 < g <= 2**31 for g in jobs.gpus.tolist())
    assert all(math.isfinite(d) and d > 0 for d in jobs.duration_s.tolist())


@FUZZ
@given(data=st.lists(json_values, max_size=4))
def test_philly_json_of_any_shape(tmp_path: Path, data: list) -> None:
    path = tmp_path / "philly.json"
    path.write_text(json.dumps(data))
    try:
        _check(read_philly(path))
    except InputError as exc:
        assert all(p.file == str(path) and p.field for p in exc.problems)


@FUZZ
@given(rows=st.lists(st.tuples(cells, cells, cells, cells), max_size=5))
def test_helios_csv_with_any_cells(tmp_path: Path, rows: list) -> None:
    path = tmp_path / "cluster_log.csv"
    lines = ["job_id,user,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time"]
    for i, (gpus, submit, start, end) in enumerate(rows):
        lines.append(f"j{i},u,{gpus},1,1,COMPLETED,{submit},{start},{end}")
    path.write_text("\n".join(lines) + "\n")
    jobs = read_helios(path)
    _check(jobs)
    assert len(jobs) + jobs.skipped == len(rows)


def test_philly_malformed_attempt_is_named(tmp_path: Path) -> None:
    """Used to be AttributeError: 'int' object has no attribute 'get'."""
    path = tmp_path / "philly.json"
    path.write_text(json.dumps([{"submitted_time": "2017-10-03 08:00:00", "attempts": [5]}]))
    try:
        read_philly(path)
    except InputError as exc:
        assert "[0].attempts[0]" in str(exc)
    else:
        raise AssertionError("a malformed attempt was accepted")


def test_helios_impossible_gpu_counts_are_skipped(tmp_path: Path) -> None:
    """Used to be IntCastingNaNError for inf, and silently 2 GPUs for 2.5."""
    path = tmp_path / "cluster_log.csv"
    rows = ["job_id,user,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time"]
    for i, gpus in enumerate(["inf", "2.5", "1e30", "4"]):
        rows.append(f"j{i},u,{gpus},1,1,C,2020-04-01 10:00:00,2020-04-01 10:00:00,"
                    "2020-04-01 11:00:00")  # fmt: skip
    path.write_text("\n".join(rows) + "\n")
    jobs = read_helios(path)
    assert jobs.gpus.tolist() == [4] and jobs.skipped == 3


def test_request_trace_token_counts_beyond_int64_are_refused(tmp_path: Path) -> None:
    """Used to wrap around to -9223372036854775808 input tokens."""
    from simulator.engine.serving.arrivals import read_request_trace

    path = tmp_path / "requests.csv"
    path.write_text("arrival_s,input_tokens,output_tokens\n1.0,99999999999999999999999,1\n")
    try:
        read_request_trace(path, "traffic.trace_path")
    except InputError as exc:
        assert "line 2" in str(exc) and "traffic.trace_path" in str(exc)
    else:
        raise AssertionError("a token count beyond int64 was accepted")
