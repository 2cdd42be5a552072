"""A run's report: the sections in reading order, assembled into one page.

The page reads as a decision document: the answer first (question, answer, cost on each
basis, risk), the figures a planner quotes, then the evidence (cost, cluster use, power,
serving), and last the assumptions sheet every figure rests on.
"""

from __future__ import annotations

from simulator.report.answers import span
from simulator.report.page import Section, render_page
from simulator.report.sections import answer, assumptions, cluster, cost, power, serving, summary
from simulator.results import Results


def report_sections(results: Results) -> list[Section]:
    """Every section that has something to show for this run."""
    return (
        answer.sections(results)
        + summary.sections(results)
        + cost.sections(results)
        + cluster.sections(results)
        + power.sections(results)
        + serving.sections(results)
        + assumptions.sections(results)
    )


def render_report(results: Results) -> str:
    """The self-contained HTML report of one run (same results: same bytes)."""
    s = results.summary
    subtitle = (
        f"{s.total_gpus:,} GPUs on {s.nodes:,} nodes, "
        f"{span(s.horizon_days)}, seed {s.seed}, "
        f"scheduler {s.scheduler}, placement {s.placement}, "
        f"facility {s.facility}."
    )
    return render_page(
        f"infrasim report: {answer.title(results)}", report_sections(results), subtitle
    )
