"""Helpers every command shares: catalog options, error exits, JSON or human output.

Bad input must end in one line per problem on stderr and a non-zero exit, never a traceback;
`guarded` is the one place that turns InputError into that.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from simulator.catalog import Catalog
from simulator.errors import InputError, Problem, os_reason
from simulator.invariants import InvariantViolation
from simulator.output_lock import OutputLock, acquire
from simulator.results import plain
from simulator.units import Unit, parse_quantity

EXIT_BAD_INPUT = 2
EXIT_IO_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_BUG = 3
"""A run broke one of its own invariants (simulator/invariants.py): a bug to report."""
EXIT_NO_ANSWER = 4
"""The command ran but found no answer (a search where no point meets every constraint)."""

ProfilesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--profiles",
        help="Extra profile directory (repeatable); $INFRASIM_PROFILES adds more.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]
SeedOption = Annotated[
    int | None, typer.Option("--seed", help="Override the scenario's seed.", show_default=False)
]
SettingsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a scenario field, e.g. --set policies.scheduler.kind=easy_backfill "
        "(repeatable).",
        show_default=False,
    ),
]
CalibrationOption = Annotated[
    Path | None,
    typer.Option(
        "--calibration",
        help="Calibration file from `infrasim calibrate run`: replaces the measured GPU's "
        "efficiency table (or adds the measured CPU as a device).",
        show_default=False,
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


def report_problems(error: InputError) -> None:
    """Write one line per problem to stderr."""
    for problem in error.problems:
        typer.echo(f"error: {problem}", err=True)


def guarded(command: F) -> F:
    """Run a command; turn InputError into readable lines and exit code 2.

    A failed write (disk full, permissions) or Ctrl-C also ends in one line: outputs are
    written to a temporary name and renamed, so whatever was there before is still there.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            report_problems(exc)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            typer.echo(
                f"error: {where}{os_reason(exc)}; earlier outputs were left as they were",
                err=True,
            )
            raise typer.Exit(EXIT_IO_ERROR) from None
        except InvariantViolation as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_BUG) from None
        except KeyboardInterrupt:
            typer.echo(interrupted_message(kwargs.get("out")), err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


def interrupted_message(out: Any) -> str:
    """What Ctrl-C left behind: outputs are replaced only by a finished write, never partly."""
    if isinstance(out, Path):
        from simulator.sweep.store import RUNS_FILE

        if (out / RUNS_FILE).is_file():
            return (
                f"interrupted; runs finished so far are kept in {out / RUNS_FILE} (run the "
                "same command to resume); the earlier table and page were left as they were"
            )
        if (out / "summary.json").is_file():
            return f"interrupted; {out} was left as it was (it still holds the earlier results)"
        if out.exists():
            return f"interrupted; {out} was left as it was"
        return f"interrupted; nothing was written ({out} was not created)"
    return "interrupted; earlier outputs were left as they were"


@contextlib.contextmanager
def holding(output: Path, command: str, field: str = "--out") -> Iterator[OutputLock]:
    """Hold `output`'s lock (simulator/output_lock.py) for the block; say what was cleaned."""
    lock = acquire(output, command, field)
    try:
        print_warnings(lock.notes)
        yield lock
    finally:
        lock.release()


def load_catalog(profiles: list[Path] | None, calibration: Path | None = None) -> Catalog:
    """The built-in catalog plus user directories, with a calibration overlay if given."""
    return Catalog.load(profiles or []).with_calibration(calibration)


def dumps(value: Any) -> str:
    """Strict JSON (no NaN/Infinity), keys in insertion order."""
    return json.dumps(plain(value), allow_nan=False, default=str)


def print_warnings(warnings: list[str]) -> None:
    """One `warning:` line per item on stderr (stdout stays the result, e.g. its JSON)."""
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


def print_json(value: Any) -> None:
    """One JSON document on stdout and nothing else."""
    sys.stdout.write(dumps(value) + "\n")


def option_quantity(flag: str, text: str, unit: Unit, *, positive: bool = True) -> float:
    """An option's value in `unit` ('36mo', '3y', '2T', '400Gb/s'), read as scenario files
    read the same quantity (simulator/units.py); InputError naming the flag otherwise."""
    try:
        value = parse_quantity(text, unit)
    except ValueError as exc:
        raise InputError([Problem(flag, "", f"{exc} (got {text!r})")]) from None
    if positive and value <= 0:
        raise InputError([Problem(flag, "", f"must be greater than 0 (got {text!r})")])
    return value


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    """A title line, then a terminal table (rich): aligned columns, no colour when piped.

    Piped or captured output is not wrapped to 80 columns and carries no trailing blanks, so
    `grep` and tests see one line per row; on a terminal rich fits the table to the window.
    """
    tty = sys.stdout.isatty()
    console = Console(file=sys.stdout, width=None if tty else 10_000, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    with console.capture() as captured:
        console.print(table)
    lines = [title, *("  " + line.rstrip() for line in captured.get().splitlines())]
    typer.echo("\n".join(lines))
