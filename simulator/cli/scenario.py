"""`infrasim scenario ...`: check a scenario file before running it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import (
    JsonOption,
    ProfilesOption,
    guarded,
    load_catalog,
    print_json,
)
from simulator.engine.budget import check_budget
from simulator.scenario import load_scenario

scenario_app = typer.Typer(help="Check scenario files.", no_args_is_help=True)


@scenario_app.command("validate")
@guarded
def validate_scenario(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Validate scenarios: schema, profile references, job sizes, referenced files, and
    whether the run would fit this machine (the resource guard `infrasim run` applies)."""
    catalog = load_catalog(profiles)
    summaries = []
    for file in files:
        loaded = load_scenario(file, catalog)
        check_budget(loaded, loaded.scenario.horizon_days * 86400.0)
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
