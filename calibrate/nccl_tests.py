"""Read nccl-tests output (all_reduce_perf, all_gather_perf, ...: text or `-J` JSON) so the
collective model can be fitted from a cluster the probe cannot reach.

Text: the result rows under the `#  size count type redop root time algbw busbw ...` header,
out-of-place columns. JSON (nccl-tests -J, format version 2): `results[*].out_of_place`.
The op comes from `# Collective test starting: all_reduce_perf` (text) or `args[0]` (JSON),
or from `--op`; the rank count from the `#  Rank` lines (JSON: `config.devices`), else from
busbw / algbw, which nccl-tests derives from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from simulator.errors import InputError, Problem
from simulator.schema.calibration import CollectivePoint

_OPS = {
    "all_reduce": "all_reduce",
    "all_gather": "all_gather",
    "reduce_scatter": "reduce_scatter",
    "alltoall": "all_to_all",
    "all_to_all": "all_to_all",
    "broadcast": "broadcast",
}
_ROW = re.compile(
    r"^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(-?\d+)\s+([\d.eE+-]+)\s+([\d.eE+-]+)"
    r"\s+([\d.eE+-]+)"
)
_DEVICE = re.compile(
    r"^#\s+Rank\s+\d+\s+Group\s+\d+\s+Pid\s+\d+\s+on\s+\S+\s+device\s+\d+\s+"
    r"\[[^\]]*\]\s+(.+)$"
)


def op_from_name(name: str) -> str | None:
    """'all_reduce_perf' or '/path/alltoall_perf_mpi' -> the schema's op name."""
    base = Path(name).name.removesuffix("_mpi").removesuffix("_perf")
    return _OPS.get(base)


def ranks_from_ratio(op: str, algbw: float, busbw: float) -> int | None:
    """Invert nccl-tests' bus factor: all_reduce 2(n-1)/n, gathers and alltoall (n-1)/n."""
    if algbw <= 0 or op == "broadcast":
        return None
    ratio = busbw / algbw
    if op == "all_reduce":
        ratio /= 2
    if not 0 < ratio < 1:
        return None
    return round(1 / (1 - ratio))


def _bad(path: Path, field: str, message: str) -> InputError:
    return InputError([Problem(str(path), field, message)])


def _parse_text(text: str) -> tuple[str | None, int | None, str | None, list[tuple]]:
    op = name = None
    ranks = 0
    rows = []
    for line in text.splitlines():
        if "Collective test starting:" in line:
            op = op_from_name(line.split(":", 1)[1].strip())
        device = _DEVICE.match(line)
        if device:
            ranks += 1
            name = name or device.group(1).strip()
        row = _ROW.match(line)
        if row and not line.lstrip().startswith("#"):
            size, _, _, _, _, time_us, algbw, busbw = row.groups()
            rows.append((int(size), float(time_us), float(algbw), float(busbw)))
    return op, ranks or None, name, rows


def _parse_json(data: dict[str, Any]) -> tuple[str | None, int | None, str | None, list[tuple]]:
    args = data.get("args") or []
    op = op_from_name(args[0]) if args else None
    config = data.get("config") or {}
    devices = config.get("devices") or []
    per_proc = int(config.get("nthreads", 1)) * int(config.get("ngpus", 1))
    ranks = len(devices) * per_proc if devices else None
    name = devices[0].get("device_info") if devices else None
    rows = []
    for result in data.get("results") or []:
        body = result.get("out_of_place") or result.get("in_place")
        if body:
            time_us = body.get("time", body.get("cpu_time"))
            rows.append(
                (int(result["size"]), float(time_us), float(body["alg_bw"]), float(body["bus_bw"]))
            )
    return op, ranks, name, rows


def read_nccl_tests(path: Path, op: str | None = None) -> tuple[list[CollectivePoint], str]:
    """(points, device name) from one nccl-tests log; InputError naming what is missing."""
    if not path.is_file():
        raise _bad(path, "", "file not found")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    found_op, ranks, name, rows = _parse_json(data) if isinstance(data, dict) else _parse_text(text)
    op = op or found_op
    if op not in set(_OPS.values()):
        raise _bad(
            path,
            "op",
            "cannot tell which collective this is: pass --op (all_reduce, "
            "all_gather, reduce_scatter, all_to_all, broadcast)",
        )
    rows = [r for r in rows if r[0] > 0 and r[1] > 0]
    if not rows:
        raise _bad(path, "results", "no result rows found (expected nccl-tests output)")
    if ranks is None:
        ranks = ranks_from_ratio(op, rows[-1][2], rows[-1][3])
    if ranks is None or ranks < 2:
        raise _bad(path, "ranks", "cannot tell the number of ranks (no '#  Rank' lines)")
    points = [
        CollectivePoint(
            op=op,
            backend="nccl-tests",
            num_ranks=ranks,
            size_bytes=size,  # type: ignore[arg-type]
            time_s=time_us * 1e-6,
            algbw_gb_per_s=algbw,
            busbw_gb_per_s=busbw,
        )
        for size, time_us, algbw, busbw in rows
    ]
    return points, name or "unknown GPU (nccl-tests log)"
