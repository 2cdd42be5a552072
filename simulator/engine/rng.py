"""Random streams: one numpy Generator per subsystem, spawned from the scenario seed.

Streams are addressed by name and an optional index (`streams.get("failures", job_index)`), and
each maps to a fixed `SeedSequence` spawn key. Adding a synthetic job source therefore never
shifts the failure times a training job draws, and the same seed gives the same run.
"""

from __future__ import annotations

import numpy as np

SUBSYSTEMS: tuple[str, ...] = (
    "arrivals",
    "failures",
    "placement",
    "scheduler",
    "storage",
    "spot",
)
"""Known subsystems; the position is part of the spawn key, so only ever append."""


class Streams:
    """Named, independent random generators derived from one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._cache: dict[tuple[str, int], np.random.Generator] = {}

    def get(self, subsystem: str, index: int = 0) -> np.random.Generator:
        """The generator of `subsystem` (and `index` within it, e.g. one per job source)."""
        key = (subsystem, index)
        generator = self._cache.get(key)
        if generator is None:
            position = SUBSYSTEMS.index(subsystem)
            sequence = np.random.SeedSequence(self.seed, spawn_key=(position, index))
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._cache[key] = generator
        return generator
