"""Every shipped sweep spec loads: its base scenario, axis paths and values are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.sweep import load_sweep

REPO = Path(__file__).resolve().parents[2]
SPECS = sorted((REPO / "scenarios" / "sweeps").glob("*.yaml"))


def test_there_is_an_example() -> None:
    assert SPECS


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_shipped_sweep_spec_is_valid(path: Path, catalog) -> None:
    sweep = load_sweep(path, catalog)
    assert sweep.points and sweep.spec.objectives
