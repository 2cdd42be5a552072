"""infrasim: infrastructure planning and capacity simulation for AI clusters.

Notebook use::

    import simulator
    loaded = simulator.load_scenario("scenarios/llama3-70b-pretrain-h100.yaml")
    results = simulator.simulate(loaded, seed=1)
    results.summary, results.jobs, results.events, results.timeline

The names below are imported on first use, so `import simulator` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Results", "__version__", "load_scenario", "simulate"]


def __getattr__(name: str) -> Any:
    if name == "load_scenario":
        from simulator.scenario import load_scenario

        return load_scenario
    if name in ("simulate", "Results"):
        from simulator import results

        return getattr(results, name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
