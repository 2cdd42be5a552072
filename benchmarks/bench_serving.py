"""Serving speed: requests simulated per wall second through continuously batched replicas.

    python benchmarks/bench_serving.py                       # the target: 1,000,000 x 16
    python benchmarks/bench_serving.py --requests 100000 --replicas 8

Llama 3 70B in FP8 on TP-4 H200 replicas, Poisson chat traffic (lognormal prompts, median
1,024 tokens, and answers, median 256) at about 70% of the replicas' simulated capacity.
The issue's target: 1,000,000 requests through 16 replicas in under 60 s of wall time.
Prints the one-time cost-model set-up (the GEMM model evaluated once per iteration shape)
apart from the event loop, and process CPU time besides wall time (a shared machine's
wall clock includes other people's work). Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.figures import figure, write_figures  # noqa: E402
from simulator.catalog import Catalog  # noqa: E402
from simulator.engine.serving import simulate_service  # noqa: E402
from simulator.perf.hardware import job_hardware  # noqa: E402
from simulator.schema.scenario import InferenceService  # noqa: E402

RATE_PER_REPLICA = 7.0
"""Requests/s per replica: about 70% of what one TP-4 H200 replica sustains on this mix in
the simulator itself (9.9 requests/s offline: 3,000 requests at once, 256 sequences batched)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--replicas", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json-out", type=Path, help="figures as JSON (figures.py)")
    args = parser.parse_args()
    catalog = Catalog.load(include_env=False)
    model = catalog.model("llama3-70b")
    hardware = job_hardware(catalog, num_gpus=4, node="hgx-h200")
    spec = InferenceService.model_validate(
        {
            "name": "bench",
            "model": "llama3-70b",
            "precision": "fp8",
            "tp": 4,
            "replicas": args.replicas,
            "timeline_interval_s": 60.0,
            "traffic": {
                "arrivals": "poisson",
                "requests_per_s": RATE_PER_REPLICA * args.replicas,
                "num_requests": args.requests,
                "input_tokens": {"kind": "lognormal", "median": 1024, "sigma": 0.8},
                "output_tokens": {"kind": "lognormal", "median": 256, "sigma": 0.6},
            },
            "slo": {"ttft_s": 1.0, "tpot_s": 0.05},
        }
    )
    wall0, cpu0 = time.perf_counter(), time.process_time()
    run = simulate_service(spec, model, hardware, seed=args.seed)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    it = run.runtime.iteration
    shapes = len(it._tokens) + len(it._chunk)
    s = run.summary
    print(f"{args.requests:,} requests, {args.replicas} replicas of llama3-70b fp8 TP4 on H200")
    print(f"  wall {wall:.1f} s, CPU {cpu:.1f} s ({shapes:,} iteration shapes costed)")
    print(
        f"  {args.requests / wall:,.0f} requests per wall second, "
        f"{args.requests / cpu:,.0f} per CPU second"
    )
    print(
        f"  simulated {s['duration_s']:,.0f} s: {s['output_tokens_per_s']:,.0f} output tok/s, "
        f"TTFT p50/p99 {s['ttft_s_p50']:.3f}/{s['ttft_s_p99']:.3f} s, "
        f"TPOT p50/p99 {s['tpot_s_p50'] * 1e3:.1f}/{s['tpot_s_p99'] * 1e3:.1f} ms, "
        f"SLO attainment {s['slo_attainment']:.1%}, mean batch {s['mean_batch_size']:.1f}"
    )
    label = f"{args.requests:,} requests through {args.replicas} replicas"
    target = args.requests == 1_000_000 and args.replicas == 16
    write_figures(
        args.json_out,
        [
            figure(
                f"serving: {label}, wall",
                wall,
                "s",
                "< 60 s" if target else None,
                (wall < 60.0) if target else None,
            ),
            figure(f"serving: {label}, CPU", cpu, "s"),
            figure("serving: requests per wall second", args.requests / wall, "requests/s"),
        ],
    )


if __name__ == "__main__":
    main()
