"""`infrasim scenario ...`: check a scenario file before running it; print its JSON Schema."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.atomic_files import write_text_atomic
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
from simulator.schema.json_schema import scenario_json_schema_text

scenario_app = typer.Typer(
    help="Check scenario files; print their JSON Schema.", no_args_is_help=True
)


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


@scenario_app.command("schema")
@guarded
def schema_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the schema to this file (atomically) instead of printing it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of scenario files, for editors to complete and check them."""
    text = scenario_json_schema_text()
    if out is None:
        sys.stdout.write(text)
        return
    write_text_atomic(out, text)
    typer.echo(f"schema written to {out}")
