"""Time one `estimate training` call in-process: the 1T-parameter GPT of Megatron-LM's SC21
Table 1 (128 layers, hidden 25600, 160 heads, TP 8, PP 64, DP 6) on 3,072 A100 GPUs.

Target: under 10 ms per call (per-layer costs are computed once and multiplied by layer counts,
so the cost does not grow with GPUs or micro-batches). Not a test; run it with

    python benchmarks/bench_estimate_training.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.figures import figure, write_figures  # noqa: E402
from simulator.catalog import Catalog  # noqa: E402
from simulator.estimates.training import TrainingRequest, compute_training  # noqa: E402

TARGET_MS = 10.0


def request(catalog: Catalog) -> TrainingRequest:
    """The SC21 1008B job on DGX A100 nodes (or bare A100s with the first scale-out fabric)."""
    shape = dict(
        num_gpus=3072, layers=128, hidden=25600, heads=160, vocab=51200, seq_len=2048,
        global_batch=3072, micro_batch=1, tp=8, pp=64, recompute="full", precision="fp16",
        attention="unfused",
    )  # fmt: skip
    if "dgx-a100" in catalog.profiles["node"]:
        return TrainingRequest(node="dgx-a100", **shape)
    fabrics = sorted(
        pid for pid, p in catalog.profiles["interconnect"].items() if p.scope == "scale_out"
    )
    if not fabrics:
        sys.exit("no dgx-a100 node and no scale-out interconnect profile in the catalog")
    return TrainingRequest(gpu="a100-sxm-80gb", gpus_per_node=8, fabric=fabrics[0], **shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--json-out", type=Path, help="figures as JSON (figures.py)")
    args = parser.parse_args()
    catalog = Catalog.load()
    req = request(catalog)
    first = time.perf_counter()
    result = compute_training(req, catalog)
    first_ms = (time.perf_counter() - first) * 1e3
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        compute_training(req, catalog)
        times.append((time.perf_counter() - start) * 1e3)
    median = statistics.median(times)
    print(
        f"estimate training, 1008B GPT on 3,072 A100 (TP8 PP64 DP6): "
        f"median {median:.2f} ms, min {min(times):.2f} ms, first call {first_ms:.2f} ms "
        f"over {args.repeat} calls (target < {TARGET_MS:g} ms)"
    )
    print(
        f"  step {result['step_time_s']:.1f} s, {result['hardware_tflops_per_gpu']:.1f} "
        f"hardware TFLOP/s per GPU (published: 163), MFU {result['mfu']:.3f}"
    )
    write_figures(
        args.json_out,
        [
            figure("estimate training (1T GPT, 3,072 A100), median call", median, "ms",
                   f"< {TARGET_MS:g} ms", median <= TARGET_MS),
            figure("estimate training, first call", first_ms, "ms"),
        ],
    )  # fmt: skip
    if median > TARGET_MS:
        sys.exit(1)


if __name__ == "__main__":
    main()
