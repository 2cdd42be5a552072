"""The assumptions sheet: every value with source and date, --set overrides highlighted, CSV."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from simulator.cli import app
from simulator.report import render_report
from simulator.report.sections.assumptions import overridden_by, override_keys, sheet
from tests.conftest import write_yaml
from tests.engine.conftest import PROFILES, base_scenario, training_job
from tests.report.conftest import synthetic_results


def test_an_override_marks_the_value_it_set_and_the_values_inside_a_block_it_set() -> None:
    results = synthetic_results(overrides=["cluster.pools.0.count=64", "failures={}"])
    keys = override_keys(results)
    assert keys == [
        ("cluster.pools.0.count=64", ("cluster", "pools", 0, "count")),
        ("failures={}", ("failures",)),
    ]
    assert overridden_by("cluster.pools[0].count", keys) == "cluster.pools.0.count=64"
    assert overridden_by("cluster.pools[0].name", keys) == ""
    assert overridden_by("failures.gpu_failure_rate_per_hour", keys) == "failures={}"
    assert overridden_by("", keys) == ""  # profile values carry no scenario key


def test_sheet_starts_with_provenance_then_every_value_with_source_and_date() -> None:
    results = synthetic_results(overrides=["cluster.pools.0.count=64"])
    frame = sheet(results)
    assert frame is not None
    run = frame[frame["group"] == "run"]
    assert dict(zip(run["field"], run["value"], strict=False))["seed"] == "0"
    assert "900 days since 2024-06 (STALE: older than a year)" in set(run["value"])
    values = frame[frame["group"] != "run"]
    assert len(values) == len(results.tables["assumptions"])
    assert (frame["source"].str.len() > 0).all() and (frame["as_of"].str.len() > 0).all()
    assert list(frame.loc[frame["overridden"] != "", "field"]) == ["cluster.pools[0].count"]


def test_the_page_highlights_overrides_and_embeds_the_csv_rows() -> None:
    results = synthetic_results(overrides=["cluster.pools.0.count=64"])
    html = render_report(results)
    highlighted = re.findall(r'<tr class="override"[^>]*>(.*?)</tr>', html)
    assert len(highlighted) == 1 and "cluster.pools[0].count" in highlighted[0]
    assert "Changed with --set: cluster.pools.0.count=64 (1 value, highlighted below)." in html
    assert 'download="assumptions.csv"' in html and 'id="assumptions-csv"' in html
    sources = json.loads(re.search(r"var sheetSources=(.*?);\n", html).group(1))
    frame = sheet(results)
    table = html[
        html.index('id="assumptions-sheet"') : html.index(
            "</table>", html.index('id="assumptions-sheet"')
        )
    ]
    rows = re.findall(r"<tr( [^>]*)?>(?=<td)", table)
    assert len(rows) == len(frame)  # every value is in the table the CSV is built from
    indices = [int(re.search(r'data-s="(\d+)"', attrs).group(1)) for attrs in rows]
    assert [sources[i] for i in indices] == list(frame["source"])  # sources stored once
    assert len(sources) == frame["source"].nunique() < len(frame)
    keys = [re.search(r'data-key="([^"]*)"', attrs) for attrs in rows]
    assert [k.group(1) if k else "" for k in keys] == list(frame["key"])


def test_a_run_without_overrides_says_so() -> None:
    html = render_report(synthetic_results())
    assert "No --set overrides: the scenario file as written." in html
    assert 'class="override"' not in html


def test_run_saves_the_sheet_of_the_scenario_as_run(runner, tmp_path: Path) -> None:
    data = base_scenario(nodes=2, workloads={"training_jobs": [training_job(steps=50)]})
    data["name"] = "sheet test"
    scenario = write_yaml(tmp_path / "s.yaml", data)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["run", str(scenario), "--out", str(out), "--profiles", str(PROFILES),
         "--set", "cluster.pools.0.count=3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "assumptions.parquet")
    count = table[table["key"] == "cluster.pools[0].count"]
    assert list(count["value"]) == ["3"]  # the value as run, not as written
    assert {"scenario", "node", "gpu", "facility", "storage"} <= set(table["group"])
    assert (table["source"].str.len() > 0).all() and (table["as_of"].str.len() > 0).all()
    html = (out / "report.html").read_text()
    highlighted = re.findall(r'<tr class="override"[^>]*>(.*?)</tr>', html)
    assert len(highlighted) == 1 and "cluster.pools[0].count" in highlighted[0]
    assert "(with --set cluster.pools.0.count=3)</h1>" in html
