"""A notebook-style tour of the Python API: load a scenario, change it, simulate, compare.

    python examples/notebook_tour.py [OUT_DIR]

Runs the shipped Llama 3 70B pre-training scenario twice, with and without hot spare nodes,
and prints how much of the run's wall time went to useful steps in each case. With an
OUT_DIR it also saves the second run's tables there (Parquet + summary.json).
"""

from __future__ import annotations

import sys
from pathlib import Path

import simulator

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "llama3-70b-pretrain-h100.yaml"


def main(out: str | None = None) -> dict[str, float]:
    """Simulate the scenario with and without spares; return goodput by variant."""
    goodput: dict[str, float] = {}
    variants = {
        "4 hot spares": [],
        "no spares": [
            "cluster.pools.0.count=128",
            "policies.placement.params.spare_nodes_per_pool=0",
        ],
    }
    for label, settings in variants.items():
        loaded = simulator.load_scenario(SCENARIO, settings=settings)
        results = simulator.simulate(loaded, seed=7)
        job = results.jobs.iloc[0]
        goodput[label] = float(job["goodput"])
        print(
            f"{label:>13}: {job['failures']} failures, finished on day "
            f"{job['end_s'] / 86400:.1f}, goodput {job['goodput']:.1%}, "
            f"{results.summary['facility_energy_kwh'] / 1000:,.0f} MWh at the meter"
        )
    if out is not None:
        results.save(out)
        print(f"tables of the last run in {out}: {sorted(p.name for p in Path(out).iterdir())}")
    return goodput


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
