"""The `infrasim plan` page: the ranked plans, cost against time, the top plan's assumptions,
and how the top plans move under the sensitivity perturbations (a tornado plot).

Built from `plan_json`'s plain data only, so the page and `--json` cannot disagree. Offline
and self-contained like every other page (`render_page` embeds plotly once).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from simulator.report.escape import text
from simulator.report.figures import COLORS, figure
from simulator.report.page import Section, render_page


def _table(plans: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for p in plans:
        lay = p["layout"]
        rows.append(
            {
                "#": p["rank"],
                "plan": p["name"],
                "GPUs": p["num_gpus"],
                "spares": p["spare_nodes"],
                "layout": f"tp{lay['tp']} pp{lay['pp']} dp{lay['dp']} mb{lay['micro_batch']}",
                "P50 days": _r(p["time_to_train_days_p50"], 2),
                "P90 days": _r(p["time_to_train_days_p90"], 2),
                "P(miss)": p["p_miss_deadline"],
                "cash USD": _r(p["cost_cash_usd"], 0),
                "accrued USD": _r(p["cost_accrued_usd"], 0),
                "USD/M tokens": _r(p["usd_per_million_tokens"], 3),
                "MWh": _r(p["energy_mwh"], 1),
                "tCO2e": _r(p["co2e_t"], 1),
                "checkpoint min": _r(p["checkpoint_interval_min"], 0),
            }
        )
    return pd.DataFrame(rows)


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _pareto(plans: list[dict[str, Any]], deadline: float | None) -> go.Figure:
    fig = figure("time to train P90 (days)", "cash cost (USD)", hovermode="closest")
    done = [p for p in plans if p["time_to_train_days_p90"] is not None and p["cost_cash_usd"]]
    for meets, name, color in ((True, "meets the goal", COLORS[0]), (False, "misses", COLORS[1])):
        mine = [p for p in done if p["meets_goal"] == meets]
        fig.add_trace(
            go.Scatter(
                x=[p["time_to_train_days_p90"] for p in mine],
                y=[p["cost_cash_usd"] for p in mine],
                mode="markers",
                name=name,
                marker={"color": color, "size": 9},
                text=[p["name"] for p in mine],
                hovertemplate="%{text}<br>%{x:.1f} d, $%{y:,.0f}<extra></extra>",
            )
        )
    if deadline is not None:
        fig.add_vline(x=deadline, line_dash="dash", annotation_text="deadline")
    return fig


def _tornado(rows: list[dict[str, Any]], plan: str) -> go.Figure:
    mine = [r for r in rows if r["plan"] == plan and r["delta_usd"] is not None]
    mine.sort(key=lambda r: abs(r["delta_usd"]))
    fig = figure("change in cash cost (USD)", "", hovermode="closest", showlegend=False)
    fig.add_trace(
        go.Bar(
            x=[r["delta_usd"] for r in mine],
            y=[r["perturbation"] for r in mine],
            orientation="h",
            marker={"color": [COLORS[1] if r["delta_usd"] > 0 else COLORS[0] for r in mine]},
            hovertemplate="%{y}: %{x:+,.0f} USD<extra></extra>",
        )
    )
    return fig


def _serve_table(plans: list[dict[str, Any]]) -> pd.DataFrame:
    keys = [
        "rank",
        "name",
        "replicas",
        "tp",
        "num_gpus",
        "ttft_p90_ms",
        "tpot_p90_ms",
        "slo_attainment",
        "cost_cash_usd_per_month",
        "cost_accrued_usd_per_month",
    ]
    return pd.DataFrame([{k: p[k] for k in keys} for p in plans]).round(3)


def _serve_page(data: dict[str, Any], run_report: str | None) -> str:
    plans = data["plans"]
    fig = figure("TTFT P90 (ms)", "cash cost per month (USD)", hovermode="closest")
    fig.add_trace(
        go.Scatter(
            x=[p["ttft_p90_ms"] for p in plans],
            y=[p["cost_cash_usd_per_month"] for p in plans],
            mode="markers",
            text=[p["name"] for p in plans],
            marker={"color": COLORS[0], "size": 9},
            hovertemplate="%{text}<br>%{x:,.0f} ms, $%{y:,.0f}/month<extra></extra>",
        )
    )
    link = (
        f'<p><a href="{text(run_report)}">{text("Full run report of the top plan")}</a></p>'
        if run_report and plans
        else ""
    )
    sections = [
        Section(
            "Plans that meet the SLO",
            "Cheapest per month first.",
            table=_serve_table(plans) if plans else None,
            html=link,
            note="" if plans else f"No plan meets the goal; bound by the {data['bound_by']}.",
        ),
        Section(
            "Cost against latency",
            "Every plan meeting the SLO: cost per month against TTFT P90.",
            figure=fig,
        ),
    ]
    cut = [r for r in data["rejected"] if r.get("stage") == "ladder"]
    if cut:
        sections.append(
            Section(
                "Families cut",
                "Node type and tp that could not meet the SLO.",
                table=pd.DataFrame(cut),
            )
        )
    return render_page(f"infrasim plan: {data['goal']}", sections, subtitle=data["goal_file"])


def render_plan_page(data: dict[str, Any], run_report: str | None) -> str:
    """The page for one plan answer (`plan_json`), linking the top plan's run report."""
    if data.get("kind") == "serve":
        return _serve_page(data, run_report)
    plans = data["plans"]
    every = plans + [r for r in data["rejected"] if r.get("stage") == "simulated"]
    sections = [
        Section(
            "Plans that meet the goal",
            "Cheapest first on cash cost; times are P50/P90 over the seeds.",
            table=_table(plans) if plans else None,
            note="" if plans else f"No plan meets the goal; bound by the {data['bound_by']}.",
        ),
        Section(
            "Cost against time",
            "Every simulated plan: cash cost against P90 time-to-train, the deadline dashed.",
            figure=_pareto(plans + _as_plans(every), data["deadline_days"]),
        ),
    ]
    top = plans[0] if plans else None
    if top is not None:
        link = (
            f'<p><a href="{text(run_report)}">{text("Full run report of the top plan")}</a></p>'
            if run_report
            else ""
        )
        lay = pd.DataFrame(
            [{"assumption": k, "value": str(v)} for k, v in _assumptions(top, data).items()]
        )
        sections.append(
            Section(
                "The top plan's assumptions",
                "What the top plan was simulated with.",
                table=lay,
                html=link,
            )
        )
    if data["sensitivity"]:
        first = data["sensitivity"][0]["plan"]
        sens = pd.DataFrame(data["sensitivity"])[
            ["rank", "plan", "perturbation", "how", "delta_days", "delta_usd", "ranking_changes"]
        ]
        sections.append(
            Section(
                "Sensitivity",
                f"How the cash cost of {first} moves under each perturbation.",
                figure=_tornado(data["sensitivity"], first),
                table=sens.round(3),
            )
        )
    misses = [r for r in data["rejected"] if r.get("stage") != "simulated"]
    if misses:
        table = pd.DataFrame(misses)[["node", "stage", "reason"]]
        sections.append(
            Section("Nearest misses", "Families cut before simulation, and why.", table=table)
        )
    return render_page(f"infrasim plan: {data['goal']}", sections, subtitle=data["goal_file"])


def _as_plans(rejected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{r['nodes']} x {r['node']} {r.get('option', '')}",
            "meets_goal": False,
            "time_to_train_days_p90": r.get("time_to_train_days_p90"),
            "cost_cash_usd": r.get("cost_cash_usd"),
        }
        for r in rejected
    ]


def _assumptions(p: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "node x count (+ spares)": f"{p['nodes']} x {p['node']} (+{p['spare_nodes']})",
        "layout": p["layout"],
        "layout chosen by": p["layout_source"],
        "global batch (sequences)": p["global_batch"],
        "step time (s)": round(p["step_time_s"], 4),
        "memory per GPU (GiB)": round(p["memory_per_gpu_gib"], 1),
        "purchase": f"{p['provider']} {p['purchase']} ({p['sheet']})",
        "checkpoint interval (min, Young/Daly)": _r(p["checkpoint_interval_min"], 1),
        "failures": "on, Llama 3 rates",
        "seeds": data["seeds"],
        "scenario": p["scenario"],
    }
