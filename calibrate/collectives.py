"""Collectives across every local device with torch.distributed, timed like nccl-tests.

GPUs: one process per CUDA device, NCCL. CPU: 2-4 local processes, gloo (one intra-op thread
each, so the ranks do not fight over cores). Workers are started with torch.multiprocessing
(see `start_method`) and meet through a file store in a private temp directory, so no port
is needed.
Each repeat starts after a barrier and times OPS_PER_REPEAT back-to-back calls, as nccl-tests
does (its `-n` iterations): one call's start-up jitter and a neighbour's brief burst are spread
over several calls instead of deciding a repeat alone. A repeat's time per call is the slowest
rank's (the collective is done when the last rank is), and the timer's statistic over repeats
is reported (median with NCCL,
the lower quartile with gloo, as calibrate/timing.py explains). Sizes, algbw and busbw follow
nccl-tests: size is the per-rank buffer (all_gather: the gathered output), algbw = size / time,
busbw = algbw x the op's bus factor.
"""

from __future__ import annotations

import datetime
import json
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calibrate import gloo_emulation
from calibrate.plan import OPS_PER_REPEAT
from calibrate.timing import CPU_STATISTIC, GPU_STATISTIC, statistic
from calibrate.torch_env import import_torch
from simulator.perf.collectives import bus_factor
from simulator.schema.calibration import CollectivePoint

ELEMENT_BYTES = 4
INIT_TIMEOUT_S = 120


