"""Read the text output of nccl-tests / rccl-tests as it is found: pasted into docs, issues and
job logs, from NCCL 2.9 to today's layouts.

What varies between the logs people have, and how each variant is read:
- prefixes: Open MPI's `--tag-output` (`[1,0]<stdout>:`) and Slurm's `--label` (`0: `) are
  stripped, as is indentation (docs); a `#` is optional, because pasted logs lose it.
- the row layout: `size count type [redop] [root] time algbw busbw #wrong ...` (redop since
  nccl-tests 2.0 for reductions, root since 2.10; `#wrong` an integer, `N/A`, or an error
  float in old versions; per-iteration columns since 2.19). Where the column header is present
  it names the columns; otherwise a redop is the first word after the type and a root is
  present when the numbers after it come in fours plus one. Each row is checked: algbw must
  equal size / time to print precision, which also catches a time printed as a whole number.
- runs: a new run starts at a command line naming a `*_perf` binary, a `# nccl-tests version`,
  `# Collective test starting` or `# nThread` line, or a row whose size is smaller than the
  last one (a second sweep pasted under the first); each run keeps its own op, ranks and GPU.
  Rows of size 0 (nccl-tests prints them when the count rounds to zero) are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PREFIX = re.compile(r"^\s*(?:\[\d+,\d+\]<(?:stdout|stderr)>:|\d+:(?=\s))?\s*")
"""mpirun --tag-output `[1,0]<stdout>:` or srun --label `0: `, then indentation."""

_PERF_BINARY = re.compile(r"\b([a-z_]+?)_perf(?:_mpi)?\b")
_DEVICE = re.compile(
    r"^Rank\s+(\d+)\s+(?:Group\s+\d+\s+)?Pid\s+\d+\s+on\s+(\S+)\s+device\s+\d+\s+"
    r"\[[^\]]*\]\s*(.*?)\s*$"
)
_NCCL_VERSION = re.compile(r"\b(?:NCCL|RCCL) version\s*:?\s*v?(\d+\.\d+\.\d+)")
_LIBRARY_CODE = re.compile(r"nccl-library=(\d+)")
_NRANKS = re.compile(r"\bn[Rr]anks\s+(\d+)")
_NNODES = re.compile(r"\bnNodes\s+(\d+)")
_LOCAL_RANKS = re.compile(r"\blocalRanks\s+(\d+)")
_ITERS = re.compile(r"warmup iters:\s*(\d+)\s+iters:\s*(\d+)")
_NGPUS = re.compile(r"nThread\s+(\d+)\s+nGpus\s+(\d+)")
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT = re.compile(r"^-?\d+$")


def version_from_code(code: int) -> str:
    """NCCL_VERSION_CODE -> 'X.Y.Z': X*10000 + Y*100 + Z since 2.9, X*1000 + Y*100 + Z before."""
    if code >= 10000:
        return f"{code // 10000}.{code % 10000 // 100}.{code % 100}"
    return f"{code // 1000}.{code % 1000 // 100}.{code % 100}"


@dataclass
class Row:
    """One result row, out-of-place columns, as printed (time in us, bandwidths in GB/s); the
    printed strings are kept because their precision bounds what busbw/algbw can tell."""

    size: int
    time_us: float
    algbw: float
    busbw: float
    algbw_text: str
    busbw_text: str
    line: int


@dataclass
class Segment:
    """What one run's lines say; None or empty where they say nothing."""

    first_line: int
    ops: list[str] = field(default_factory=list)  # in the order seen, from every source
    op_from_header: str | None = None  # `Collective test starting/concluded`
    devices: dict[int, tuple[str, str]] = field(default_factory=dict)  # rank -> (host, name)
    nranks: int | None = None
    nnodes: int | None = None
    local_ranks: int | None = None
    per_process: int | None = None  # nThread x nGpus
    nccl_version: str | None = None
    rccl: bool = False
    iterations: tuple[int, int] | None = None
    columns: list[str] | None = None
    rows: list[Row] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    resumed: bool = False  # a second sweep with no header of its own


