"""Sweeps and search: many variants of one scenario, several seeds each, locally or on Ray.

- `load_sweep(spec)`: read and check a sweep spec (`simulator.schema.sweep`), expand its axes.
- `run_sweep(sweep, out)`: simulate every point (resumable from `out/runs.jsonl`), tabulate
  mean and 95% interval per figure, write `points.parquet`, `points.csv` and `report.html`.
- `search(sweep, out)`: prune the grid with analytical lower bounds, simulate the survivors,
  return the cheapest feasible point and the Pareto front.

Files: spec (load, expand), paths (axis paths), worker (one run), store (resume), backends
(local pool, Ray), stats (t intervals), table, pareto, bounds (analytical estimates), runner,
search, outputs.
"""

from simulator.sweep.runner import SweepOutcome, run_sweep
from simulator.sweep.search import SearchOutcome, search
from simulator.sweep.spec import LoadedSweep, load_sweep

__all__ = ["LoadedSweep", "SearchOutcome", "SweepOutcome", "load_sweep", "run_sweep", "search"]
