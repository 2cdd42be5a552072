"""The assumptions sheet: every value the run used, where it comes from, and what `--set` changed.

A finance or facilities reviewer signs a figure only after checking what went into it, so the
sheet lists the scenario as run (workloads, policies, failure rates, horizon) and every field
of every profile it resolved (hardware, facility, price sheets, model shapes), each with its
source and `as_of`. Values a `--set` override changed are highlighted, and the whole sheet is
downloadable as CSV: the page builds the file itself (a Blob from data embedded in the page),
so nothing is fetched and the page's `default-src 'none'` policy still holds.

Results saved before the sheet existed have only the `inputs` table (one row per profile);
the section then shows that and says the per-value sheet is missing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from simulator.report.escape import script_json, text
from simulator.report.page import Section
from simulator.report.tables import html_table
from simulator.results import Results
from simulator.scenario_settings import parse_path

CSV_FILE = "assumptions.csv"
CSV_LINK_ID = "assumptions-csv"
CSV_COLUMNS = ("group", "item", "field", "value", "key", "overridden", "source", "as_of")
SHOWN_COLUMNS = ("group", "item", "field", "value", "overridden", "as_of")

CSV_SCRIPT = """var sheetSources=%s;
function assumptionsCsv(){
var q=function(v){v=String(v);return /[",\\r\\n]/.test(v)?'"'+v.replace(/"/g,'""')+'"':v;};
var lines=[%s.map(q).join(",")];
document.querySelectorAll("#assumptions-sheet tbody tr").forEach(function(tr){
var c=Array.from(tr.cells).map(function(td){return td.textContent;});
lines.push([c[0],c[1],c[2],c[3],tr.dataset.key||"",c[4],sheetSources[+tr.dataset.s],c[5]]
.map(q).join(","));});
return lines.join("\\r\\n")+"\\r\\n";}
document.getElementById("%s").href=URL.createObjectURL(
new Blob([assumptionsCsv()],{type:"text/csv;charset=utf-8"}));"""
"""Builds the CSV from the sheet's own table (its cells, each row's `data-key` and the index
of its source in `sheetSources`, stored once) and points the link at it, so the page carries
the values once; `assumptionsCsv()` is also what the browser test reads back and parses."""


def override_keys(results: Results) -> list[tuple[str, tuple[Any, ...]]]:
    """(the --set string, its key as path parts) for each override the run recorded."""
    provenance = results.summary.provenance
    out = []
    for setting in [] if provenance is None else provenance.overrides:
        key = str(setting).partition("=")[0].strip()
        parts = parse_path(key)
        if parts is not None:
            out.append((str(setting), tuple(parts)))
    return out


def overridden_by(key: str, overrides: list[tuple[str, tuple[Any, ...]]]) -> str:
    """The --set string that set the value at `key` (itself or a block holding it), or ''."""
    if not key:
        return ""
    parts = parse_path(key)
    if parts is None:
        return ""
    for setting, path in overrides:
        if tuple(parts[: len(path)]) == path:
            return setting
    return ""


def _provenance_rows(results: Results) -> list[dict[str, str]]:
    """The run's provenance (release, lock, seed, scenario hash) as sheet rows."""
    provenance = results.summary.provenance
    if provenance is None:
        return []
    figures = [
        ("infrasim version", provenance.infrasim_version),
        ("dependency lock sha256", provenance.lock_sha256 or "unknown"),
        ("python", provenance.python),
        ("seed", provenance.seed),
        ("scenario file", provenance.scenario_file),
        ("scenario sha256 (as run)", provenance.scenario_sha256),
        ("--set overrides", "; ".join(provenance.overrides) or "none"),
    ]
    rows = [
        {"group": "run", "item": "provenance", "field": name, "value": str(value), "key": ""}
        for name, value in figures
    ]
    for price in provenance.prices:
        stale = " (STALE: older than a year)" if price.stale else ""
        rows.append(
            {
                "group": "run",
                "item": "price age",
                "field": price.sheet,
                "value": f"{price.age_days:,} days since {price.as_of}{stale}",
                "key": "",
            }
        )
    for row in rows:
        row.update(source="this run", as_of="as run", overridden="")
    return rows


def sheet(results: Results) -> pd.DataFrame | None:
    """The whole sheet (CSV_COLUMNS): provenance rows, then every value; None without one."""
    table = results.tables.get("assumptions")
    if table is None or table.empty:
        return None
    overrides = override_keys(results)
    frame = table.astype(str).copy()
    frame["overridden"] = [overridden_by(k, overrides) for k in frame["key"]]
    head = pd.DataFrame(_provenance_rows(results), columns=list(CSV_COLUMNS))
    parts = [p for p in (head, frame[list(CSV_COLUMNS)]) if not p.empty]
    return pd.concat(parts, ignore_index=True)


def source_index(frame: pd.DataFrame) -> tuple[list[str], list[int]]:
    """The distinct sources in first-seen order, and each row's index into them."""
    sources = list(dict.fromkeys(frame["source"]))
    index = {source: i for i, source in enumerate(sources)}
    return sources, [index[source] for source in frame["source"]]


def csv_script(sources: list[str]) -> str:
    """The page script that builds the CSV from the sheet table and `sources`."""
    return CSV_SCRIPT % (script_json(sources), script_json(list(CSV_COLUMNS)), CSV_LINK_ID)


def _sources(results: Results) -> str:
    table = results.tables.get("inputs")
    if table is None or table.empty:
        return ""
    return "<h3>Sources</h3>" + html_table(table)


def sections(results: Results) -> list[Section]:
    """The assumptions sheet with its CSV link, or the profile list of older results."""
    title = "Assumptions"
    sentence = (
        "Every value the run used (the scenario as run, then each hardware, facility, price "
        "and model profile), with its source and date; values changed with --set are "
        "highlighted."
    )
    frame = sheet(results)
    if frame is None:
        note = "These results were saved without the per-value sheet (run with infrasim run)."
        return [Section(title, sentence, html=_sources(results), note=note)]
    overridden = frame[frame["overridden"] != ""]
    settings = sorted(set(overridden["overridden"]))
    if settings:
        changed = (
            f"<p>Changed with --set: {text('; '.join(settings))} "
            f"({len(overridden):,} value{'' if len(overridden) == 1 else 's'}, highlighted "
            "below).</p>"
        )
    elif results.summary.provenance is not None:
        changed = "<p>No --set overrides: the scenario file as written.</p>"
    else:
        changed = "<p>These results carry no record of --set overrides.</p>"
    link = (
        f'<p><a class="download" id="{CSV_LINK_ID}" download="{CSV_FILE}" href="#">'
        f"Download the sheet as CSV ({len(frame):,} values)</a></p>"
    )
    shown = frame[list(SHOWN_COLUMNS)]
    classes = ["override" if o else "" for o in shown["overridden"]]
    sources, index = source_index(frame)
    data = [
        {"s": str(i), **({"key": key} if key else {})}
        for i, key in zip(index, frame["key"], strict=True)
    ]
    table = html_table(
        shown,
        max_rows=len(shown),  # every row: the CSV is built from this table
        row_classes=classes,
        row_data=data,
        table_id="assumptions-sheet",
    )
    html = changed + link + table + _sources(results)
    return [Section(title, sentence, html=html, script=csv_script(sources))]