def _number(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None


def half_ulp(text: str) -> float:
    """Half a unit in the last printed place: the rounding error of a printed number."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (-decimals) * 10.0 ** (int(exponent) if exponent else 0)


def _consistent(size: int, time_text: str, algbw_text: str) -> bool:
    """algbw = size / time / 1e3 (GB/s from bytes and us), to the printed precision."""
    time_us, algbw = _number(time_text), _number(algbw_text)
    if time_us is None or algbw is None or time_us <= 0 or algbw < 0:
        return False
    dt = half_ulp(time_text)
    low = size / ((time_us + dt) * 1e3)
    high = size / (max(time_us - dt, 1e-12) * 1e3)
    slack = half_ulp(algbw_text) + 0.005 * algbw
    return low - slack <= algbw <= high + slack


def _header_offset(columns: list[str] | None) -> tuple[bool, bool] | None:
    """(has redop, has root) from a column header, or None without one."""
    if columns is None:
        return None
    return "redop" in columns, "root" in columns


def parse_row(tokens: list[str], columns: list[str] | None, line: int) -> Row | str | None:
    """A Row, a reason the row was not understood, or None when the line is no row at all."""
    if len(tokens) < 6 or not (_INT.match(tokens[0]) and _INT.match(tokens[1])):
        return None
    if not _WORD.match(tokens[2]):
        return None
    size = int(tokens[0])
    i = 3
    if _WORD.match(tokens[i]) and _number(tokens[i]) is None and tokens[i] != "N/A":
        i += 1  # redop
    rest = tokens[i:]
    header = _header_offset(columns)
    preferred = 1 if header is not None and header[1] else 0
    if header is None:
        preferred = 1 if len(rest) % 4 == 1 else 0
    for offset in (preferred, 1 - preferred):
        if offset == 1 and not (rest and _INT.match(rest[0])):
            continue
        body = rest[offset : offset + 3]
        if len(body) < 3 or any(_number(t) is None for t in body):
            continue
        if size == 0 or _consistent(size, body[0], body[1]):
            return Row(size, float(body[0]), float(body[1]), float(body[2]), body[1], body[2], line)
    return f"line {line}: algbw does not equal size / time in any column layout"


def _is_marker(body: str) -> bool:
    return body.startswith(("nccl-tests version", "Collective test starting", "nThread "))


def segments(text: str) -> list[Segment]:
    """Split a log into runs and collect what each says (see the module docstring)."""
    found: list[Segment] = []
    current = Segment(first_line=1)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = PREFIX.sub("", raw, count=1)
        body = line.lstrip("#").strip()
        if not body:
            continue
        binaries = _PERF_BINARY.findall(body) if "_perf" in body else []
        starts_run = _is_marker(body) or (bool(binaries) and "concluded" not in body)
        if starts_run and current.rows:
            found.append(current)
            current = Segment(first_line=number)
        _read_context(current, body, binaries)
        if body.startswith("size") and " count " in f" {body} ":
            current.columns = body.split()
            continue
        row = parse_row(body.split(), current.columns, number)
        if isinstance(row, str):
            current.ignored.append(row)
        elif row is not None and row.size > 0:  # size-0 rows (count rounds to 0) say nothing
            if current.rows and row.size < current.rows[-1].size:
                found.append(current)
                current = _resume(current, number)
            current.rows.append(row)
    found.append(current)
    return [s for s in found if s.rows] or found[-1:]


def _resume(previous: Segment, number: int) -> Segment:
    """A second sweep with no header of its own: same op, ranks and GPU as the one above."""
    return Segment(
        first_line=number,
        ops=list(previous.ops),
        op_from_header=previous.op_from_header,
        devices=dict(previous.devices),
        nranks=previous.nranks,
        nnodes=previous.nnodes,
        local_ranks=previous.local_ranks,
        per_process=previous.per_process,
        nccl_version=previous.nccl_version,
        rccl=previous.rccl,
        iterations=previous.iterations,
        columns=previous.columns,
        resumed=True,
    )


def _read_context(seg: Segment, body: str, binaries: list[str]) -> None:
    seg.ops.extend(binaries)
    if binaries and body.startswith(("Collective test starting", "Collective test concluded")):
        seg.op_from_header = binaries[0]
    if "rccl" in body.lower() or "+hip" in body:
        seg.rccl = True
    device = _DEVICE.match(body)
    if device:
        seg.devices[int(device.group(1))] = (device.group(2), device.group(3) or "")
        return
    for pattern, name in ((_NRANKS, "nranks"), (_NNODES, "nnodes"), (_LOCAL_RANKS, "local_ranks")):
        match = pattern.search(body)
        if match:
            setattr(seg, name, max(getattr(seg, name) or 0, int(match.group(1))))
    version = _NCCL_VERSION.search(body)
    if version and seg.nccl_version is None:
        seg.nccl_version = version.group(1)
    code = _LIBRARY_CODE.search(body)
    if code:
        seg.nccl_version = version_from_code(int(code.group(1)))
    iters = _ITERS.search(body)
    if iters:
        seg.iterations = (int(iters.group(1)), int(iters.group(2)))
    gpus = _NGPUS.search(body)
    if gpus:
        seg.per_process = int(gpus.group(1)) * int(gpus.group(2))
