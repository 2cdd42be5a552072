"""`infrasim validate`: the performance models against published measurements.

Prints, per kind, how many cases were evaluated or skipped and the median and worst absolute
percentage error, split into in-sample cases (the profiles were fitted to them) and held-out
ones, then the worst cases and why cases were skipped. The 'serving' kind re-runs the
'inference' cases through the serving simulator. The lead registers `validate_command`
on the top-level app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import JsonOption, ProfilesOption, guarded, load_catalog, print_json
from simulator.validation.cases import load_cases
from simulator.validation.runner import SERVING_KIND, run_validation
from simulator.validation.table import format_report


@guarded
def validate_command(
    cases: Annotated[
        Path | None,
        typer.Option(
            "--cases",
            help="Cases file (default: the published measurements shipped with infrasim).",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="Only these kinds (repeatable): gemm, allreduce, training, inference, "
            "serving (the serving simulator on the inference cases).",
        ),
    ] = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Compare the performance models with published measurements (error per kind)."""
    catalog = load_catalog(profiles)
    report = run_validation(load_cases(cases), catalog, kinds=kind, derived=[SERVING_KIND])
    if json_:
        print_json(report.to_dict())
    else:
        typer.echo(format_report(report))
