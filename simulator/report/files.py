"""Reports on disk: rebuilt from a results directory, written whole or not at all."""

from __future__ import annotations

from pathlib import Path

from simulator import atomic_files
from simulator.errors import InputError, Problem
from simulator.report.compare import render_comparison
from simulator.report.report import render_report
from simulator.results import Results

REPORT_FILE = "report.html"


def write_text_atomic(path: Path, content: str, field: str = "--out") -> Path:
    """Write `content` to a temporary sibling, then rename it over `path` (atomic_files).

    Raises:
        InputError: `path` is a directory.
    """
    if path.is_dir():
        raise InputError([Problem(str(path), field, "is a directory; give a file name")])
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_files.write_text_atomic(path, content)


def report_directory(directory: str | Path) -> Path:
    """Rebuild `DIR/report.html` from the results saved in `DIR`; returns its path.

    Raises:
        InputError: `directory` holds no results.
    """
    directory = Path(directory)
    html = render_report(Results.load(directory))
    return write_text_atomic(directory / REPORT_FILE, html)


def run_label(directory: Path, results: Results) -> str:
    """How a run is named in a comparison: its scenario name and directory."""
    return f"{results.summary.scenario} [{directory.name}]"


def compare_directories(directories: list[str | Path], out: str | Path) -> Path:
    """Write one page comparing the runs saved in `directories`; returns its path.

    Raises:
        InputError: fewer than two directories, or one holds no results.
    """
    if len(directories) < 2:
        raise InputError([Problem("compare", "DIRS", "give at least two results directories")])
    runs = []
    for directory in map(Path, directories):
        results = Results.load(directory)
        runs.append((run_label(directory, results), results))
    return write_text_atomic(Path(out), render_comparison(runs))
