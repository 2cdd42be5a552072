"""One self-contained HTML page: plotly.js embedded once, fixed ids, nothing fetched.

Planners mail the file to finance and facilities teams and open it on air-gapped machines,
so the page carries everything it needs: no CDN, no web fonts, no MathJax. The same sections
give the same bytes (ids are numbered in order, JSON keys are sorted, no timestamps), so a
report can be diffed and checked into a repository.

Size: the plotting library is the vendored plotly.js *basic* bundle (`vendor/`, scatter, bar
and pie traces, about 1.2 MB) rather than the 4.8 MB full bundle, and the figures' shared
look (the `plotly_white` template) is written once per page instead of once per figure, so a
page stays well under 1.5 MB. A figure using a trace type the bundle lacks is refused here
(`UnsupportedTrace`), not discovered as a blank plot in a browser.

`render_page` is also the entry point for other pages (a sweep's Pareto front, a
sensitivity study): pass `Section`s holding a plotly figure, a table, or both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from simulator.report.escape import script_json, text
from simulator.report.tables import html_table

PLOT_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "typesetMath": False,
    "modeBarButtonsToRemove": ["sendDataToCloud"],
}
"""Plotly options: no links out, no cloud buttons, no MathJax look-up."""

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1200px;padding:1rem 2rem;color:#1f2933;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin:2rem 0 .3rem}
p.what{margin:.2rem 0 .6rem;color:#52606d}p.note{color:#7b8794;font-size:.85rem}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0}
th,td{border:1px solid #d9e2ec;padding:.25rem .5rem;text-align:left;vertical-align:top;
overflow-wrap:break-word}
#assumptions-sheet td{overflow-wrap:anywhere}
#assumptions-sheet td:nth-child(1),#assumptions-sheet td:nth-child(6){white-space:nowrap}
#assumptions-sheet td:nth-child(2){min-width:8rem}
#assumptions-sheet td:nth-child(3){min-width:14rem}
#assumptions-sheet td:nth-child(4){min-width:16rem}
th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:.6rem}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:.5rem .8rem;min-width:9rem}
.card .v{font-size:1.25rem;font-weight:600}.card .k{font-size:.8rem;color:#52606d}
.plot{width:100%;height:420px}
.answer{border:2px solid #334e68;border-radius:8px;padding:.6rem 1rem;margin:.6rem 0}
.answer p{margin:.3rem 0}.answer .q{color:#52606d}.answer .a{font-size:1.15rem}
tr.override td{background:#fff3c4;font-weight:600}
td.better{color:#1f7a3a}td.worse{color:#a61b1b}
a.download{display:inline-block;margin:.3rem 0;padding:.2rem .6rem;border:1px solid #334e68;
border-radius:4px;color:#334e68;text-decoration:none}
"""

BUNDLE = "plotly-basic.min.js"
BUNDLE_VERSION = "4.1.1"
"""The vendored plotly.js (npm `plotly.js-basic-dist-min`); see vendor/README.md."""

BUNDLE_TRACES = frozenset({"scatter", "bar", "pie"})
"""The trace types the basic bundle draws: the only ones a figure may use."""


class UnsupportedTrace(ValueError):
    """A figure uses a trace type the vendored bundle cannot draw (a bug in a section)."""


@dataclass
class Section:
    """One titled block of a page: a sentence saying what it shows, then its content.

    Attributes:
        title: heading (plain text; escaped).
        sentence: what the section shows, in one sentence (plain text; escaped).
        figure: a plotly figure, drawn from the data embedded in the page.
        table: a table shown below the figure; every cell is escaped.
        html: trusted markup built by this package (already escaped), e.g. summary cards.
        note: a small plain-text remark under the content (e.g. what was downsampled).
        height_px: the plot's height.
        script: trusted JavaScript built by this package, run after the plots are drawn
            (e.g. building the assumptions CSV for its download link).
    """

    title: str
    sentence: str
    figure: go.Figure | None = None
    table: pd.DataFrame | None = None
    html: str = ""
    note: str = ""
    height_px: int = 420
    script: str = ""


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The vendored plotly.js basic bundle (read once per process)."""
    return (resources.files("simulator.report") / "vendor" / BUNDLE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def shared_template() -> dict[str, Any]:
    """`plotly_white`, trimmed to the layout and the bundle's trace types: written once."""
    template = pio.templates["plotly_white"].to_plotly_json()
    data = {k: v for k, v in template.get("data", {}).items() if k in BUNDLE_TRACES}
    return {"data": data, "layout": template.get("layout", {})}


def trace_types(figure: go.Figure) -> set[str]:
    """The trace types `figure` draws (plotly's default is scatter)."""
    return {str(trace.type or "scatter") for trace in figure.data}


def _figure_json(figure: go.Figure) -> str:
    missing = trace_types(figure) - BUNDLE_TRACES
    if missing:
        raise UnsupportedTrace(f"trace types {sorted(missing)} are not in the {BUNDLE} bundle")
    data = figure.to_plotly_json()
    layout = dict(data.get("layout", {}))
    layout.pop("template", None)  # the page's shared template stands in for it
    return script_json({"data": data.get("data", []), "layout": layout})


def render_page(title: str, sections: list[Section], subtitle: str = "") -> str:
    """The whole HTML document for `sections`, as a string.

    Args:
        title: page title and top heading (plain text; escaped).
        sections: the blocks, in order.
        subtitle: a line under the heading (plain text; escaped).
    """
    body: list[str] = [f"<h1>{text(title)}</h1>"]
    if subtitle:
        body.append(f'<p class="what">{text(subtitle)}</p>')
    figures: list[str] = []
    calls: list[str] = []
    scripts: list[str] = []
    plot_number = 0
    for number, section in enumerate(sections, start=1):
        body.append(f'<section id="section-{number}">')
        body.append(f"<h2>{text(section.title)}</h2>")
        body.append(f'<p class="what">{text(section.sentence)}</p>')
        if section.html:
            body.append(section.html)
        if section.figure is not None:
            plot_number += 1
            div_id = f"plot-{plot_number}"
            body.append(
                f'<div class="plot" id="{div_id}" style="height:{int(section.height_px)}px"></div>'
            )
            figures.append(f"var fig{plot_number}={_figure_json(section.figure)};")
            calls.append(f'draw("{div_id}",fig{plot_number});')
        if section.table is not None:
            body.append(html_table(section.table))
        if section.note:
            body.append(f'<p class="note">{text(section.note)}</p>')
        if section.script:
            scripts.append(section.script)
        body.append("</section>")
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        'img-src data:; font-src data:">\n'
        f"<title>{text(title)}</title>\n<style>{STYLE}</style>\n"
    )
    parts = [head]
    if figures:
        parts.append(f'<script type="text/javascript">{plotly_js()}</script>\n')
    parts.append("</head>\n<body>\n" + "\n".join(body) + "\n")
    if figures:
        scripts.insert(
            0,
            f"var config={script_json(PLOT_CONFIG)};\n"
            f"var template={script_json(shared_template())};\n"
            "function draw(id,fig){fig.layout.template=template;"
            "Plotly.newPlot(id,fig.data,fig.layout,config);}\n" + "\n".join(figures + calls),
        )
    if scripts:
        parts.append(
            '<script type="text/javascript">\n"use strict";\n'
            + "\n".join(scripts)
            + "\n</script>\n"
        )
    parts.append("</body>\n</html>\n")
    return "".join(parts)
