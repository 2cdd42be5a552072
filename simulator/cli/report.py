"""`infrasim report DIR` and `infrasim compare DIR1 DIR2 ... --out FILE`: HTML from saved runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import guarded
from simulator.report import compare_directories, report_directory


@guarded
def report_command(
    directory: Annotated[
        Path,
        typer.Argument(help="Results directory from `infrasim run --out`.", show_default=False),
    ],
) -> None:
    """Rebuild DIR/report.html from the results saved in DIR."""
    typer.echo(f"report written to {report_directory(directory)}")


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
) -> None:
    """Write one HTML page setting several runs side by side."""
    typer.echo(f"comparison written to {compare_directories(list(directories), out)}")
