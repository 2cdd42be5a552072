"""`infrasim sweep SPEC` and `infrasim search SPEC`: many variants of a scenario, N seeds each.

Both resume from `--out`'s `runs.jsonl`: run the same command again after an interruption and
only unfinished runs are simulated. SPEC is a file or the name of a shipped sweep
(`infrasim scenario list`). A search that finds no point meeting every constraint still writes
its table and page, then exits 4 (`EXIT_NO_ANSWER`), so a script does not take it for an answer.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from simulator.catalog import env_profile_dirs
from simulator.cli.common import (
    EXIT_NO_ANSWER,
    JsonOption,
    ProfilesOption,
    guarded,
    holding,
    load_catalog,
    print_json,
    print_table,
)
from simulator.errors import InputError, Problem
from simulator.paths import sweep_path
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
SpecArgument = Annotated[
    Path,
    typer.Argument(help="Sweep spec YAML file, or a shipped sweep's name.", show_default=False),
]


class RunsBar:
    """Finished runs out of all, drawn on a terminal by rich, with the time left.

    Runs reused from an interrupted sweep count as done from the start but not towards the
    speed behind the estimate: the task starts at them, and only later runs are samples.
    """

    def __init__(self, stream: TextIO) -> None:
        self.progress = Progress(
            TextColumn("runs"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
        )
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("runs", total=total, completed=done)
        else:
            self.progress.update(self.task, total=total, completed=done)

    def close(self) -> None:
        """Draw the last state and end the bar's line."""
        if self.task is not None:
            self.progress.stop()


def _profile_dirs(profiles: list[Path] | None) -> list[str]:
    """$INFRASIM_PROFILES and --profiles, resolved here: workers may not share our env."""
    return [str(Path(d).resolve()) for d in [*env_profile_dirs(), *(profiles or [])]]


def _fmt(mean: Any, half: Any) -> str:
    if mean is None or mean != mean:
        return "n/a"
    text = f"{mean:,.4g}"
    return text if half is None or half != half else f"{text} ± {half:,.2g}"


def _points_table(
    title: str, rows: list[dict[str, Any]], axes: list[str], figures: list[str]
) -> None:
    """Points as a table: number, swept values, then each figure as mean ± 95% half-width."""
    cells = [
        [
            str(row["point"]),
            *(str(row[a]) for a in axes),
            *(_fmt(row[f + "_mean"], row[f + "_ci95"]) for f in figures),
        ]
        for row in rows
    ]
    print_table(title, ["point", *axes, *figures], cells)


MAX_RUNS_UNASKED = 5_000
"""More runs than this need `--yes` when nobody is at a terminal to see the count first."""
SECONDS_PER_RUN_GUESS = 0.5
"""A shipped scenario's run takes about this long on one core: a first guess at the time."""

YesOption = Annotated[
    bool,
    typer.Option("--yes", help=f"Run more than {MAX_RUNS_UNASKED:,} runs without asking."),
]


def confirm_size(runs: int, yes: bool, quiet: bool) -> None:
    """Say how many runs a sweep plans and roughly how long (on a terminal); refuse a huge
    one unasked.

    A sweep of 100 points x 1,000 seeds used to start without a word. The guess assumes
    `SECONDS_PER_RUN_GUESS` per run on every core; the progress bar refines it as runs finish.

    Raises:
        InputError: more than `MAX_RUNS_UNASKED` runs, no `--yes`, and stdin not a terminal.
    """
    from simulator.sweep.backends import default_workers

    hours = runs * SECONDS_PER_RUN_GUESS / default_workers() / 3600
    size = f"{runs:,} runs planned (first guess: about {hours:,.2g} h)"
    if not quiet and sys.stderr.isatty():  # a log or a test reads one line per problem
        typer.echo(size, err=True)
    if runs <= MAX_RUNS_UNASKED or yes:
        return
    if sys.stdin.isatty() and typer.confirm(f"run all {runs:,}?", err=True):
        return
    raise InputError(
        [
            Problem(
                "sweep",
                "runs",
                f"{size}, more than {MAX_RUNS_UNASKED:,}; pass --yes to run them, "
                "or give fewer points or --replications",
            )
        ]
    )


def _run(
    kind: str,
    spec: Path,
    out: Path | None,
    profiles: list[Path] | None,
    replications: int | None,
    quiet: bool,
    yes: bool = False,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """Load the spec, then sweep or search it with a progress bar on a terminal."""
    sweep = load_sweep(sweep_path(spec), load_catalog(profiles), replications)
    out = out or Path(f"{spec.stem}-{kind}")
    confirm_size(len(sweep.points) * sweep.spec.replications, yes, quiet)
    # One sweep writes a folder at a time: a second is refused (naming the first) and, run
    # again once the first has ended, reuses every run the first stored in runs.jsonl.
    with holding(out, kind):
        bar = RunsBar(sys.stderr) if sys.stderr.isatty() and not quiet else None
        try:
            fn = run_sweep if kind == "sweep" else search
            dirs = _profile_dirs(profiles)
            return sweep, fn(sweep, out, profile_dirs=dirs, progress=bar, **kwargs)
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
    yes: YesOption = False,
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
        yes=yes,
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
    typer.echo("\n".join(lines))
    front = table[table["pareto"]].to_dict("records")
    if front:
        _points_table("Pareto front (mean ± 95% interval):", front, axes, figures)
    typer.echo(f"table: {outcome.files['parquet']}, {outcome.files['csv']}")
    typer.echo(f"page: {outcome.files['html']}")


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
    yes: YesOption = False,
) -> None:
    """Best configuration meeting the constraints: prune analytically, simulate, Pareto front.

    Exits 4 (after writing the table and page) when no configuration meets every constraint.
    """
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
        yes=yes,
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
        _no_answer_exit(outcome)
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
    typer.echo("\n".join(lines))
    if outcome.best is not None:
        _points_table("best (mean ± 95% interval):", [outcome.best], axes, figures)
    front = outcome.front.to_dict("records")
    if front:
        _points_table("Pareto front:", front, axes, figures)
    typer.echo(f"table: {outcome.files['parquet']}, {outcome.files['csv']}")
    typer.echo(f"page: {outcome.files['html']}; answer: {outcome.files['json']}")
    _no_answer_exit(outcome)


def _no_answer_exit(outcome: Any) -> None:
    """Exit 4 after the outputs when no point met every constraint: there is no answer."""
    if outcome.best is None:
        typer.echo(
            "error: no configuration meets every constraint; relax a constraint or widen an "
            f"axis (every point is in {outcome.files['csv']})",
            err=True,
        )
        raise typer.Exit(EXIT_NO_ANSWER)
