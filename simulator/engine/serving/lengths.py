"""Token counts of requests, drawn from a `LengthDistribution` (fixed, uniform, lognormal,
empirical).

Serving cost is driven by prompt and answer lengths more than by request counts: a prefill is
compute-bound in the prompt, a decode memory-bound in the context. Lengths are whole tokens,
at least 1; a lognormal is given by its median (e^mu), so the number planners quote from their
logs goes straight into the file.
"""

from __future__ import annotations

import numpy as np

from simulator.schema.scenario import LengthDistribution

MAX_TOKENS = 1_000_000
"""Longest request drawn (a lognormal tail is clipped here; no served model reads more)."""


def sample_lengths(dist: LengthDistribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` token counts (int64, each in [1, MAX_TOKENS]) from `dist`."""
    if dist.kind == "fixed":
        out = np.full(n, dist.value, dtype=np.int64)
    elif dist.kind == "uniform":
        low, high = int(dist.low or 1), int(dist.high or 1)
        out = rng.integers(low, high + 1, size=n, dtype=np.int64)
    elif dist.kind == "lognormal":
        draws = rng.lognormal(np.log(dist.median), dist.sigma, size=n)  # type: ignore[arg-type]
        out = np.rint(draws).astype(np.int64)
    else:
        values = np.asarray(dist.values, dtype=np.int64)
        out = values[rng.integers(0, len(values), size=n)]
    return np.clip(out, 1, MAX_TOKENS)
