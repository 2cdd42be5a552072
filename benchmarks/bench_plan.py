"""`infrasim plan` on the shipped training goal: time from goal to ranked answer.

    python benchmarks/bench_plan.py
    python benchmarks/bench_plan.py --workers 2 --backend ray --json-out figures.json

The goal (scenarios/goals/llama3-70b-2T-60d.yaml) spans every priced node type (7), five node
counts each, the automatic layout at each, and every purchase option those nodes are sold
under (on demand on four sheets, spot, reserved 1 and 3 years, capacity blocks, colocation on
two on-prem sheets); the 12 finalists run with 3 seeds, then the sensitivity reruns. Target:
60 s on 2 cores (the machine's load is printed beside the figure: on a shared box it moves).
With `--backend ray`, Ray's start-up is timed apart and not held to the target.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.figures import figure, write_figures  # noqa: E402
from simulator.plan import plan_goal  # noqa: E402
from simulator.plan.space import build_space  # noqa: E402

GOAL = ROOT / "scenarios" / "goals" / "llama3-70b-2T-60d.yaml"
TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    startup_s = 0.0
    if args.backend == "ray":
        import ray

        t = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
        startup_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        outcome = plan_goal(GOAL, Path(tmp) / "out", backend=args.backend, workers=args.workers)
        elapsed = time.perf_counter() - t
    if args.backend == "ray":
        ray.shutdown()
    from simulator.sweep.worker import catalog_for

    families = build_space(catalog_for(()), outcome.goal)
    nodes = sorted({f.node for f in families})
    options = sorted({c.name for f in families for c in f.purchases})
    runs = outcome.ran + outcome.reused
    print(
        f"plan {GOAL.name}: {len(nodes)} node types, {len(families)} families, "
        f"{len(options)} purchase options, {len(outcome.finalists)} finalists x "
        f"{outcome.goal.options.seeds} seeds ({runs} runs with sensitivity): {elapsed:.1f} s "
        f"on {args.workers} {args.backend} workers (load {load:.2f} before; target "
        f"{TARGET_S:.0f} s)"
        + (f"; Ray start-up {startup_s:.1f} s" if args.backend == "ray" else "")
    )
    write_figures(
        args.json_out,
        [
            figure(
                f"plan, {args.workers} {args.backend} workers",
                elapsed,
                "s",
                target=f"<= {TARGET_S:.0f} s",
                met=elapsed <= TARGET_S,
            )
        ],
    )


if __name__ == "__main__":
    main()
