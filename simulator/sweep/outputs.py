"""A sweep's files: `points.parquet`, `points.csv` and `report.html`, each written atomically.

Tables go to a temporary sibling and are renamed into place, so a reader (or a kill) never
sees half a table; the run store beside them (`runs.jsonl`) is what a restart resumes from.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulator.atomic_files import write_atomic, write_text_atomic
from simulator.report.sweep_page import SweepFigure, render_sweep_page
from simulator.sweep.spec import LoadedSweep
from simulator.sweep.table import figures_of

TABLE_PARQUET = "points.parquet"
TABLE_CSV = "points.csv"
PAGE = "report.html"


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
    files["html"] = write_text_atomic(out / PAGE, html)
    return files
