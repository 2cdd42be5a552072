"""Reports on disk: rebuilt from a results directory, written whole or not at all."""

from __future__ import annotations

from pathlib import Path

from simulator import atomic_files
from simulator.errors import InputError, Problem
from simulator.output_lock import refuse_overwrite
from simulator.report.compare import render_comparison
from simulator.report.report import render_report
from simulator.results import Results

REPORT_FILE = "report.html"
PAGE_START = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
"""How every page infrasim writes begins (report/page.py): what marks an earlier output."""


def is_infrasim_page(path: Path) -> bool:
    """Whether `path` is a page infrasim wrote (so `compare --out` may replace it)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            head = stream.read(4096)
    except OSError:
        return False
    return head.startswith(PAGE_START) and "Content-Security-Policy" in head


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


def compare_directories(
    directories: list[str | Path], out: str | Path, force: bool = False
) -> Path:
    """Write one page comparing the runs saved in `directories`; returns its path.

    An existing `out` is replaced only if it is a page infrasim wrote, or with `force`.

    Raises:
        InputError: fewer than two directories, one holds no results, or `out` is some
            other file.
    """
    if len(directories) < 2:
        raise InputError([Problem("compare", "DIRS", "give at least two results directories")])
    out = Path(out)
    if not out.is_dir():
        refuse_overwrite(out, is_infrasim_page(out), force, "compare")
    runs = []
    for directory in map(Path, directories):
        results = Results.load(directory)
        runs.append((run_label(directory, results), results))
    return write_text_atomic(Path(out), render_comparison(runs))
