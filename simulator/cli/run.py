"""`infrasim run SCENARIO`: simulate a scenario, print its answers, save its tables.

`--seeds N` runs the scenario's seed and the N-1 after it, one after the other, keeps the
first run's tables and summary, and adds the spread of each training job's time-to-train
over all N (`simulator.training_answers.over_seeds`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simulator import simulate
from simulator.cli.common import (
    CalibrationOption,
    JsonOption,
    ProfilesOption,
    SeedOption,
    SettingsOption,
    guarded,
    holding,
    load_catalog,
    print_json,
    print_warnings,
)
from simulator.cli.cost import cost_lines
from simulator.cli.run_answers import answer_lines
from simulator.economics import attach_costs
from simulator.errors import InputError, Problem
from simulator.output_lock import check_writable
from simulator.provenance import provenance_warnings
from simulator.report import REPORT_FILE, input_tables, render_report
from simulator.results import Results, refuse_non_results
from simulator.scenario import LoadedScenario, load_scenario
from simulator.schema.run_summary import RunSummary
from simulator.training_answers import over_seeds

PROGRESS_AFTER_S = 0.5
"""Show the progress bar only once a run has taken this long (short runs stay quiet)."""


class RunProgress:
    """Simulated days covered, as a rich progress bar on stderr; silent until the run has
    taken `PROGRESS_AFTER_S`, and never drawn when stderr is not a terminal."""

    def __init__(self, seeds: int = 1) -> None:
        self.seeds = seeds
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.label = "simulating"

    def next_seed(self, index: int, seed: int) -> None:
        """Label the bar for the `index`-th run (0-based) of `seed`, and start it over."""
        self.label = f"seed {seed} ({index + 1} of {self.seeds})" if self.seeds > 1 else "run"
        if self.bar is not None and self.task is not None:
            self.bar.reset(self.task, description=self.label)

    def __call__(self, now_s: float, horizon_s: float) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < PROGRESS_AFTER_S:
                return
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("day {task.completed:,.1f} of {task.total:,.1f}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=horizon_s / 86400.0)
            self.bar.update(self.task, completed=min(now_s, horizon_s) / 86400.0)
            self.bar.refresh()  # shown now, not at the next tick of rich's refresh thread
            return
        assert self.task is not None
        self.bar.update(self.task, completed=min(now_s, horizon_s) / 86400.0)

    def close(self) -> None:
        """Take the bar off the terminal."""
        if self.bar is not None:
            self.bar.stop()


ProgressBar = RunProgress
"""The name the hand-written bar had (tests/hardening/test_crash_safety.py patches it)."""


def _human(s: RunSummary, out: Path | None) -> None:
    lines = answer_lines(s)
    lines += cost_lines(s.costs)
    if out is not None:
        lines.append(f"results written to {out}")
    typer.echo("\n".join(lines))


@guarded
def run_command(
    scenario: Annotated[
        Path,
        typer.Argument(
            help="Scenario YAML file, or a shipped scenario's name (`infrasim scenario list`).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Directory for jobs/events/timeline Parquet tables, summary.json and a "
            "self-contained report.html (written atomically).",
            show_default=False,
        ),
    ] = None,
    seed: SeedOption = None,
    seeds: Annotated[
        int,
        typer.Option(
            "--seeds",
            help="Run this many seeds (the seed, then seed+1, ...) and report time-to-train "
            "P50/P90 over them; tables and figures are the first seed's.",
        ),
    ] = 1,
    settings: SettingsOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
    calibration: CalibrationOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Validate and resolve the scenario, print what would run; simulate nothing.",
        ),
    ] = False,
) -> None:
    """Simulate a scenario: time-to-train, serving latencies, queues, failures, energy."""
    if seeds < 1:
        raise InputError([Problem(str(scenario), "--seeds", f"must be at least 1 (got {seeds})")])
    catalog = load_catalog(profiles)
    loaded = load_scenario(scenario, catalog, settings or [], calibration=calibration)
    first_seed = loaded.scenario.seed if seed is None else seed
    if out is not None:
        check_writable(out)
        refuse_non_results(out)
    if dry_run:
        typer.echo(dry_run_line(loaded, first_seed, seeds, out))
        return
    if out is None:
        _simulate_and_print(loaded, first_seed, seeds, out, json_)
        return
    with holding(out, "run"):  # a second writer of `out` is refused until this one ends
        _simulate_and_print(loaded, first_seed, seeds, out, json_)


def dry_run_line(loaded: LoadedScenario, first_seed: int, seeds: int, out: Path | None) -> str:
    """What `run` would do: the scenario resolved, its size, its seeds and its output."""
    s = loaded.scenario
    last = first_seed + seeds - 1
    seeds_text = f"seed {first_seed}" if seeds == 1 else f"seeds {first_seed}..{last}"
    where = f"; would write {out}" if out is not None else ""
    gpus = sum(p.count * loaded.pool_nodes[p.name].gpus_per_node for p in s.cluster.pools)
    w = s.workloads
    parts = (
        f"{len(w.training_jobs)} training job(s), {len(w.inference_services)} service(s), "
        f"{len(w.job_traces)} trace(s), {len(w.synthetic_jobs)} synthetic stream(s)"
    )
    return (
        f"dry run: {s.name!r} from {loaded.path} is valid: {gpus:,} GPUs, {parts}, "
        f"{s.horizon_days:g} days, {seeds_text}{where}; nothing simulated"
    )


def _simulate_and_print(
    loaded: LoadedScenario, first_seed: int, seeds: int, out: Path | None, json_: bool
) -> None:
    bar = RunProgress(seeds) if (sys.stderr.isatty() and not json_) else None
    first: Results | None = None
    answers = []  # each seed's training answers; only the first run's tables are kept
    try:
        for index in range(seeds):
            if bar is not None:
                bar.next_seed(index, first_seed + index)
            run = simulate(loaded, seed=first_seed + index, progress=bar)
            first = first or run
            answers.append(run.summary.training_jobs)
    finally:
        if bar is not None:
            bar.close()
    assert first is not None
    results = first
    if seeds > 1:
        spread = over_seeds(answers)
        results.summary = results.summary.model_copy(update={"training_jobs": spread})
    attach_costs(loaded, results)
    if out is not None:
        # The report is rendered last (after every layer has added its tables) and saved in
        # the same atomic step as the tables it shows.
        results.tables.update(input_tables(loaded, results.summary))
        results.save(out, extra_files={REPORT_FILE: render_report(results)})
    print_warnings(provenance_warnings(results.summary))
    if json_:
        print_json(results.summary.to_dict())
    else:
        _human(results.summary, out)
