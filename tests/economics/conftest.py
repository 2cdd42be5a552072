"""Economics test helpers: engine test profiles plus round-number price sheets."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from simulator.catalog import Catalog
from simulator.economics.months import MONTH_S
from simulator.scenario import LoadedScenario, load_scenario
from tests.conftest import write_yaml
from tests.engine.conftest import PROFILES as ENGINE_PROFILES
from tests.engine.conftest import base_scenario

PROFILES = Path(__file__).parent / "profiles"
ONE_MONTH_DAYS = MONTH_S / 86400.0


def scenario(nodes: int = 4, days: float = ONE_MONTH_DAYS, **changes: Any) -> dict:
    """A small scenario on engine test nodes (8 GPUs each), failures off."""
    data = base_scenario(nodes, **changes)
    data["horizon_days"] = days
    return data


def fixed_jobs(count: int, gpus: int, hours: float, per_hour: float = 1.0) -> dict:
    """Synthetic fixed-length jobs."""
    return {
        "name": "jobs",
        "arrivals_per_hour": per_hour,
        "gpus_per_job": [gpus],
        "mean_duration_hours": hours,
        "duration": "fixed",
        "count": count,
    }


@pytest.fixture(scope="session")
def econ_catalog() -> Catalog:
    """Built-in profiles plus engine and economics test profiles."""
    return Catalog.load([ENGINE_PROFILES, PROFILES], include_env=False)


@pytest.fixture
def make(tmp_path: Path, econ_catalog: Catalog):
    """make(data) -> LoadedScenario written to a temp file."""
    counter = {"n": 0}

    def _make(data: dict) -> LoadedScenario:
        counter["n"] += 1
        return load_scenario(write_yaml(tmp_path / f"e{counter['n']}.yaml", data), econ_catalog)

    return _make


@contextmanager
def patched_profile(catalog: Catalog, kind: str, profile_id: str, update):  # noqa: ANN001
    """Temporarily replace a catalog profile with `update(data)` applied to its data."""
    original = catalog.profiles[kind][profile_id]
    data = original.model_dump()
    update(data)
    catalog.profiles[kind][profile_id] = type(original).model_validate(data)
    try:
        yield
    finally:
        catalog.profiles[kind][profile_id] = original
