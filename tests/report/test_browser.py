"""Reports open from disk in headless Chromium: no errors, no network, every plot drawn.

Skipped when no Chromium is installed, unless INFRASIM_REQUIRE_CHROMIUM=1 (set by `.ci/run`,
which installs Debian's `chromium`): there a missing browser fails the test instead.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from simulator.report import compare_directories, render_comparison, render_report
from simulator.report.sections.assumptions import CSV_COLUMNS, sheet
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


def _download(browser: Chromium, session: str, directory: Path) -> str:
    """Click the CSV link as a reader would; the text of the file the browser saves."""
    directory.mkdir()
    browser.send(
        "Browser.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(directory), "eventsEnabled": True},
    )
    browser.evaluate(session, "document.getElementById('assumptions-csv').click()")
    while True:
        event = browser.wait_for("Browser.downloadProgress")
        browser.events.remove(event)
        if event["params"]["state"] != "inProgress":
            break
    assert event["params"]["state"] == "completed", event
    saved = Path(event["params"]["filePath"])
    assert saved.name == "assumptions.csv" and saved.parent == directory
    return saved.read_bytes().decode("utf-8")  # as saved: CSV lines end in CRLF


def test_the_assumptions_csv_is_built_in_the_page_and_parses(browser, tmp_path) -> None:
    results = synthetic_results(name="csv", costs=True, overrides=["cluster.pools.0.count=64"])
    path = tmp_path / "report.html"
    path.write_text(render_report(results))
    session = _check(browser, path)
    link = browser.evaluate(
        session,
        "(l => [l.getAttribute('download'), l.href.slice(0, 5)])"
        "(document.getElementById('assumptions-csv'))",
    )
    assert link == ["assumptions.csv", "blob:"]  # a file made by the page: nothing fetched
    text = browser.evaluate(session, "assumptionsCsv()")
    assert _download(browser, session, tmp_path / "downloads") == text  # what a click saves
    rows = list(csv.reader(io.StringIO(text)))
    expected = sheet(results)
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[1:] == expected[list(CSV_COLUMNS)].astype(str).values.tolist()
    overridden = [r for r in rows[1:] if r[CSV_COLUMNS.index("overridden")]]
    assert [r[CSV_COLUMNS.index("field")] for r in overridden] == ["cluster.pools[0].count"]
    assert any('"price" page' in r[CSV_COLUMNS.index("source")] for r in rows)  # quotes survive
    highlighted = browser.evaluate(
        session,
        "Array.from(document.querySelectorAll('tr.override td')).map("
        "td => getComputedStyle(td).backgroundColor)",
    )
    assert highlighted and set(highlighted) == {"rgb(255, 243, 196)"}


def test_shipped_reports_and_a_four_run_compare_open_and_answer_first(
    browser, shipped_runs, tmp_path
) -> None:
    train = shipped_runs["llama3-70b-pretrain-h100"] / "report.html"
    session = _check(browser, train)
    answer = browser.evaluate(session, "document.getElementById('answer').innerText")
    assert "trains in" in answer and "Cheapest" in answer and "Risk" in answer
    browser.send(  # a laptop screen, 1280 x 800
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    bottom, screen, plot_top = browser.evaluate(
        session,
        "[document.getElementById('answer').getBoundingClientRect().bottom, window.innerHeight,"
        " document.querySelector('div.plot').getBoundingClientRect().top]",
    )
    assert bottom <= screen and bottom < plot_top  # on the first screen, above every plot
    queue = browser.evaluate(
        session,
        "Array.from(document.querySelectorAll('section')).filter("
        "s => s.querySelector('h2').textContent === 'Queue length').map("
        "s => [s.innerText, s.querySelectorAll('div.plot').length])",
    )
    assert queue == [[queue[0][0], 0]] and "The queue was empty all run" in queue[0][0]
    serve = shipped_runs["llama3-70b-serving-h200"] / "report.html"
    session = _check(browser, serve)
    assert "TTFT" in browser.evaluate(session, "document.getElementById('answer').innerText")
    runs = [shipped_runs[n] for n in ("llama3-70b-pretrain-h100", "llama3-70b-serving-h200")] * 2
    page = compare_directories(runs, tmp_path / "compare.html")
    session = _check(browser, page)
    first = browser.evaluate(session, "document.querySelector('h2').textContent")
    assert first == "The answers"
