"""`infrasim sweep SPEC` and `infrasim search SPEC`: many variants of a scenario, N seeds each.

Both resume from `--out`'s `runs.jsonl`: run the same command again after an interruption and
only unfinished runs are simulated.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from simulator.catalog import env_profile_dirs
from simulator.cli.common import JsonOption, ProfilesOption, guarded, load_catalog, print_json
from simulator.sweep import load_sweep, run_sweep, search
from simulator.sweep.table import figures_of

BackendOption = Annotated[
    str,
    typer.Option(
        "--backend", help="Where runs execute: local (process pool) or ray.", show_default=True
    ),
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="Ray cluster to connect to (e.g. ray://head:10001 or auto); default: start one.",
        show_default=False,
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", help="Worker processes (default: one per core).", show_default=False),
]
ReplicationsOption = Annotated[
    int | None,
    typer.Option(
        "--replications", help="Seeds per point (overrides the spec).", show_default=False
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Directory for runs.jsonl (resumable), points.parquet/csv and report.html "
        "(default: SPEC's name with -sweep or -search).",
        show_default=False,
    ),
]
SpecArgument = Annotated[Path, typer.Argument(help="Sweep spec YAML file.", show_default=False)]


class RunsBar:
    """Finished runs out of all, drawn on a terminal."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream, self.width = stream, width
        self.started = time.monotonic()
        self.first: int | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.first is None:
            self.first = done
        frac = done / total if total else 1.0
        filled = int(round(frac * self.width))
        elapsed = time.monotonic() - self.started
        fresh = done - self.first
        eta = ""
        if fresh > 0 and done < total:
            eta = f", about {elapsed / fresh * (total - done):,.0f} s left"
        self.stream.write(
            f"\r[{'#' * filled}{'-' * (self.width - filled)}] {done:,}/{total:,} runs{eta}   "
        )
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self.first is not None:
            self.stream.write("\n")
            self.stream.flush()


def _profile_dirs(profiles: list[Path] | None) -> list[str]:
    """$INFRASIM_PROFILES and --profiles, resolved here: workers may not share our env."""
    return [str(Path(d).resolve()) for d in [*env_profile_dirs(), *(profiles or [])]]


def _fmt(mean: Any, half: Any) -> str:
    if mean is None or mean != mean:
        return "n/a"
    text = f"{mean:,.4g}"
    return text if half is None or half != half else f"{text} ± {half:,.2g}"


def _describe(row: dict[str, Any], axes: list[str], figures: list[str]) -> str:
    fields = ", ".join(f"{a}={row[a]}" for a in axes)
    values = ", ".join(f"{f} {_fmt(row[f + '_mean'], row[f + '_ci95'])}" for f in figures)
    return f"point {row['point']} ({fields}): {values}"


def _run(
    kind: str,
    spec: Path,
    out: Path | None,
    profiles: list[Path] | None,
    replications: int | None,
    quiet: bool,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """Load the spec, then sweep or search it with a progress bar on a terminal."""
    sweep = load_sweep(spec, load_catalog(profiles), replications)
    out = out or Path(f"{spec.stem}-{kind}")
    bar = RunsBar(sys.stderr) if sys.stderr.isatty() and not quiet else None
    try:
        fn = run_sweep if kind == "sweep" else search
        return sweep, fn(sweep, out, profile_dirs=_profile_dirs(profiles), progress=bar, **kwargs)
    finally:
        if bar is not None:
            bar.close()


@guarded
def sweep_command(
    spec: SpecArgument,
    backend: BackendOption = "local",
    address: AddressOption = None,
    workers: WorkersOption = None,
    replications: ReplicationsOption = None,
    out: OutOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Simulate every point of a sweep spec, N seeds each; table with 95% intervals."""
    sweep, outcome = _run(
        "sweep",
        spec,
        out,
        profiles,
        backend=backend,
        address=address,
        workers=workers,
        replications=replications,
        quiet=json_,
    )
    table = outcome.table
    if json_:
        print_json(
            {
                "points": len(table),
                "ran": outcome.ran,
                "reused": outcome.reused,
                "files": {k: str(v) for k, v in outcome.files.items()},
                "table": table.to_dict("records"),
            }
        )
        return
    figures = [
        f.column for f in figures_of(sweep) if f.goal or f.min is not None or f.max is not None
    ]
    axes = sweep.axis_columns
    lines = [
        f"sweep {sweep.spec.name!r}: {len(table):,} points x {sweep.spec.replications} seed(s); "
        f"{outcome.ran:,} runs simulated now, {outcome.reused:,} reused from {outcome.out}",
        f"  {int((table['status'] == 'ok').sum()):,} ok, "
        f"{int((table['status'] == 'invalid').sum()):,} invalid, "
        f"{int(table['feasible'].sum()):,} meet the constraints",
    ]
    for row in table[table["pareto"]].to_dict("records"):
        lines.append("  front: " + _describe(row, axes, figures))
    lines.append(f"table: {outcome.files['parquet']}, {outcome.files['csv']}")
    lines.append(f"page: {outcome.files['html']}")
    typer.echo("\n".join(lines))


@guarded
def search_command(
    spec: SpecArgument,
    backend: BackendOption = "local",
    address: AddressOption = None,
    workers: WorkersOption = None,
    replications: ReplicationsOption = None,
    out: OutOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Best configuration meeting the constraints: prune analytically, simulate, Pareto front."""
    sweep, outcome = _run(
        "search",
        spec,
        out,
        profiles,
        backend=backend,
        address=address,
        workers=workers,
        replications=replications,
        quiet=json_,
    )
    table = outcome.table
    if json_:
        print_json(
            {
                "points": len(table),
                "pruned": outcome.pruned,
                "ran": outcome.ran,
                "reused": outcome.reused,
                "best": outcome.best,
                "front": outcome.front.to_dict("records"),
                "files": {k: str(v) for k, v in outcome.files.items()},
            }
        )
        return
    figures = [
        f.column for f in figures_of(sweep) if f.goal or f.min is not None or f.max is not None
    ]
    axes = sweep.axis_columns
    simulated = int((table["status"] == "ok").sum())
    lines = [
        f"search {sweep.spec.name!r}: {len(table):,} points, {outcome.pruned:,} pruned by "
        f"analytical bounds, {int((table['status'] == 'invalid').sum()):,} invalid, "
        f"{simulated:,} simulated ({outcome.ran:,} runs now, {outcome.reused:,} reused)",
        f"  {int(table['feasible'].sum()):,} meet the constraints",
    ]
    if outcome.best is None:
        lines.append("  no configuration meets every constraint")
    else:
        lines.append("  best: " + _describe(outcome.best, axes, figures))
    for row in outcome.front.to_dict("records"):
        lines.append("  front: " + _describe(row, axes, figures))
    lines.append(f"table: {outcome.files['parquet']}, {outcome.files['csv']}")
    lines.append(f"page: {outcome.files['html']}; answer: {outcome.files['json']}")
    typer.echo("\n".join(lines))
