"""What a run is built from: the scenario, its resolved World and where its file lies.

`simulator.load_scenario` returns a `LoadedScenario`, which is one; the engine reads nothing
else of it. The World holds every profile the scenario names, resolved once, so the engine
never sees a catalog; the path is for error messages and for files the scenario names
(traces), which are found next to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from simulator.schema.scenario import Scenario
from simulator.world import World


class RunInputs(Protocol):
    """A scenario, its World and its file: all a Simulation reads."""

    @property
    def scenario(self) -> Scenario:
        """The validated scenario."""
        ...

    @property
    def world(self) -> World:
        """The profiles it names, resolved."""
        ...

    @property
    def path(self) -> Path:
        """The scenario file (problems name it; trace paths are relative to it)."""
        ...

    def resolve_path(self, relative: str, field_name: str = "") -> Path:
        """A file the scenario names, found next to it (`InputError` names `field_name`)."""
        ...
