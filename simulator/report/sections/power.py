"""Power: IT and facility draw against the cap, and rack density against the cooling limit."""

from __future__ import annotations

import plotly.graph_objects as go

from simulator.report.escape import label
from simulator.report.figures import COLORS, TimeAxis, add_level, add_step, figure
from simulator.report.page import Section
from simulator.report.sections.cluster import horizon_s
from simulator.results import Results


def power(results: Results) -> list[Section]:
    """IT and facility kW over time, with the IT power cap when the scenario sets one."""
    tl = results.timeline
    if tl.empty or "it_kw" not in tl:
        return []
    s = results.summary
    end = horizon_s(results)
    axis = TimeAxis.for_horizon(end)
    fig = figure(axis.title, "kW")
    add_step(fig, tl, "it_kw", "IT power", axis, end, COLORS[0])
    add_step(fig, tl, "facility_kw", f"facility power (PUE {s.pue})", axis, end, COLORS[1])
    cap = s.power_cap_kw
    if cap:
        enforcement = s.power_enforcement or "enforced"
        add_level(
            fig, float(cap), f"IT power cap ({enforcement})", 0.0, end * axis.scale, COLORS[3]
        )
        sentence = "IT and facility (IT times PUE) power over time against the IT power cap."
    else:
        sentence = "IT and facility (IT times PUE) power over time; the scenario sets no power cap."
    return [Section("Power", sentence, figure=fig)]


RACK_SHOWN = (
    "pool",
    "node",
    "nodes",
    "nodes_per_rack",
    "node_max_kw",
    "rack_kw_all_at_max",
    "active_nodes_per_rack_cap",
    "cooling",
    "cooling_limit_kw",
)


def racks(results: Results) -> list[Section]:
    """kW per rack with every node at full draw, the engine's cap, and the cooling limit."""
    table = results.tables.get("racks")
    if table is None or table.empty:
        return []
    shown = table[[c for c in RACK_SHOWN if c in table]]
    title = "Rack density and cooling"
    if len(table) == 1:  # one pool: two bars and a marker say less than a sentence
        r = table.iloc[0]
        sentence = (
            f"Pool {r['pool']}: {int(r['nodes_per_rack'])} nodes per rack draw "
            f"{float(r['rack_kw_all_at_max']):,.1f} kW at their maximum against a "
            f"{float(r['cooling_limit_kw']):,.1f} kW {r['cooling']} cooling limit; the engine "
            f"lets {int(r['active_nodes_per_rack_cap'])} run at once "
            f"({float(r['rack_kw_cap']):,.1f} kW)."
        )
        return [Section(title, sentence, table=shown)]
    pools = [label(p) for p in table["pool"]]
    fig = figure("node pool", "kW per rack", barmode="group", hovermode="closest")
    fig.add_trace(
        go.Bar(
            x=pools,
            y=table["rack_kw_all_at_max"],
            name="all nodes at max power",
            marker={"color": COLORS[1]},
        )
    )
    fig.add_trace(
        go.Bar(
            x=pools,
            y=table["rack_kw_cap"],
            name="allowed active (engine cap)",
            marker={"color": COLORS[0]},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=pools,
            y=table["cooling_limit_kw"],
            name="cooling limit",
            mode="markers",
            marker={"color": COLORS[3], "symbol": "line-ew-open", "size": 40, "line": {"width": 3}},
        )
    )
    sentence = (
        "Rack power density per node pool with every node at its maximum draw, and the share "
        "the engine lets run at once, against the facility's cooling limit per rack."
    )
    return [Section(title, sentence, figure=fig, table=shown, height_px=360)]


def sections(results: Results) -> list[Section]:
    """The power sections."""
    return power(results) + racks(results)
