"""Pages stay at or under 1.5 MB: the vendored basic plotly.js bundle, one shared template,
bounded figure data. The shipped scenarios, a 4-run compare, and the figures they quote."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from simulator.report import compare_directories, render_page
from simulator.report.answers import days, ms, usd
from simulator.report.page import BUNDLE_VERSION, Section, UnsupportedTrace, plotly_js

MAX_PAGE_BYTES = 1_500_000
VENDOR = Path(__file__).resolve().parents[2] / "simulator" / "report" / "vendor"


def _version(bundle: str) -> str:
    return re.search(r"plotly\.js(?: \(basic - minified\))? v(\d+\.\d+\.\d+)", bundle[:500]).group(
        1
    )


def test_the_vendored_bundle_matches_the_plotly_js_the_python_package_targets() -> None:
    """The figure JSON plotly (Python) writes is read by the same plotly.js major.minor."""
    vendored = _version(plotly_js())
    assert vendored == BUNDLE_VERSION
    assert vendored.split(".")[:2] == _version(get_plotlyjs()).split(".")[:2]
    assert "(basic - minified)" in plotly_js()[:200]
    assert len(plotly_js()) < len(get_plotlyjs()) / 3
    assert "MIT License" in (VENDOR / "LICENSE").read_text()
    readme = (VENDOR / "README.md").read_text()
    assert "plotly.js-basic-dist-min" in readme and BUNDLE_VERSION in readme


def test_a_trace_type_the_bundle_lacks_is_refused_not_drawn_blank() -> None:
    fig = go.Figure(go.Heatmap(z=[[1, 2], [3, 4]]))
    with pytest.raises(UnsupportedTrace, match="heatmap"):
        render_page("x", [Section("Heat", "A heatmap.", figure=fig)])


@pytest.mark.parametrize("name", ["llama3-70b-pretrain-h100", "llama3-70b-serving-h200"])
def test_shipped_scenario_reports_are_at_most_1_5_mb(shipped_runs, name: str) -> None:
    size = (shipped_runs[name] / "report.html").stat().st_size
    assert size <= MAX_PAGE_BYTES, size


def test_a_four_run_compare_is_at_most_1_5_mb(shipped_runs, tmp_path: Path) -> None:
    runs = [shipped_runs[n] for n in ("llama3-70b-pretrain-h100", "llama3-70b-serving-h200")] * 2
    page = compare_directories(runs, tmp_path / "compare.html")
    assert page.stat().st_size <= MAX_PAGE_BYTES, page.stat().st_size


def test_the_report_quotes_the_figures_of_summary_json(shipped_runs) -> None:
    """Time to train, the cheapest option on each basis and the serving latencies on the
    first screen are summary.json's, formatted, not recomputed."""
    train = shipped_runs["llama3-70b-pretrain-h100"]
    summary = json.loads((train / "summary.json").read_text())
    html = (train / "report.html").read_text()
    box = html[html.index('id="answer"') : html.index("</div>", html.index('id="answer"'))]
    job = summary["training_jobs"][0]
    assert job["time_to_train_days"] is not None
    assert f"trains in {days(job['time_to_train_days'])}" in box
    costs = summary["costs"]
    by_name = {o["name"]: o for o in costs["options"]}
    cash = by_name[costs["cheapest"]["cash"]]
    assert f"{cash['name']} (cash {usd(cash['cost_cash_usd'])}" in box or (
        f"Cheapest in cash: {cash['name']} ({usd(cash['cost_cash_usd'])})" in box
    )
    accrued = by_name[costs["cheapest"]["accrued"]]
    assert usd(accrued["cost_accrued_usd"]) in box and accrued["name"] in box
    serve = shipped_runs["llama3-70b-serving-h200"]
    summary = json.loads((serve / "summary.json").read_text())
    html = (serve / "report.html").read_text()
    name, service = next(iter(summary["serving"].items()))
    p99 = ms(service["ttft_p99_ms"]).removesuffix(" ms")
    assert f"{name}: p50/p90/p99 TTFT " in html and f"/{p99} ms; TPOT" in html


@pytest.mark.parametrize("name", ["llama3-70b-pretrain-h100", "llama3-70b-serving-h200"])
def test_a_shipped_report_refers_to_nothing_outside_itself(shipped_runs, name: str) -> None:
    """Apart from the bundled library, the page links nowhere but its own CSV and cites no
    file of the repository (profiles cite their primary sources)."""
    html = (shipped_runs[name] / "report.html").read_text()
    ours = html.replace(plotly_js(), "")
    assert re.findall(r"\bhref=\"([^\"]*)\"", ours) == ["#"]  # the CSV link, set by the page
    assert not re.search(r"\ssrc\s*=", ours)
    assert "figures.md" not in html
