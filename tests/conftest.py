"""Shared fixtures: the built-in catalog, a CLI runner, and a scratch profile tree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from simulator.catalog import Catalog

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The shipped catalog (loaded once)."""
    return Catalog.load(include_env=False)


@pytest.fixture
def runner() -> CliRunner:
    """A typer CliRunner."""
    return CliRunner()


def write_yaml(path: Path, data: object) -> Path:
    """Write `data` as YAML, creating parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def h100_data() -> dict:
    """The shipped H100 profile as plain data, to mutate in tests."""
    return yaml.safe_load((REPO / "hardware_profiles/gpus/h100-sxm-80gb.yaml").read_text())
