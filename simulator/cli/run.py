"""`infrasim run SCENARIO`: simulate a scenario, print its summary, save its tables."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from simulator import simulate
from simulator.cli.common import (
    CalibrationOption,
    JsonOption,
    ProfilesOption,
    SeedOption,
    SettingsOption,
    guarded,
    load_catalog,
    print_json,
)
from simulator.cli.cost import cost_lines
from simulator.economics import attach_costs
from simulator.report import REPORT_FILE, input_tables, render_report
from simulator.results import Results
from simulator.scenario import load_scenario
from simulator.schema.run_summary import RunSummary

PROGRESS_AFTER_S = 0.5
"""Show the progress bar only once a run has taken this long (short runs stay quiet)."""


class ProgressBar:
    """Simulated time covered, drawn on a terminal; silent until the run takes a while."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, now_s: float, horizon_s: float) -> None:
        if not self.shown and time.monotonic() - self.started < PROGRESS_AFTER_S:
            return
        self.shown = True
        frac = min(1.0, now_s / horizon_s) if horizon_s > 0 else 1.0
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(
            f"\r[{bar}] {frac:6.1%}  day {now_s / 86400:,.1f} of {horizon_s / 86400:,.1f}"
        )
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _fmt(value: Any, unit: str = "", scale: float = 1.0, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value * scale:,.{digits}f}{unit}"


def _human(s: RunSummary, out: Path | None) -> None:
    lines = [
        f"{s.scenario}: {s.total_gpus:,} GPUs over {s.horizon_days:g} days (seed {s.seed})",
        f"  jobs: {s.jobs_submitted:,} submitted, {s.jobs_completed:,} completed, "
        f"{s.jobs_running:,} running, {s.jobs_queued:,} queued at the end",
        f"  wait: mean {_fmt(s.mean_wait_s, ' h', 1 / 3600, 2)}, "
        f"p95 {_fmt(s.p95_wait_s, ' h', 1 / 3600, 2)}",
        f"  GPUs: {_fmt(s.gpu_utilization, '%', 100)} allocated, "
        f"{_fmt(s.busy_gpu_fraction, '%', 100)} busy, "
        f"fragmentation {_fmt(s.mean_fragmentation, '%', 100)}",
        f"  failures {s.failures:,}, checkpoints {s.checkpoints:,}, "
        f"preemptions {s.preemptions:,}, lost work {_fmt(s.lost_work_hours, ' h')}",
        f"  energy: {_fmt(s.it_energy_kwh, ' MWh', 1e-3, 2)} IT, "
        f"{_fmt(s.facility_energy_kwh, ' MWh', 1e-3, 2)} facility, "
        f"{_fmt(s.carbon_kg, ' t CO2e', 1e-3, 2)}; peak {_fmt(s.peak_facility_kw, ' kW')}",
    ]
    for name, goodput in s.training_goodput.items():
        lines.append(f"  {name}: goodput {_fmt(goodput, '%', 100)}")
    lines += cost_lines(s.costs)
    if out is not None:
        lines.append(f"results written to {out}")
    typer.echo("\n".join(lines))


@guarded
def run_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
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
    settings: SettingsOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
    calibration: CalibrationOption = None,
) -> None:
    """Simulate a scenario: jobs, queues, failures, checkpoints, power and energy."""
    catalog = load_catalog(profiles)
    loaded = load_scenario(scenario, catalog, settings or [], calibration=calibration)
    bar = ProgressBar(sys.stderr) if (sys.stderr.isatty() and not json_) else None
    try:
        results: Results = simulate(loaded, seed=seed, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    attach_costs(loaded, results)
    if out is not None:
        # The report is rendered last (after every layer has added its tables) and saved in
        # the same atomic step as the tables it shows.
        results.tables.update(input_tables(loaded, results.summary))
        results.save(out, extra_files={REPORT_FILE: render_report(results)})
    if json_:
        print_json(results.summary.to_dict())
    else:
        _human(results.summary, out)
