"""The examples run as written (fixed seed), and say what their docstrings promise."""

from __future__ import annotations

import runpy
from pathlib import Path

from simulator.results import Results
from tests.conftest import REPO


def test_notebook_tour(tmp_path: Path, capsys) -> None:
    module = runpy.run_path(str(REPO / "examples" / "notebook_tour.py"))
    goodput = module["main"](str(tmp_path / "out"))
    # without spares a failed node stalls the job until its repair: less useful time
    assert goodput["4 hot spares"] > goodput["no spares"]
    assert "hot spares" in capsys.readouterr().out
    assert Results.load(tmp_path / "out").summary["scenario"]
