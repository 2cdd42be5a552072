"""Shared pieces of the property-based tests: settings, a small scenario, hostile values.

Examples are derandomized (the same ones every run, so CI is deterministic) and few enough
that the whole directory stays well under a minute on two cores; each example runs under a
watchdog, so a hang fails the test instead of stalling CI.
"""

from __future__ import annotations

import contextlib
import copy
import re
import signal
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.engine.conftest import base_scenario, training_job

FUZZ = settings(
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
"""Deterministic, modest example counts: the properties matter, not the volume."""

FUZZ_CLI = settings(FUZZ, max_examples=40)
"""Fewer examples where each one is a whole CLI invocation (about 0.1-0.2 s)."""

EXAMPLE_TIMEOUT_S = 30
"""One example (parse, validate, simulate a tiny cluster) takes well under a second."""

ERROR_LINE = re.compile(r"^error: \S.*: \S")
"""`error: <file or --set ...>: [<field>: ]<message>`, as `guarded` prints problems."""


@contextlib.contextmanager
def watchdog(seconds: int = EXAMPLE_TIMEOUT_S) -> Iterator[None]:
    """Fail (raise TimeoutError) if the block runs longer than `seconds`: a hang is a bug."""

    def _expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"example ran longer than {seconds} s (a hang?)")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def small_scenario() -> dict[str, Any]:
    """A valid scenario that simulates in well under a second: every part of the schema used."""
    data = base_scenario(
        nodes=2,
        workloads={
            "training_jobs": [training_job(steps=50)],
            "synthetic_jobs": [
                {
                    "name": "mix",
                    "arrivals_per_hour": 2,
                    "gpus_per_job": [1, 8],
                    "mean_duration_hours": 1,
                    "count": 10,
                }
            ],
        },
    )
    data["policies"] = {
        "scheduler": {"kind": "easy_backfill"},
        "placement": {"kind": "pack"},
        "failures": {"enabled": True, "rate_multiplier": 10},
        "power": {"enforcement": "throttle"},
    }
    return copy.deepcopy(data)


def leaf_paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and list indices) to a scalar or empty container in `data`."""
    if isinstance(data, dict) and data:
        return [p for k, v in data.items() for p in leaf_paths(v, (*prefix, k))]
    if isinstance(data, list) and data:
        return [p for i, v in enumerate(data) for p in leaf_paths(v, (*prefix, i))]
    return [prefix]


def set_path(data: Any, path: tuple, value: Any) -> None:
    """Replace the value at `path` in nested `data`."""
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def dotted(path: tuple) -> str:
    """('a', 0, 'b') -> 'a[0].b', as error messages name fields."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def ancestors(path: tuple) -> list[str]:
    """The dotted names of `path` and each enclosing field, longest first."""
    return [dotted(path[:n]) for n in range(len(path), 0, -1)]


# YAML-safe text: no surrogates (unencodable), anything else including control characters.
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 2**63, 2**63 - 1, 10**30, 1e308, -1e-308, 5e-324]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
hostile_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)
"""Wrong types, huge and tiny numbers, NaN and infinities, unicode, nested containers."""


def assert_clean_exit(result: Any, origin_words: tuple[str, ...] = ()) -> list[str]:
    """The command ended with 0 or 2 and no traceback; on 2, every stderr line is a problem.

    Returns the error lines (empty on success).
    """
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    if result.exit_code == 0:
        return []
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines, "exit 2 without a message"
    for line in lines:
        assert ERROR_LINE.match(line), f"not a one-line problem: {line!r}"
        if origin_words:
            assert any(w in line for w in origin_words), f"names no input: {line!r}"
    return lines
