"""Reports are reproducible, self-contained, bounded in size, and show what the run has."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
import pytest

from simulator.report import Section, render_comparison, render_page, render_report
from simulator.report.page import plotly_js
from simulator.results import Results
from tests.report.conftest import synthetic_results

MAX_BYTES = 1_500_000


def _titles(html: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", html)


def test_same_results_give_the_same_bytes_even_after_save_and_load(
    full_results: Results, tmp_path: Path
) -> None:
    first = render_report(full_results)
    assert first == render_report(
        synthetic_results(name=full_results.summary["scenario"], costs=True, serving=True)
    )
    full_results.save(tmp_path / "run")
    reloaded = Results.load(tmp_path / "run")
    assert render_report(reloaded) == render_report(Results.load(tmp_path / "run"))
    assert re.findall(r'id="(plot-\d+)"', first) == [
        f"plot-{i}" for i in range(1, first.count('class="plot"') + 1)
    ]


def test_page_is_self_contained_with_plotly_embedded_once(full_results: Results) -> None:
    html = render_report(full_results)
    assert html.count(plotly_js()) == 1
    assert not re.search(r"<(link|iframe|img|object|embed)\b", html)
    assert not re.search(r"\ssrc\s*=", html)
    assert "default-src 'none'" in html  # the browser refuses any fetch the page might try
    ours = html.replace(plotly_js(), "")  # plotly.js itself may name newPlot too
    assert ours.count("Plotly.newPlot(") == 1  # inside draw(), called once per plot
    assert ours.count('draw("plot-') == ours.count('class="plot"')
    # the shared look is written once for the page, not once per figure
    assert ours.count("var template=") == 1 and '"template":' not in ours


def test_every_issue_section_is_present_when_the_run_has_its_data(full_results: Results) -> None:
    titles = _titles(render_report(full_results))
    assert titles == [
        "The answer",
        "Run in figures",
        "Accrued cost by category and month",
        "Cumulative cost (cash)",
        "Cumulative cost (accrued)",
        "GPU allocation and busy time",
        "Queue length",
        "Wait-time distribution",
        "Job timeline (Gantt)",
        "Failures and checkpoints",
        "Power",
        "Rack density and cooling",
        "Serving latency",
        "Batch size over time",
        "Replicas over time",
        "Serving queue over time",
        "KV-cache use over time",
        "Assumptions",
    ]
    html = render_report(full_results)
    for block in html.split("<section")[1:]:  # each section says what it shows
        assert re.search(r'<p class="what">[^<]{20,}</p>', block)
    assert "SLO attainment (chat)" in html and "97.0%" in html
    # the cash break-even is drawn on the cash chart; the accrued pair never breaks even
    assert "own-hgx-h100 breaks even with aws-p5-on-demand (cash): month 14" in html
    assert "breaks even with aws-p5-on-demand (accrued)" not in html


def test_cost_and_serving_sections_only_when_present() -> None:
    titles = _titles(render_report(synthetic_results()))
    assert not [t for t in titles if "ost" in t or "erving" in t or "Batch" in t]
    assert "IT power cap (throttle)" in render_report(synthetic_results())


def test_big_runs_get_no_gantt_and_a_note_instead() -> None:
    html = render_report(synthetic_results(jobs=500))
    assert "Not drawn: 500 jobs started" in html


def test_a_100k_job_run_stays_under_1_5_mb() -> None:
    big = synthetic_results(
        jobs=100_000, timeline_rows=400_000, costs=True, serving=True, requests=200_000
    )
    html = render_report(big)
    size = len(html.encode())
    assert size <= MAX_BYTES, size
    # Reduced data, not raw rows: the page is plotly.js plus a bounded amount of figure data.
    assert size - len(plotly_js()) < 300_000


def test_render_page_builds_other_pages_from_sections() -> None:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    html = render_page("Sweep <b>", [Section("Pareto", "Cost against time.", figure=fig)])
    assert "<title>Sweep &lt;b&gt;</title>" in html and 'id="plot-1"' in html
    assert plotly_js() not in render_page("Table only", [Section("T", "A table.")])


def test_comparison_sets_runs_side_by_side_with_unique_labels() -> None:
    a = synthetic_results(name="h100", costs=True, serving=True)
    b = synthetic_results(name="h200", seed=1, costs=True)
    html = render_comparison([("h100", a), ("h200", b), ("h200", b)])
    assert "h100 vs h200 vs h200 (2)" in html
    assert "<th>h200 (2)</th>" in html
    assert _titles(html)[:3] == ["The answers", "Headline figures", "GPU busy fraction"]
    assert html == render_comparison([("h100", a), ("h200", b), ("h200", b)])


@pytest.mark.parametrize("empty", ["timeline", "events"])
def test_empty_tables_leave_sections_out_rather_than_fail(empty: str) -> None:
    results = synthetic_results()
    setattr(results, empty, getattr(results, empty).iloc[0:0])
    assert "<h2>The answer</h2>" in render_report(results)


def test_every_accrued_cost_category_has_one_legend_entry(full_results: Results) -> None:
    html = render_report(full_results)
    monthly = html[html.index("var fig1=") : html.index("var fig2=")]
    table = full_results.tables["cost_monthly"]
    categories = set(table.loc[table["basis"] == "accrued", "category"])
    assert monthly.count('"showlegend":true') == len(categories) == 5  # cash rows not stacked
