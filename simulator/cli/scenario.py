"""`infrasim scenario ...`: list the shipped scenarios, check a scenario file before running it,
print the JSON Schema of scenario files."""

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
    print_table,
)
from simulator.engine import Simulation
from simulator.errors import InputError
from simulator.paths import scenario_path, shipped_scenarios, shipped_sweeps
from simulator.scenario import load_scenario
from simulator.schema.json_schema import scenario_json_schema_text
from simulator.yaml_io import read_yaml

scenario_app = typer.Typer(
    help="List the shipped scenarios, check scenario files, print their JSON Schema.",
    no_args_is_help=True,
)


def _shipped(kind: str, path: Path) -> dict[str, str]:
    """One shipped file's name (what `infrasim run NAME` takes), title and path."""
    try:
        data = read_yaml(path)
    except InputError:
        data = None
    fields = data if isinstance(data, dict) else {}
    return {
        "kind": kind,
        "name": path.stem,
        "title": str(fields.get("name", "")),
        "file": str(path),
    }


@scenario_app.command("list")
@guarded
def list_scenarios(json_: JsonOption = False) -> None:
    """List the scenarios and sweep specs that ship with infrasim.

    `infrasim run NAME`, `infrasim sweep NAME` and `infrasim scenario validate NAME` take
    the name alone, from any directory.
    """
    rows = [_shipped("scenario", p) for p in shipped_scenarios()]
    rows += [_shipped("sweep", p) for p in shipped_sweeps()]
    if json_:
        print_json(rows)
        return
    for kind in ("scenario", "sweep"):
        group = [[r["name"], r["title"]] for r in rows if r["kind"] == kind]
        if group:
            print_table(f"{kind}s ({len(group)})", ["name", "title"], group)


@scenario_app.command("validate")
@guarded
def validate_scenario(
    files: Annotated[
        list[Path],
        typer.Argument(help="Scenario YAML files, or names of shipped scenarios."),
    ],
    settings: SettingsOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Validate scenarios: everything `infrasim run` refuses before simulating.

    Checks the schema, profile references, jobs that could never start (too many GPUs for
    their pool, or too little GPU memory), referenced files, and whether the run would fit
    this machine.
    """
    catalog = load_catalog(profiles)
    summaries = []
    for file in map(scenario_path, files):
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
