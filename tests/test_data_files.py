"""Every YAML file shipped in the repo validates against its schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.catalog import parse_model, parse_profile
from simulator.scenario import load_scenario
from simulator.yaml_io import read_yaml

REPO = Path(__file__).resolve().parents[1]
PROFILE_FILES = sorted((REPO / "hardware_profiles").rglob("*.yaml"))
MODEL_FILES = sorted((REPO / "scenarios" / "models").glob("*.yaml"))
SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.yaml"))


def _ids(files: list[Path]) -> list[str]:
    return [str(f.relative_to(REPO)) for f in files]


@pytest.mark.parametrize("path", PROFILE_FILES, ids=_ids(PROFILE_FILES))
def test_profile_file_is_valid(path: Path) -> None:
    profile = parse_profile(read_yaml(path), path)
    assert profile.source and profile.as_of


@pytest.mark.parametrize("path", MODEL_FILES, ids=_ids(MODEL_FILES))
def test_model_preset_is_valid(path: Path) -> None:
    model = parse_model(read_yaml(path), path)
    assert model.id == path.stem


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_ids(SCENARIO_FILES))
def test_scenario_file_is_valid(path: Path, catalog) -> None:
    loaded = load_scenario(path, catalog)
    assert loaded.total_gpus > 0


def test_the_catalog_covers_every_kind(catalog) -> None:
    for kind, profiles in catalog.profiles.items():
        assert profiles, f"no {kind} profiles shipped"
    required_gpus = {
        "v100-sxm-32gb",
        "a100-sxm-80gb",
        "h100-sxm-80gb",
        "h200-sxm-141gb",
        "b200-sxm-180gb",
        "gb200",
        "mi300x",
        "l40s",
    }
    assert required_gpus <= set(catalog.profiles["gpu"])
    presets = {"gpt3-175b", "llama3-8b", "llama3-70b", "llama3-405b", "mixtral-8x7b", "deepseek-v3"}
    assert presets <= set(catalog.models)


def test_there_are_shipped_scenarios() -> None:
    assert len(SCENARIO_FILES) >= 2
