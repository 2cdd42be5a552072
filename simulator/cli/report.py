"""`infrasim report DIR` and `infrasim compare DIR1 DIR2 ... --out FILE`: HTML from saved runs.

With `--json` each prints what it wrote (the page, its size, the runs it read), so a script
can pick the page up without parsing a sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import JsonOption, guarded, holding, print_json
from simulator.errors import InputError, Problem
from simulator.report import compare_directories, report_directory


def _written(page: Path, runs: list[Path]) -> dict[str, object]:
    return {"written": str(page), "bytes": page.stat().st_size, "runs": [str(r) for r in runs]}


@guarded
def report_command(
    directory: Annotated[
        Path,
        typer.Argument(help="Results directory from `infrasim run --out`.", show_default=False),
    ],
    json_: JsonOption = False,
) -> None:
    """Rebuild DIR/report.html from the results saved in DIR (no simulation)."""
    not_results = InputError([Problem(str(directory), "", "not a results directory")])
    if not directory.parent.is_dir():
        raise not_results
    with holding(directory, "report", "DIR"):  # not while a run is replacing it
        if not directory.is_dir():  # looked for once the lock has put stranded results back
            raise not_results
        page = report_directory(directory)
    if json_:
        print_json(_written(page, [directory]))
        return
    typer.echo(f"report written to {page}")


@guarded
def compare_command(
    directories: Annotated[
        list[Path],
        typer.Argument(help="Two or more results directories.", show_default=False),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="HTML file to write (atomically).", show_default=False),
    ],
    json_: JsonOption = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace --out even if it is not a page infrasim wrote."),
    ] = False,
) -> None:
    """Write one HTML page setting several saved runs side by side."""
    with holding(out, "compare"):
        page = compare_directories(list(directories), out, force=force)
    if json_:
        print_json(_written(page, list(directories)))
        return
    typer.echo(f"comparison written to {page}")
