"""Read nccl-tests and rccl-tests output (text, or `-J` JSON) into runs the fit can use.

One log can hold several runs (concatenated files); each becomes an `NcclRun` with its own op,
rank count, GPU and NCCL version, and the assumptions made to get them, which the CLI prints.
Where the log does not say, and nothing can be inferred, the error says which option to add.

- op: `--op`, else `# Collective test starting/concluded`, else the one `*_perf` binary the
  run's lines name (a command line, JSON `args[0]`).
- ranks: `--ranks`, else NCCL's `nranks` (NCCL INFO lines), else busbw / algbw, which
  nccl-tests derives from the rank count with a known factor per op (2(n-1)/n for all_reduce,
  (n-1)/n for gathers and alltoall): every row bounds n to an interval, from the precision
  its numbers were printed with, and the intervals must meet at one whole number; else the
  `# Rank` device lines (which many multi-node logs print for one node only, so they count
  only where the bandwidth ratio cannot: broadcast, or a ratio that allows several n).
- GPU: `--gpu`, else the device lines; NCCL version: NCCL INFO, `nccl-library=`, JSON.

Input is bounded (MAX_LOG_BYTES); malformed or deeply nested JSON is an InputError.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calibrate.nccl_text import PREFIX, Row, Segment, half_ulp, segments, version_from_code
from simulator.errors import InputError, Problem
from simulator.schema.calibration import CollectivePoint

MAX_LOG_BYTES = 64 * 2**20
"""Larger files are refused: nccl-tests logs are kilobytes; a 64 MiB one is a mistake."""

OPS = {
    "all_reduce": "all_reduce",
    "all_gather": "all_gather",
    "reduce_scatter": "reduce_scatter",
    "alltoall": "all_to_all",
    "all_to_all": "all_to_all",
    "broadcast": "broadcast",
}
NOT_MODELLED = {"reduce", "sendrecv", "scatter", "gather", "hypercube", "alltoallv"}
"""nccl-tests binaries whose collective the simulator does not fit."""


@dataclass
class NcclRun:
    """One run of one nccl-tests binary: what it measured and what it is known to be."""

    op: str
    ranks: int
    gpu: str | None
    nccl_version: str | None
    library: str  # "nccl" or "rccl"
    rows: list[Row]
    first_line: int
    nodes: int | None = None  # hosts the ranks ran on, where the log says
    iterations: tuple[int, int] | None = None  # (warmup, timed)
    assumptions: list[str] = field(default_factory=list)

    def points(self) -> list[CollectivePoint]:
        """The rows as schema points (sizes > 0, times > 0)."""
        return [
            CollectivePoint(
                op=self.op,  # type: ignore[arg-type]
                backend="rccl-tests" if self.library == "rccl" else "nccl-tests",
                num_ranks=self.ranks,
                size_bytes=r.size,
                time_s=r.time_us * 1e-6,
                algbw_gb_per_s=r.algbw,
                busbw_gb_per_s=r.busbw,
            )
            for r in self.rows
            if r.size > 0 and r.time_us > 0
        ]


def op_from_name(name: str) -> str | None:
    """'all_reduce_perf', '/path/alltoall_perf_mpi' or 'all_reduce' -> the schema's op name."""
    base = Path(name).name.removesuffix("_mpi").removesuffix("_perf")
    return OPS.get(base)


def _ratio_to_ranks(op: str, ratio: float) -> float:
    """Inverse of the bus factor; inf where the ratio is at or past the factor's limit."""
    limit = 2.0 if op == "all_reduce" else 1.0
    if ratio >= limit:
        return math.inf
    return limit / (limit - ratio)


def ranks_from_ratio(op: str, algbw: float, busbw: float) -> int | None:
    """Invert nccl-tests' bus factor for one (algbw, busbw) pair, nearest whole number."""
    if algbw <= 0 or op not in ("all_reduce", "all_gather", "reduce_scatter", "all_to_all"):
        return None
    n = _ratio_to_ranks(op, busbw / algbw)
    return round(n) if 2 <= n < math.inf else None


def rank_interval(op: str, rows: list[Row]) -> tuple[float, float] | None:
    """The n every row allows, given the precision its bandwidths were printed to."""
    if op not in ("all_reduce", "all_gather", "reduce_scatter", "all_to_all"):
        return None
    low, high = 1.0, math.inf
    used = 0
    for r in rows:
        da, db = half_ulp(r.algbw_text), half_ulp(r.busbw_text)
        if r.algbw - da <= 0 or r.busbw - db <= 0:
            continue
        used += 1
        low = max(low, _ratio_to_ranks(op, (r.busbw - db) / (r.algbw + da)))
        high = min(high, _ratio_to_ranks(op, (r.busbw + db) / (r.algbw - da)))
    return (low, high) if used else None


