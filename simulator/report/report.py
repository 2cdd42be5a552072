"""A run's report: the sections in reading order, assembled into one page."""

from __future__ import annotations

from simulator.report.page import Section, render_page
from simulator.report.sections import cluster, cost, inputs, power, serving, summary
from simulator.results import Results


def report_sections(results: Results) -> list[Section]:
    """Every section that has something to show for this run."""
    return (
        summary.sections(results)
        + cost.sections(results)
        + cluster.sections(results)
        + power.sections(results)
        + serving.sections(results)
        + inputs.sections(results)
    )


def render_report(results: Results) -> str:
    """The self-contained HTML report of one run (same results: same bytes)."""
    s = results.summary
    subtitle = (
        f"{s.total_gpus:,} GPUs on {s.nodes:,} nodes, "
        f"{s.horizon_days:g} simulated days, seed {s.seed}, "
        f"scheduler {s.scheduler}, placement {s.placement}, "
        f"facility {s.facility}."
    )
    title = f"infrasim report: {s.scenario}"
    return render_page(title, report_sections(results), subtitle)
