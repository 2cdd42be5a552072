"""The run store: durable lines, a torn last line cut off, foreign directories refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.errors import InputError
from simulator.sweep.store import RunStore, run_key


def _record(key: str) -> dict:
    return {
        "key": key,
        "point": 0,
        "replication": 0,
        "seed": 1,
        "status": "ok",
        "error": None,
        "figures": {"x": 1.0},
        "elapsed_s": 0.1,
    }


def test_records_survive_and_a_torn_last_line_is_cut(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "out")
    store.append(_record("a"))
    store.append(_record("b"))
    with open(store.path, "a") as f:
        f.write('{"key": "c", "poi')  # killed in the middle of a write
    reopened = RunStore(tmp_path / "out")
    assert sorted(reopened.records) == ["a", "b"]
    reopened.append(_record("c"))
    lines = store.path.read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["a", "b", "c"]


def test_a_directory_holding_other_things_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError) as excinfo:
        RunStore(tmp_path)
    assert excinfo.value.problems[0].field == "--out"


def test_keys_change_with_what_determines_a_result() -> None:
    key = run_key("sha", ("a=1",), 1, ())
    assert key == run_key("sha", ("a=1",), 1, ())
    assert (
        len(
            {
                key,
                run_key("sha2", ("a=1",), 1, ()),
                run_key("sha", ("a=2",), 1, ()),
                run_key("sha", ("a=1",), 2, ()),
                run_key("sha", ("a=1",), 1, ("/p",)),
            }
        )
        == 5
    )
