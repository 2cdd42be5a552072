"""The nccl-tests parser: generated logs in every layout parse back to their table; bad input
is an InputError that says what to add; the import's cost grows linearly with rows."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibrate import nccl_tests
from calibrate.fit_collectives import MAX_FIT_POINTS, fit_one, thin
from calibrate.nccl_tests import parse_log
from calibrate.nccl_text import half_ulp, version_from_code
from simulator.errors import InputError
from tests.calibrate.nccl_logs import LAYOUTS, PREFIXES, Table, float_str, write_log

OPS = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all")


def table_for(op: str, ranks: int, launch_us: float, algbw: float) -> Table:
    sizes = tuple(2**e for e in range(3, 34))
    return Table(op, ranks, sizes, tuple(launch_us + s / (algbw * 1e3) for s in sizes))


tables = st.builds(
    table_for,
    st.sampled_from(OPS),
    st.integers(2, 72),
    st.floats(5.0, 300.0),
    st.floats(5.0, 900.0),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=tables,
    layout=st.sampled_from(LAYOUTS),
    prefix=st.sampled_from(PREFIXES),
    devices=st.sampled_from(("all", "first", "none")),
    op_line=st.sampled_from(("header", "command")),
    hashes=st.booleans(),
)
def test_generated_logs_parse_back(
    table: Table, layout: str, prefix: str, devices: str, op_line: str, hashes: bool
) -> None:
    text = write_log(
        table, layout=layout, prefix=prefix, devices=devices, op_line=op_line, hashes=hashes
    )
    if layout == "nccl-2.9":
        op_line = "command"  # 2.9 printed no 'Collective test starting' line
        text = write_log(table, layout=layout, prefix=prefix, devices=devices, op_line=op_line)
    try:
        (run,) = parse_log(text, "gen.log")
    except InputError as exc:
        # only an honest ambiguity is allowed: the ratio admits several n, the truth among them
        message = str(exc)
        assert "pass --ranks" in message, message
        low, high = (int(x) for x in message.split("allows ")[1].split(" ranks")[0].split(" to "))
        assert low <= table.ranks <= high
        return
    assert run.op == table.op
    assert run.ranks == table.ranks
    assert run.gpu == (table.gpu if devices != "none" else None)
    assert [r.size for r in run.rows] == list(table.sizes)
    for row, truth in zip(run.rows, table.times_us, strict=True):
        printed = float_str(truth, 7)
        assert abs(row.time_us - truth) <= half_ulp(printed.strip()) + 1e-9


def test_nranks_line_and_flags_beat_the_ratio() -> None:
    table = table_for("all_reduce", 1152, 20.0, 400.0)  # 16 racks of 72: the ratio cannot tell
    text = write_log(table, devices="first")
    with pytest.raises(InputError, match="pass --ranks"):
        parse_log(text, "x")
    (run,) = parse_log(write_log(table, devices="first", nranks_line=True), "x")
    assert run.ranks == 1152 and "nranks" in run.assumptions[1]
    (run,) = parse_log(text, "x", ranks=1152, op="all_reduce", gpu="NVIDIA GB200")
    assert (run.ranks, run.gpu) == (1152, "NVIDIA GB200")


def test_broadcast_needs_the_device_lines() -> None:
    table = table_for("broadcast", 8, 10.0, 100.0)
    (run,) = parse_log(write_log(table), "x")
    assert (run.op, run.ranks) == ("broadcast", 8)
    with pytest.raises(InputError, match="pass --ranks"):
        parse_log(write_log(table, devices="none"), "x")


def test_concatenated_runs_are_split() -> None:
    first = write_log(table_for("all_reduce", 8, 10.0, 300.0), op_line="command")
    second = write_log(table_for("all_gather", 16, 30.0, 200.0), op_line="header")
    runs = parse_log(first + second, "x")
    assert [(r.op, r.ranks) for r in runs] == [("all_reduce", 8), ("all_gather", 16)]
    assert runs[1].first_line > runs[0].first_line
    # a second sweep pasted under the first with no header of its own
    rows = [line for line in first.splitlines() if line.strip() and not line.startswith(("#", "$"))]
    (one, two) = parse_log(first + "\n".join(rows) + "\n", "x")
    assert len(one.rows) == len(two.rows) == 31 and two.op == "all_reduce"
    assert "second sweep" in two.assumptions[0]


def test_op_and_unmodelled_ops() -> None:
    table = table_for("all_reduce", 8, 10.0, 300.0)
    with pytest.raises(InputError, match="pass --op"):
        parse_log(write_log(table, op_line="none"), "x")
    text = write_log(table, op_line="none").replace("# nThread", "$ ./sendrecv_perf\n# nThread")
    with pytest.raises(InputError, match="does not fit sendrecv"):
        parse_log(text, "x")
    both = write_log(table, op_line="none").replace(
        "# nThread", "$ ./all_gather_perf; ./alltoall_perf\n# nThread"
    )
    with pytest.raises(InputError, match="names several tests"):
        parse_log(both, "x")


def test_versions() -> None:
    assert version_from_code(21903) == "2.19.3" and version_from_code(2708) == "2.7.8"
    (run,) = parse_log(write_log(table_for("all_reduce", 8, 10.0, 300.0)), "x")
    assert run.nccl_version == "2.19.3"
    info = "host:1:1 [0] NCCL INFO NCCL version 2.9.9+cuda11.3\n"
    (run,) = parse_log(
        info
        + write_log(table_for("all_reduce", 8, 10.0, 300.0), layout="nccl-2.9", op_line="command"),
        "x",
    )
    assert run.nccl_version == "2.9.9"


def _json(rows: int = 31) -> dict:
    table = table_for("all_gather", 8, 10.0, 300.0)
    return {
        "version": 2,
        "args": ["./build/all_gather_perf", "-g", "8"],
        "nccl_version": 22703,
        "config": {"nthreads": 1, "ngpus": 8, "devices": [{"device_info": table.gpu}]},
        "results": [
            {
                "size": s,
                "out_of_place": {
                    "time": t,
                    "alg_bw": s / t / 1e3,
                    "bus_bw": s / t / 1e3 * 7 / 8,
                    "nwrong": 0,
                },
            }
            for s, t in zip(table.sizes[:rows], table.times_us, strict=False)
        ],
    }


def test_json_layout_and_its_failures() -> None:
    (run,) = parse_log(json.dumps(_json()), "x.json")
    assert (run.op, run.ranks, run.nccl_version) == ("all_gather", 8, "2.27.3")
    with pytest.raises(InputError, match="nested too deeply"):
        parse_log("[" * 100_000 + "]" * 100_000, "deep.json")
    with pytest.raises(InputError, match="malformed JSON at line 1"):
        parse_log(json.dumps(_json())[:-40], "cut.json")
    with pytest.raises(InputError, match="no result rows"):
        parse_log(json.dumps({"results": [{"size": "8", "out_of_place": [1]}, 3]}), "odd.json")
    with pytest.raises(InputError, match="expected a list of result records"):
        parse_log(json.dumps({"results": {"size": 8}}), "odd.json")
    with pytest.raises(InputError, match="expected an nccl-tests -J object"):
        parse_log("[1, 2]", "list.json")


def test_input_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "big.log"
    log.write_text(write_log(table_for("all_reduce", 8, 10.0, 300.0)))
    monkeypatch.setattr(nccl_tests, "MAX_LOG_BYTES", 1000)
    with pytest.raises(InputError, match="reads at most"):
        nccl_tests.read_nccl_tests(log)


def _linear_log(rows: int) -> str:
    """One run stepping linearly in size (nccl-tests -i), as the 9.3k-row report had."""
    sizes = tuple(1_048_576 * (i + 1) for i in range(rows))
    table = Table("all_reduce", 8, sizes, tuple(20.0 + s / 300e3 for s in sizes))
    return write_log(table)


def _import_s(rows: int) -> float:
    text = _linear_log(rows)
    start = time.perf_counter()
    (run,) = parse_log(text, "x")
    fit_one(run.points())
    return time.perf_counter() - start


def test_import_cost_is_linear_in_rows() -> None:
    """9.3k rows took 18 s and 93k over 60 s before: parse is one pass, the fit sees at most
    MAX_FIT_POINTS sizes. 10x the rows must cost well under 20x (and seconds, not minutes)."""
    small = min(_import_s(930) for _ in range(2))
    big = _import_s(9300)
    assert big < 20 * small + 0.5, (small, big)
    assert big < 20.0


def test_thin_keeps_the_span() -> None:
    text = _linear_log(2000)
    points = parse_log(text, "x")[0].points()
    kept = thin(points)
    assert len(kept) <= MAX_FIT_POINTS
    assert kept[0].size_bytes == points[0].size_bytes
    assert math.log(kept[-1].size_bytes) > 0.95 * math.log(points[-1].size_bytes)
