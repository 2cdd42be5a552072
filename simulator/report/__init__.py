"""Self-contained HTML reports of simulation results (the only package importing plotly).

A run's page is a decision document: the answer first (`sections/answer.py`: question,
time to train or serving latencies, cheapest option per cost basis, risk), the evidence, then
the assumptions sheet (`sections/assumptions.py`, downloadable as CSV). Pages embed the
vendored plotly.js basic bundle (`vendor/`) and stay under 1.5 MB.

- `render_report(results)`: one run's page as a string (what `infrasim run --out` saves).
- `report_directory(dir)` / `compare_directories(dirs, out)`: `infrasim report` / `compare`.
- `render_page(title, sections)` with `Section(title, sentence, figure=..., table=...)`:
  any other page (a sweep's Pareto front), with the same offline, escaped, reproducible HTML.
- `input_tables(loaded, summary)`: the `inputs`, `racks` and `assumptions` tables a run saves
  for its report.
"""

from simulator.report.compare import render_comparison
from simulator.report.files import REPORT_FILE, compare_directories, report_directory
from simulator.report.page import Section, render_page
from simulator.report.provenance import input_tables
from simulator.report.report import render_report

__all__ = [
    "REPORT_FILE",
    "Section",
    "compare_directories",
    "input_tables",
    "render_comparison",
    "render_page",
    "render_report",
    "report_directory",
]
