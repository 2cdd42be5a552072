"""Report size and speed for a 100,000-job run: the page must stay under 10 MB.

    python benchmarks/bench_report.py                 # 100,000 trace jobs on 4,096 GPUs
    python benchmarks/bench_report.py --jobs 20000 --out /tmp/report.html

Replays a synthetic Helios-format trace (the engine benchmark's job mix) through the real
engine, adds the inputs tables `infrasim run` saves, renders the report twice (the second
render must give the same bytes) and prints file size and times. Not a test: it prints
figures. Target: at most 1.5 MB (the vendored partial plotly.js bundle is about 1.2 MB of that).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_engine import catalog, trace_scenario  # noqa: E402
from figures import figure, write_figures  # noqa: E402

from simulator.report import input_tables, render_report  # noqa: E402
from simulator.report.page import plotly_js  # noqa: E402
from simulator.results import simulate  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

LIMIT_BYTES = 1_500_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--load", type=float, default=0.9, help="offered load of the trace")
    parser.add_argument("--out", type=Path, help="also write the report here")
    parser.add_argument("--json-out", type=Path, help="figures as JSON (figures.py)")
    args = parser.parse_args()
    cat = catalog()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        path = trace_scenario(
            directory, cat, args.jobs, args.load, f"{args.jobs:,}-job trace replay on 4,096 GPUs"
        )
        loaded = load_scenario(path, cat)
        t = time.perf_counter()
        results = simulate(loaded)
        simulate_s = time.perf_counter() - t
        results.tables.update(input_tables(loaded, results.summary))
        t = time.perf_counter()
        html = render_report(results)
        render_s = time.perf_counter() - t
        same = html == render_report(results)
    size = len(html.encode())
    if args.out:
        args.out.write_text(html, encoding="utf-8")
    print(
        f"jobs {len(results.jobs):,}, events {len(results.events):,}, "
        f"timeline rows {len(results.timeline):,}"
    )
    print(f"simulate {simulate_s:.1f} s, render {render_s:.2f} s, reproducible: {same}")
    print(
        f"report {size / 1e6:.2f} MB ({size:,} bytes; plotly.js {len(plotly_js()) / 1e6:.2f} "
        f"MB, figures and tables {(size - len(plotly_js())) / 1e6:.2f} MB); "
        f"limit {LIMIT_BYTES / 1e6:.2f} MB: {'ok' if size < LIMIT_BYTES else 'OVER'}"
    )
    write_figures(
        args.json_out,
        [
            figure(
                f"report of a {args.jobs:,}-job run, size",
                size / 1e6,
                "MB",
                f"<= {LIMIT_BYTES / 1e6:.1f} MB",
                size < LIMIT_BYTES,
            ),
            figure(f"report of a {args.jobs:,}-job run, render", render_s, "s"),
        ],
    )


if __name__ == "__main__":
    main()
