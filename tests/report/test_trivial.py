"""A plot with nothing to say becomes a sentence; partial month buckets are marked."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from simulator.report import render_report
from tests.report.conftest import synthetic_results


def _section(html: str, title: str) -> str:
    start = html.index(f"<h2>{title}</h2>")
    return html[start : html.index("</section>", start)]


def test_an_empty_queue_is_one_sentence_not_a_flat_line() -> None:
    results = synthetic_results()
    results.timeline["queue_length"] = 0
    block = _section(render_report(results), "Queue length")
    assert "The queue was empty all run: no job waited." in block
    assert 'class="plot"' not in block


def test_a_queue_that_changes_is_drawn() -> None:
    block = _section(render_report(synthetic_results()), "Queue length")
    assert 'class="plot"' in block


def test_one_job_gives_its_wait_and_its_span_in_words() -> None:
    results = synthetic_results(jobs=1)
    results.jobs.loc[0, ["wait_s", "start_s", "end_s"]] = [1800.0, 86400.0, 5 * 86400.0]
    html = render_report(results)
    wait = _section(html, "Wait-time distribution")
    assert "The only job waited 0.5 hours before its first start." in wait
    assert 'class="plot"' not in wait
    gantt = _section(html, "Job timeline (Gantt)")
    assert "from day 1.00 to 5.00" in gantt and 'class="plot"' not in gantt


def test_equal_waits_are_one_bar_so_a_sentence() -> None:
    results = synthetic_results(jobs=20)
    results.jobs["wait_s"] = 7200.0
    block = _section(render_report(results), "Wait-time distribution")
    assert "All 20 jobs waited 2 hours before their first start." in block


def test_a_service_that_never_scales_says_its_replica_count() -> None:
    results = synthetic_results(serving=True)
    results.tables["serving_timeline"]["replicas"] = 2
    results.tables["serving_timeline"]["queue"] = 0
    html = render_report(results)
    assert "The service ran 2 replicas all run (no scaling)." in _section(
        html, "Replicas over time"
    )
    queue = _section(html, "Serving queue over time")
    assert "The serving queue was empty all run." in queue and 'class="plot"' not in queue


def test_one_pool_gives_its_rack_density_in_a_sentence() -> None:
    block = _section(render_report(synthetic_results()), "Rack density and cooling")
    assert (
        "Pool main: 4 nodes per rack draw 40.8 kW at their maximum against a 40.0 kW air "
        "cooling limit; the engine lets 3 run at once (30.6 kW)." in block
    )
    assert 'class="plot"' not in block


def _figure(html: str, title: str) -> dict:
    block = _section(html, title)
    div = re.search(r'id="(plot-\d+)"', block).group(1)
    number = div.split("-")[1]
    return json.loads(re.search(rf"var fig{number}=(.*?);\n", html).group(1))


def test_a_partial_last_month_is_shaded_and_its_step_is_short() -> None:
    """36 buckets, the last 12 days long: month 36 is shaded and named, and the cumulative
    curve ends at 35 + 12 / 30.4375 = 35.394 elapsed months, not at 36."""
    results = synthetic_results(costs=True, last_month_days=12.0)
    html = render_report(results)
    block = _section(html, "Accrued cost by category and month")
    assert "Shaded months are partial buckets" in block and "month 36 covers 12.0 days" in block
    monthly = _figure(html, "Accrued cost by category and month")
    shapes = monthly["layout"]["shapes"]
    assert {(s["x0"], s["x1"]) for s in shapes if s["type"] == "rect"} == {(35.5, 36.5)}
    # one simulated month, 35 projected from it: the dotted line sits between months 1 and 2
    assert {s["x0"] for s in shapes if s["type"] == "line"} == {1.5}
    assert "Months 1-1 were simulated" in block
    cumulative = _figure(html, "Cumulative cost (cash)")
    ends = {round(t["x"][-1], 3) for t in cumulative["data"] if t["name"] in ("aws-p5-on-demand",)}
    assert ends == {35.394}
    # the last bucket costs 12/30.4375 of a month on demand: a short step, not a dip
    trace = next(t for t in cumulative["data"] if t["name"] == "aws-p5-on-demand")
    steps = np.diff(trace["y"])
    assert np.isclose(steps[-1] / steps[-2], 12.0 / 30.4375)


def test_whole_months_are_not_marked() -> None:
    html = render_report(synthetic_results(costs=True))
    assert "Shaded months" not in html
    shapes = _figure(html, "Accrued cost by category and month")["layout"].get("shapes", [])
    assert [s for s in shapes if s["type"] == "rect"] == []


def test_old_cost_tables_without_days_still_draw() -> None:
    results = synthetic_results(costs=True)
    results.tables["cost_monthly"] = results.tables["cost_monthly"].drop(columns="days")
    cumulative = results.tables["cost_cumulative"].drop(columns="days")
    results.tables["cost_cumulative"] = cumulative
    assert isinstance(results.tables["cost_cumulative"], pd.DataFrame)
    html = render_report(results)
    assert "<h2>Cumulative cost (cash)</h2>" in html and "Shaded months" not in html