def _bad(where: str, field_name: str, message: str) -> InputError:
    return InputError([Problem(where, field_name, message)])


def _resolve_op(seg: Segment, op: str | None, where: str, notes: list[str]) -> str:
    if op is not None:
        wanted = op_from_name(op)
        if wanted is None:
            raise _bad(where, "--op", f"expected one of {', '.join(sorted(set(OPS.values())))}")
        said = {op_from_name(o) or o for o in seg.ops} - {wanted}
        notes.append(
            f"op {wanted}, from --op"
            + (f" (the log names {', '.join(sorted(said))})" if said else "")
        )
        return wanted
    named = seg.op_from_header or (seg.ops[0] if len(set(seg.ops)) == 1 else None)
    if named is None and len(set(seg.ops)) > 1:
        raise _bad(
            where,
            "op",
            f"run at line {seg.first_line} names several tests ({', '.join(sorted(set(seg.ops)))})"
            ": pass --op",
        )
    if named is None:
        raise _bad(
            where,
            "op",
            f"cannot tell which collective the run at line {seg.first_line} is (no "
            "'Collective test starting' line or *_perf command): pass --op (all_reduce, "
            "all_gather, reduce_scatter, all_to_all, broadcast)",
        )
    if named in NOT_MODELLED:
        raise _bad(where, "op", f"{named}_perf: the simulator does not fit {named}")
    found = op_from_name(named)
    if found is None:
        raise _bad(where, "op", f"{named}_perf is not an nccl-tests collective: pass --op")
    source = "the header" if seg.op_from_header else "the command line"
    notes.append(f"op {found}, from {source}")
    return found


def _resolve_ranks(seg: Segment, op: str, ranks: int | None, where: str, notes: list[str]) -> int:
    if ranks is not None:
        notes.append(f"{ranks} ranks, from --ranks")
        return ranks
    if seg.nranks and seg.nranks >= 2:
        notes.append(f"{seg.nranks} ranks, from NCCL's nranks")
        return seg.nranks
    # the highest rank a device line names, + 1: logs often show one node's lines, or one line
    listed = max(seg.devices) + 1 if seg.devices else None
    interval = rank_interval(op, seg.rows)
    if interval is not None:
        low, high = interval
        low, high = min(low, 1e6), min(high, 1e6)
        whole = list(range(max(2, math.ceil(low - 1e-9)), int(high) + 1))
        if len(whole) == 1:
            if listed is not None and listed != whole[0]:
                notes.append(
                    f"{whole[0]} ranks, from busbw / algbw (the device lines name ranks up to "
                    f"{listed - 1}: they show only some ranks, or do not belong to this run)"
                )
            else:
                notes.append(f"{whole[0]} ranks, from busbw / algbw")
            return whole[0]
        if listed is not None and listed in whole:
            notes.append(
                f"{listed} ranks, from the device lines (busbw / algbw allows "
                f"{whole[0]} to {whole[-1]})"
            )
            return listed
        if whole:
            raise _bad(
                where,
                "ranks",
                f"busbw / algbw of the run at line {seg.first_line} allows {whole[0]} to "
                f"{whole[-1]} ranks: pass --ranks",
            )
        if listed is None:
            raise _bad(
                where,
                "ranks",
                f"busbw / algbw of the run at line {seg.first_line} fits no rank count for "
                f"{op}: is the op right? pass --op or --ranks",
            )
    if listed is not None and listed >= 2:
        notes.append(f"{listed} ranks, from the device lines")
        return listed
    raise _bad(
        where,
        "ranks",
        f"cannot tell the number of ranks of the run at line {seg.first_line}: pass --ranks",
    )


def _nodes(seg: Segment, ranks: int) -> int | None:
    if len(seg.devices) == ranks:
        return len({host for host, _ in seg.devices.values()})
    if seg.nnodes:
        return seg.nnodes
    if seg.local_ranks:
        return math.ceil(ranks / seg.local_ranks)
    return None


def _run(
    seg: Segment, where: str, *, op: str | None, ranks: int | None, gpu: str | None
) -> NcclRun:
    notes = ["a second sweep with no header: same test as the run above"] if seg.resumed else []
    found_op = _resolve_op(seg, op, where, notes)
    n = _resolve_ranks(seg, found_op, ranks, where, notes)
    name = gpu or next((d[1] for _, d in sorted(seg.devices.items()) if d[1]), None)
    if gpu is None and name is None:
        notes.append("no device lines: the GPU is not named (pass --gpu)")
    library = "rccl" if seg.rccl or (name and "AMD" in name) else "nccl"
    notes.extend(seg.ignored[:5])
    if len(seg.ignored) > 5:
        notes.append(f"... and {len(seg.ignored) - 5} more rows not understood")
    return NcclRun(
        op=found_op,
        ranks=n,
        gpu=name,
        nccl_version=seg.nccl_version,
        library=library,
        rows=[r for r in seg.rows if r.size > 0 and r.time_us > 0],
        first_line=seg.first_line,
        nodes=_nodes(seg, n),
        iterations=seg.iterations,
        assumptions=notes,
    )


