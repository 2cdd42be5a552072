"""Where the built-in data lives, in a source checkout and in an installed wheel.

The wheel carries `hardware_profiles/` and `scenarios/` inside the package as `simulator/_data/`
(see pyproject.toml); a source checkout or editable install reads them from the repo root.
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
