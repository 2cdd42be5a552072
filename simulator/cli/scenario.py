"""`infrasim scenario ...`: check a scenario file before running it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import (
    JsonOption,
    ProfilesOption,
    SettingsOption,
    guarded,
    load_catalog,
    print_json,
)
from simulator.engine import Simulation
from simulator.scenario import load_scenario

scenario_app = typer.Typer(help="Check scenario files.", no_args_is_help=True)


@scenario_app.command("validate")
@guarded
def validate_scenario(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    settings: SettingsOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Validate scenarios: schema, profile references, jobs that could never start (too many
    GPUs for their pool, or too little GPU memory), referenced files, and whether the run
    would fit this machine: everything `infrasim run` refuses before simulating."""
    catalog = load_catalog(profiles)
    summaries = []
    for file in files:
        loaded = load_scenario(file, catalog, settings or [])
        # building the simulation (not running it) applies the engine's own checks: the
        # resource guard, policies and their parameters, each job's fit in GPU memory
        Simulation(loaded)
        w = loaded.scenario.workloads
        summaries.append(
            {
                "file": str(file),
                "name": loaded.scenario.name,
                "gpus": loaded.total_gpus,
                "training_jobs": len(w.training_jobs),
                "inference_services": len(w.inference_services),
                "job_traces": len(w.job_traces),
                "synthetic_jobs": len(w.synthetic_jobs),
                "horizon_days": loaded.scenario.horizon_days,
            }
        )
    if json_:
        print_json(summaries)
        return
    for s in summaries:
        typer.echo(
            f"ok: {s['file']}: {s['name']!r}, {s['gpus']} GPUs, "
            f"{s['training_jobs']} training jobs, {s['inference_services']} services, "
            f"{s['job_traces']} traces, over {s['horizon_days']:g} days"
        )
