"""Block growth of lockstep decoding, against a token-by-token count."""

from __future__ import annotations

import numpy as np

from simulator.engine.serving.kv_cache import KvCache


def _brute_growth(contexts: list[int], k: int, bs: int) -> int:
    return sum(-(-(c + k) // bs) - -(-c // bs) for c in contexts)


def test_growth_matches_counting_token_by_token() -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        bs = int(rng.choice([1, 4, 16]))
        kv = KvCache(10**6, bs)
        it = int(rng.integers(0, 1000))
        contexts = rng.integers(1, 400, size=int(rng.integers(1, 30))).tolist()
        for c in contexts:
            kv.phases[kv.phase_of(c, it)] += 1
        for k in (0, 1, 2, bs - 1, bs, bs + 1, 3 * bs + 2, 97):
            assert kv.growth(it, k) == _brute_growth(contexts, k, bs)


def test_max_iterations_stops_before_overflow() -> None:
    kv = KvCache(100, 16)
    contexts = [16, 17, 30, 33]
    for c in contexts:
        kv.phases[kv.phase_of(c, 0)] += 1
    kv.allocate(sum(-(-c // 16) for c in contexts) + 90)
    k, grow = kv.max_iterations(0, 10_000)
    assert grow <= kv.free_blocks < kv.growth(0, k + 1)
    assert grow == kv.growth(0, k)
