"""Write nccl-tests logs in each layout people meet, from a known table, to parse back.

Numbers are printed the way nccl-tests prints them (src/util.cu getFloatStr: `%7.2f`, else
`%7.1f`, else `%7.0f`, so long times come out as whole numbers); busbw is algbw times the op's
bus factor, as nccl-tests computes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.perf.collectives import bus_factor

BINARIES = {
    "all_reduce": "all_reduce_perf",
    "all_gather": "all_gather_perf",
    "reduce_scatter": "reduce_scatter_perf",
    "all_to_all": "alltoall_perf",
    "broadcast": "broadcast_perf",
}
LAYOUTS = ("nccl-2.9", "nccl-tests-2.13", "nccl-tests-2.19-per-iter", "no-header")
PREFIXES = ("", "[1,0]<stdout>:", "0: ", "    ")


@dataclass(frozen=True)
class Table:
    """What a log is generated from: the truth the parser must recover."""

    op: str
    ranks: int
    sizes: tuple[int, ...]
    times_us: tuple[float, ...]
    gpu: str = "NVIDIA H100 80GB HBM3"


def float_str(value: float, width: int) -> str:
    """nccl-tests' getFloatStr: as many decimals as fit in `width`."""
    for fmt in (f"{{:{width}.2f}}", f"{{:{width}.1f}}", f"{{:{width}.0f}}"):
        text = fmt.format(value)
        if len(text) <= width:
            return text
    return f"{value:{width}.1e}"


def _body(table: Table, size: int, time_us: float, layout: str) -> str:
    algbw = size / time_us / 1e3
    busbw = algbw * bus_factor(table.op, table.ranks)
    t, a, b = float_str(time_us, 7), float_str(algbw, 6), float_str(busbw, 6)
    if layout == "nccl-2.9":
        return f"  {t}  {a}  {b}  5e-07"
    if layout == "nccl-tests-2.19-per-iter":
        return f"  {t}  {a}  {b}       0  {t}  {t}  {t}     1.00"
    return f"  {t}  {a}  {b}       0"


def _row(table: Table, i: int, layout: str) -> str:
    size, time_us = table.sizes[i], table.times_us[i]
    reduces = table.op in ("all_reduce", "reduce_scatter")
    redop = "sum" if reduces else "none"
    count = size // 4
    head = f"{size:12d}  {count:12d}     float"
    if layout == "nccl-2.9":
        head += f"  {redop:>6}" if reduces else ""
    else:
        root = "0" if table.op == "broadcast" else "-1"
        head += f"  {redop:>6}  {root:>6}"
    body = _body(table, size, time_us, layout)
    return head + body + body


def _header(layout: str) -> list[str]:
    if layout == "no-header":
        return []
    if layout == "nccl-2.9":
        cols = "size count type redop time algbw busbw error time algbw busbw error"
    elif layout == "nccl-tests-2.19-per-iter":
        cols = (
            "size count type redop root time algbw busbw #wrong i_min i_max i_p99 i_cv% "
            "time algbw busbw #wrong i_min i_max i_p99 i_cv%"
        )
    else:
        cols = "size count type redop root time algbw busbw #wrong time algbw busbw #wrong"
    return ["#", "# " + cols.replace(" ", "   "), "#  (B)  (elements)  (us)  (GB/s)  (GB/s)"]


def write_log(
    table: Table,
    *,
    layout: str = "nccl-tests-2.13",
    prefix: str = "",
    devices: str = "all",  # all | first | none
    op_line: str = "header",  # header | command | none
    hashes: bool = True,
    nranks_line: bool = False,
) -> str:
    """The text of one run of `table` in the given layout."""
    lines: list[str] = []
    binary = BINARIES[table.op]
    if op_line == "command":
        lines.append(f"$ mpirun -np {table.ranks} ./build/{binary} -b 8 -e 8G -f 2 -g 1")
    if layout != "nccl-2.9":
        lines.append("# nccl-tests version 2.13.9 nccl-headers=21903 nccl-library=21903")
    if op_line == "header" and layout != "nccl-2.9":
        lines.append(f"# Collective test starting: {binary}")
    lines.append(
        "# nThread 1 nGpus 1 minBytes 8 maxBytes 8589934592 step: 2(factor) warmup iters: 5 "
        "iters: 20 agg iters: 1 validation: 1 graph: 0"
    )
    lines.append("# Using devices")
    shown = {"all": table.ranks, "first": 1, "none": 0}[devices]
    group = "" if layout == "nccl-2.9" else "Group  0 "
    for r in range(shown):
        lines.append(
            f"#  Rank {r:2d} {group}Pid  1234 on node{r // 8:03d} device {r % 8:2d} "
            f"[0000:{r:02x}:00] {table.gpu}"
        )
    if nranks_line:
        lines.append(
            f"node000:1234:1234 [0] NCCL INFO comm 0x5612 rank 0 nranks {table.ranks} cudaDev 0 "
            "busId 18000 - Init COMPLETE"
        )
    lines += _header(layout)
    lines += [_row(table, i, layout) for i in range(len(table.sizes))]
    lines += ["# Out of bounds values : 0 OK", "# Avg bus bandwidth    : 12.3", "#"]
    if not hashes:
        lines = [line.lstrip("#") for line in lines]
    return "\n".join(prefix + line for line in lines) + "\n"