def element_count(size_bytes: int, world: int) -> int:
    """float32 elements for a `size_bytes` buffer, a multiple of `world` (chunks must split)."""
    return max(world, size_bytes // ELEMENT_BYTES // world * world)


def _run_op(dist: Any, op: str, bufs: dict[str, Any], rank: int, world: int, emulate: bool) -> None:
    inp, out = bufs["in"], bufs["out"]
    if op == "all_reduce":
        dist.all_reduce(inp)
    elif op == "broadcast":
        dist.broadcast(inp, 0)
    elif op == "all_gather":
        gather = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor
        gather(out, bufs["shard"])
    elif op == "reduce_scatter":
        if emulate:
            gloo_emulation.reduce_scatter(dist, bufs["shard"], inp, rank, world)
        else:
            scatter = getattr(dist, "reduce_scatter_single", None) or dist.reduce_scatter_tensor
            scatter(bufs["shard"], inp)
    elif op == "all_to_all":
        if emulate:
            gloo_emulation.all_to_all(dist, out, inp, rank, world)
        else:
            dist.all_to_all_single(out, inp)
    else:
        raise ValueError(f"unknown collective {op!r}")


def _buffers(torch: Any, count: int, world: int, device: Any) -> dict[str, Any]:
    return {
        "in": torch.ones(count, dtype=torch.float32, device=device),
        "out": torch.empty(count, dtype=torch.float32, device=device),
        "shard": torch.ones(count // world, dtype=torch.float32, device=device),
    }


def _time_once(torch: Any, dist: Any, fn: Callable[[], None], cuda: bool) -> float:
    """Seconds per call over OPS_PER_REPEAT back-to-back calls after a barrier."""
    dist.barrier()
    if cuda:
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(OPS_PER_REPEAT):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) * 1e-3 / OPS_PER_REPEAT
    begin = time.perf_counter_ns()
    for _ in range(OPS_PER_REPEAT):
        fn()
    return (time.perf_counter_ns() - begin) * 1e-9 / OPS_PER_REPEAT


def _op_fn(
    torch: Any, dist: Any, op: str, size: int, rank: int, world: int, device: Any, emulate: bool
) -> tuple[Callable[[], None], bool]:
    """The timed call for (op, size), and whether it is the send/recv emulation."""
    bufs = _buffers(torch, element_count(size, world), world, device)
    try:
        _run_op(dist, op, bufs, rank, world, emulate)
    except (RuntimeError, NotImplementedError):
        if op not in ("all_to_all", "reduce_scatter") or emulate:
            raise
        emulate = True  # this backend lacks it: time the send/recv version
    fn = lambda: _run_op(dist, op, bufs, rank, world, emulate)  # noqa: E731
    return fn, emulate


def _measure(
    torch: Any, dist: Any, job: dict[str, Any], rank: int, world: int, device: Any
) -> list[dict[str, Any]]:
    """Every (op, size), in `passes` interleaved rounds (see gemm_sweep.sweep for why)."""
    cuda = job["backend"] == "nccl"
    first = torch.ones(ELEMENT_BYTES * world, device=device)
    for _ in range(job["warmup"] + 3):  # connections are set up lazily, on first use
        dist.all_reduce(first)
    passes = job["passes"]
    per_pass = math.ceil(job["repeats"] / passes)
    emulated = {op: op in job["emulate"] for op in job["ops"]}
    pooled: dict[tuple[str, int], list[float]] = {}
    for _ in range(passes):
        for op in job["ops"]:
            for size in job["sizes"]:
                fn, emulated[op] = _op_fn(torch, dist, op, size, rank, world, device, emulated[op])
                for _ in range(job["warmup"]):
                    fn()
                times = [_time_once(torch, dist, fn, cuda) for _ in range(per_pass)]
                pooled.setdefault((op, size), []).extend(times)
    rows = []
    for (op, size), times in pooled.items():
        slowest = torch.tensor(times, dtype=torch.float64, device=device)
        dist.all_reduce(slowest, op=dist.ReduceOp.MAX)  # each repeat ends with its last rank
        rows.append(
            {
                "op": op,
                "size_bytes": element_count(size, world) * ELEMENT_BYTES,
                "emulated": emulated[op],
                "time_s": statistic(job["statistic"], slowest.tolist()),
            }
        )
    return rows


def worker(rank: int, job: dict[str, Any]) -> None:
    """One rank: join the group, time every (op, size), rank 0 writes the rows."""
    torch = import_torch()
    import torch.distributed as dist

    world = job["world"]
    if job["backend"] == "nccl":
        torch.cuda.set_device(rank)
        device = torch.device("cuda", rank)
    else:
        torch.set_num_threads(1)
        device = torch.device("cpu")
    dist.init_process_group(
        job["backend"],
        init_method=f"file://{job['store']}",
        rank=rank,
        world_size=world,
        timeout=datetime.timedelta(seconds=INIT_TIMEOUT_S),
    )
    try:
        rows = _measure(torch, dist, job, rank, world, device)
        if rank == 0:
            Path(job["result"]).write_text(json.dumps(rows))
    finally:
        dist.destroy_process_group()


def start_method(backend: str) -> str:
    """fork for gloo: the ranks inherit the imported torch instead of importing it again
    (seconds each on a busy CI box); they run one intra-op thread, so the parent's OpenMP pool
    is never re-entered. spawn for NCCL: CUDA cannot be used in a forked child."""
    return "fork" if backend == "gloo" else "spawn"


def run_collectives(
    backend: str,
    world: int,
    ops: tuple[str, ...],
    sizes: list[int],
    *,
    warmup: int,
    repeats: int,
    passes: int = 1,
    emulate: tuple[str, ...] = (),
) -> list[CollectivePoint]:
    """Spawn `world` ranks, time each op over `sizes` (`repeats` in all, split over `passes`
    interleaved rounds); nccl-tests algbw/busbw per point."""
    import_torch()
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory(prefix="infrasim-coll-") as tmp:
        job = {
            "backend": backend,
            "world": world,
            "ops": list(ops),
            "sizes": list(sizes),
            "warmup": warmup,
            "repeats": repeats,
            "passes": passes,
            "emulate": list(emulate),
            "statistic": GPU_STATISTIC if backend == "nccl" else CPU_STATISTIC,
            "store": str(Path(tmp) / "store"),
            "result": str(Path(tmp) / "rows.json"),
        }
        mp.start_processes(
            worker, args=(job,), nprocs=world, join=True, start_method=start_method(backend)
        )
        rows = json.loads(Path(job["result"]).read_text())
    points = []
    for row in rows:
        algbw = row["size_bytes"] / row["time_s"] / 1e9
        points.append(
            CollectivePoint(
                op=row["op"],
                backend=backend,
                num_ranks=world,
                size_bytes=row["size_bytes"],
                time_s=row["time_s"],
                algbw_gb_per_s=algbw,
                busbw_gb_per_s=algbw * bus_factor(row["op"], world),
                emulated=row["emulated"],
            )
        )
    return points
