"""A sweep's files: `points.parquet`, `points.csv` and `report.html`, each written atomically.

Tables go to a temporary sibling and are renamed into place, so a reader (or a kill) never
sees half a table; the run store beside them (`runs.jsonl`) is what a restart resumes from.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from simulator.report.sweep_page import SweepFigure, render_sweep_page
from simulator.sweep.spec import LoadedSweep
from simulator.sweep.table import figures_of

TABLE_PARQUET = "points.parquet"
TABLE_CSV = "points.csv"
PAGE = "report.html"


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(temporary sibling)`, then rename it over `path` (readable as umask allows)."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    os.close(handle)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def page_figures(sweep: LoadedSweep) -> list[SweepFigure]:
    """The sweep's figures as the page needs them, each metric once (objectives first)."""
    seen: set[str] = set()
    figures = []
    for f in figures_of(sweep):
        if f.metric not in seen:
            seen.add(f.metric)
            figures.append(SweepFigure(f.column, f.goal))
    return figures


def write_outputs(
    table: pd.DataFrame, sweep: LoadedSweep, out: Path, title: str | None = None
) -> dict[str, Path]:
    """Write the table (Parquet, CSV) and the HTML page under `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "parquet": write_atomic(out / TABLE_PARQUET, lambda p: table.to_parquet(p, index=False)),
        "csv": write_atomic(out / TABLE_CSV, lambda p: table.to_csv(p, index=False)),
    }
    spec = sweep.spec
    subtitle = (
        f"Base scenario {sweep.base_path.name}; {spec.replications} seed(s) per point from "
        f"seed {sweep.seed}; intervals are 95% Student t."
    )
    html = render_sweep_page(
        title or f"infrasim sweep: {spec.name}",
        table,
        [[c.name for c in axis] for axis in sweep.axes],
        page_figures(sweep),
        subtitle,
    )
    files["html"] = write_atomic(out / PAGE, lambda p: p.write_text(html, encoding="utf-8"))
    return files
