"""Where the built-in data lives, in a source checkout and in an installed wheel.

The wheel carries `hardware_profiles/` and `scenarios/` inside the package as `simulator/_data/`
(see pyproject.toml); a source checkout or editable install reads them from the repo root.
`scenario_path` and `sweep_path` let a bare name (`llama3-70b-pretrain-h100`) stand for a
shipped file, wherever it was installed.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def builtin_profiles_dir() -> Path:
    """The shipped hardware catalog."""
    return _data_dir("hardware_profiles")


def builtin_scenarios_dir() -> Path:
    """The shipped scenarios (and model presets under `models/`)."""
    return _data_dir("scenarios")


SCENARIO_SUFFIXES = (".yaml", ".yml")
SWEEPS_DIR = "sweeps"
"""Shipped sweep specs live under `scenarios/sweeps/`."""


def shipped_scenarios() -> list[Path]:
    """The runnable scenarios that ship with infrasim, by file name."""
    return _yaml_in(builtin_scenarios_dir())


def shipped_sweeps() -> list[Path]:
    """The sweep specs that ship with infrasim, by file name."""
    return _yaml_in(builtin_scenarios_dir() / SWEEPS_DIR)


def _yaml_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in SCENARIO_SUFFIXES and p.is_file())


def scenario_path(text: str | Path) -> Path:
    """The scenario file `text` names: the path itself when it exists, else a shipped scenario.

    After `pip install` the shipped scenarios sit inside the package, where nobody would type
    their path; a bare name (`llama3-70b-pretrain-h100`, with or without `.yaml`) finds them.
    A name that matches neither comes back unchanged, for the loader to report as missing.
    """
    return _shipped_or_given(text, shipped_scenarios())


def sweep_path(text: str | Path) -> Path:
    """The sweep spec `text` names: the path itself when it exists, else a shipped sweep."""
    return _shipped_or_given(text, shipped_sweeps())


def _shipped_or_given(text: str | Path, shipped: list[Path]) -> Path:
    path = Path(text)
    if path.exists() or path.name != str(text):  # a path with a folder means that path
        return path
    for candidate in shipped:
        if path.name in (candidate.name, candidate.stem):
            return candidate
    return path
