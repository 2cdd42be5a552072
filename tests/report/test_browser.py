"""Reports open from disk in headless Chromium: no errors, no network, every plot drawn.

Skipped when no Chromium is installed, unless INFRASIM_REQUIRE_CHROMIUM=1 (set by `.ci/run`,
which installs Debian's `chromium`): there a missing browser fails the test instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulator.report import render_comparison, render_report
from tests.report.browser import Chromium, find_chromium
from tests.report.conftest import synthetic_results

BINARY = find_chromium()
REQUIRED = os.environ.get("INFRASIM_REQUIRE_CHROMIUM") == "1"

pytestmark = pytest.mark.skipif(
    BINARY is None and not REQUIRED,
    reason="headless Chromium not installed (apt-get install -y chromium chromium-driver)",
)

PLOTS_DRAWN = """
Array.from(document.querySelectorAll('div.plot')).map(
  d => [d.id, d.querySelectorAll('svg.main-svg').length, d.querySelectorAll('.trace').length])
"""


@pytest.fixture(scope="module")
def browser():
    if BINARY is None:
        pytest.fail("INFRASIM_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get chromium)")
    chromium = Chromium(BINARY)
    yield chromium
    chromium.close()


def _check(browser: Chromium, path: Path) -> str:
    """Open `path`; assert the page is quiet, offline and fully drawn; return its session."""
    session, log = browser.open(path)
    assert log.errors() == []
    fetched = [url for url in log.requests if not url.startswith("data:")]  # inline, not fetched
    assert fetched == [path.resolve().as_uri()], log.requests  # the file itself, nothing else
    assert browser.evaluate(session, "performance.getEntriesByType('resource').length") == 0
    plots = browser.evaluate(session, PLOTS_DRAWN)
    assert len(plots) == path.read_text().count('class="plot"') > 0
    undrawn = [plot_id for plot_id, svgs, traces in plots if svgs == 0 or traces == 0]
    assert undrawn == []
    return session


def test_report_loads_offline_without_errors_and_draws_every_plot(browser, tmp_path) -> None:
    results = synthetic_results(
        name="<script>window.__pwned=1</script> plan", costs=True, serving=True
    )
    results.jobs.loc[0, "name"] = "<img src=x onerror=window.__pwned=2>"
    path = tmp_path / "report.html"
    path.write_text(render_report(results))
    session = _check(browser, path)
    assert browser.evaluate(session, "typeof window.__pwned") == "undefined"
    heading = browser.evaluate(session, "document.querySelector('h1').textContent")
    assert "<script>window.__pwned=1</script> plan" in heading  # shown as text
    gantt_labels = browser.evaluate(
        session, "Array.from(document.querySelectorAll('.ytick text')).map(t => t.textContent)"
    )
    assert any("<img src=x" in text for text in gantt_labels)


def test_comparison_loads_offline_and_draws_every_plot(browser, tmp_path) -> None:
    runs = [
        ("h100", synthetic_results(name="h100", costs=True, serving=True)),
        ("b200", synthetic_results(name="b200", seed=3, costs=True)),
    ]
    path = tmp_path / "compare.html"
    path.write_text(render_comparison(runs))
    _check(browser, path)


def test_the_check_sees_requests_console_errors_and_exceptions(browser, tmp_path) -> None:
    """The watchers above are real: a page that fetches, logs and throws is caught."""
    path = tmp_path / "bad.html"
    path.write_text(
        '<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/a.png">'
        '<script>console.error("boom"); throw new Error("bang");</script></body></html>'
    )
    _, log = browser.open(path)
    assert "http://127.0.0.1:9/a.png" in log.requests
    errors = " ".join(log.errors())
    assert "boom" in errors and "bang" in errors
