"""The `infrasim` command: a typer app whose commands are a few lines over the library."""

from __future__ import annotations

from typing import Annotated

import typer

from simulator._version import __version__
from simulator.cli import (
    estimate_llm,  # noqa: F401  (registers estimate training/inference)
    estimate_serving,  # noqa: F401  (registers estimate serving)
)
from simulator.cli.calibrate import calibrate_app
from simulator.cli.cost import cost_app
from simulator.cli.estimate import estimate_app
from simulator.cli.plan import plan_command
from simulator.cli.profiles import profiles_app
from simulator.cli.report import compare_command, report_command
from simulator.cli.run import run_command
from simulator.cli.scenario import scenario_app
from simulator.cli.sweep import search_command, sweep_command
from simulator.cli.validate import validate_command

app = typer.Typer(
    name="infrasim",
    help="Plan AI clusters: what to buy or rent, at what cost, power and risk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(profiles_app, name="profiles")
app.add_typer(scenario_app, name="scenario")
app.add_typer(
    estimate_app,
    name="estimate",
    help="Estimates without a scenario: a GEMM, a collective, a training step, a static "
    "inference batch, a serving stream.",
)
app.add_typer(calibrate_app, name="calibrate")
app.add_typer(cost_app, name="cost")
app.command("run")(run_command)
app.command("validate")(validate_command)
app.command("report")(report_command)
app.command("compare")(compare_command)
app.command("sweep")(sweep_command)
app.command("search")(search_command)
app.command("plan")(plan_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"infrasim {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """infrasim: hardware catalog, performance estimates and cluster simulation."""


def run() -> None:
    """Console-script entry point."""
    app()
