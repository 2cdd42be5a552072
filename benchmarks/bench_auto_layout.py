"""Time the automatic layout search: Llama 3 405B on 16,384 H100 and Llama 3 70B on 1,024.

Target: the 405B search within 0.5 s on one core (issue #17). The search prunes by
divisibility, then memory floors, then step-time floors (`simulator/perf/auto_layout.py`), so
its cost is the handful of layouts that come within reach of the best, not the whole space.
Not a test; run it with

    python benchmarks/bench_auto_layout.py [--repeat 3] [--json-out FILE]

The figure is the best of `--repeat` runs (the machine is shared; the fastest run is the one
least disturbed by other work), each a fresh search with nothing cached between runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.figures import figure, write_figures  # noqa: E402
from simulator.catalog import Catalog  # noqa: E402
from simulator.perf.auto_layout import auto_layout  # noqa: E402
from simulator.perf.hardware import job_hardware  # noqa: E402

TARGET_S = 0.5
CASES = (
    # name, model, GPUs, sequence, global batch (sequences), target (s) or None
    ("405B on 16,384 H100", "llama3-405b", 16384, 8192, 2048, TARGET_S),
    ("70B on 1,024 H100", "llama3-70b", 1024, 8192, 512, None),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json-out", type=Path, help="figures as JSON (figures.py)")
    args = parser.parse_args()
    catalog = Catalog.load()
    figures, missed = [], False
    for name, model_id, gpus, seq, batch, target in CASES:
        model = catalog.model(model_id)
        hardware = job_hardware(catalog, num_gpus=gpus, node="dgx-h100")
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            choice = auto_layout(model, hardware, gpus, seq, batch, "bf16")
            times.append(time.perf_counter() - start)
        best = min(times)
        met = None if target is None else best <= target
        missed |= met is False
        print(
            f"auto layout, {name}: best {best:.3f} s of {args.repeat} "
            f"({choice.evaluated} step evaluations); chose {choice.best.describe()}, "
            f"{choice.best.step_time_s:.3f} s per step, "
            f"{choice.best.memory_per_gpu_gib:.1f} GiB per GPU"
        )
        figures.append(
            figure(
                f"auto layout, {name}",
                best,
                "s",
                None if target is None else f"< {target:g} s",
                met,
            )
        )
    write_figures(args.json_out, figures)
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