def _json_segment(data: dict[str, Any], where: str) -> Segment:
    """The -J JSON (format version 2) as a Segment, every field type-checked."""
    seg = Segment(first_line=1)
    args = data.get("args")
    if isinstance(args, list) and args and isinstance(args[0], str):
        base = Path(args[0]).name.removesuffix("_mpi").removesuffix("_perf")
        seg.ops.append(base)
    version = data.get("nccl_version")
    if isinstance(version, int) and version > 0:
        seg.nccl_version = version_from_code(version)
    config = data.get("config")
    config = config if isinstance(config, dict) else {}
    devices = config.get("devices")
    devices = [d for d in devices if isinstance(d, dict)] if isinstance(devices, list) else []
    per_proc = 1
    for key in ("nthreads", "ngpus"):
        value = config.get(key, 1)
        per_proc *= value if isinstance(value, int) and value > 0 else 1
    for i, d in enumerate(devices):
        info = d.get("device_info")
        host = d.get("hostname")
        for k in range(per_proc):
            seg.devices[i * per_proc + k] = (
                host if isinstance(host, str) else "?",
                info if isinstance(info, str) else "?",
            )
    results = data.get("results")
    if not isinstance(results, list):
        raise _bad(where, "results", "expected a list of result records (nccl-tests -J)")
    for i, record in enumerate(results):
        row = _json_row(record)
        if row is None:
            seg.ignored.append(f"results[{i}]: not a size with out_of_place time and bandwidths")
        else:
            seg.rows.append(row)
    return seg


def _json_row(record: Any) -> Row | None:
    if not isinstance(record, dict):
        return None
    body = record.get("out_of_place") or record.get("in_place")
    size = record.get("size")
    if not isinstance(body, dict) or not isinstance(size, int) or isinstance(size, bool):
        return None
    values = [body.get("time", body.get("cpu_time")), body.get("alg_bw"), body.get("bus_bw")]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None
    t, a, b = (float(v) for v in values)  # type: ignore[arg-type]
    if not all(math.isfinite(v) for v in (t, a, b)):
        return None
    # JSON carries full precision: bound the ratio as if printed to 6 significant digits
    return Row(size, t, a, b, f"{a:.6g}", f"{b:.6g}", line=0)


def read_text(path: Path) -> str:
    """The log's text, refusing what is not a file or is too big to be an nccl-tests log."""
    if not path.is_file():
        raise _bad(str(path), "", "file not found")
    size = path.stat().st_size
    if size > MAX_LOG_BYTES:
        raise _bad(
            str(path),
            "",
            f"{size / 2**20:.0f} MiB: the importer reads at most {MAX_LOG_BYTES // 2**20} MiB; "
            "cut the log to the runs you want",
        )
    return path.read_text(encoding="utf-8", errors="replace")


def parse_log(
    text: str,
    where: str,
    *,
    op: str | None = None,
    ranks: int | None = None,
    gpu: str | None = None,
) -> list[NcclRun]:
    """Every run in one log (text or -J JSON); InputError naming what to add."""
    stripped = text.lstrip()
    if stripped.startswith("{") or (
        stripped.startswith("[") and not PREFIX.match(stripped).group()
    ):
        try:
            data = json.loads(stripped)
        except RecursionError:
            raise _bad(where, "(json)", "nested too deeply to be nccl-tests -J output") from None
        except json.JSONDecodeError as exc:
            raise _bad(
                where,
                "(json)",
                f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg} (a run "
                "killed before it finished leaves the file open; rerun, or import the text log)",
            ) from None
        if not isinstance(data, dict):
            raise _bad(where, "(json)", "expected an nccl-tests -J object")
        found = [_json_segment(data, where)]
    else:
        found = segments(text)
    runs_with_rows = [s for s in found if s.rows]
    if not runs_with_rows:
        raise _bad(where, "results", "no result rows found (expected nccl-tests output)")
    return [_run(s, where, op=op, ranks=ranks, gpu=gpu) for s in runs_with_rows]


def read_nccl_tests(
    path: Path, op: str | None = None, *, ranks: int | None = None, gpu: str | None = None
) -> list[NcclRun]:
    """Every run in the log at `path`."""
    return parse_log(read_text(path), str(path), op=op, ranks=ranks, gpu=gpu)
