"""`infrasim plan GOAL.yaml`: what to buy or rent, and how to lay the job out, to meet a goal.

The library does the work (`simulator.plan.plan_goal`); this module prints the ranked table
(or `--json`), writes `--out DIR/plan.html` (with the top plan's full run report beside it)
and picks the exit code: 0 with an answer, 4 (`EXIT_NO_ANSWER`, as `search`) when nothing meets
the goal, 2 for a bad goal file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from simulator.atomic_files import write_text_atomic
from simulator.cli.common import (
    EXIT_NO_ANSWER,
    JsonOption,
    ProfilesOption,
    guarded,
    print_json,
    print_table,
)
from simulator.cli.sweep import AddressOption, BackendOption, WorkersOption
from simulator.plan import PlanOutcome, plan_goal, plan_json

PLAN_PAGE = "plan.html"
PLAN_JSON = "plan.json"
TOP_RUN_DIR = "top-plan-run"


def _num(value: Any, fmt: str) -> str:  # noqa: ANN401
    return "n/a" if value is None else format(value, fmt)


def _layout(p: dict[str, Any]) -> str:
    """tp/pp/dp always; vpp, cp, ep, ZeRO and the flags when they are not the default."""
    lay = p["layout"]
    parts = [f"tp{lay['tp']}", f"pp{lay['pp']}"]
    parts += [f"{k}{lay[k]}" for k in ("vpp", "cp", "ep") if lay[k] != 1]
    parts += [f"dp{lay['dp']}", f"mb{lay['micro_batch']}"]
    parts += [f"zero{lay['zero']}"] if lay["zero"] else []
    parts += ["sp"] if lay["sequence_parallel"] else []
    parts += ["dopt"] if lay["distributed_optimizer"] else []
    parts += [f"rc-{lay['recompute']}"] if lay["recompute"] not in ("none", "auto") else []
    return " ".join(parts)


def _plan_rows(plans: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            str(p["rank"]),
            f"{p['nodes']}+{p['spare_nodes']} x {p['node']}",
            _layout(p),
            _num(p["time_to_train_days_p50"], ".1f"),
            _num(p["time_to_train_days_p90"], ".1f"),
            _num(p["p_miss_deadline"], ".0%"),
            _num(p["cost_cash_usd"], ",.0f"),
            _num(p["cost_accrued_usd"], ",.0f"),
            _num(p["usd_per_million_tokens"], ".2f"),
            _num(p["energy_mwh"], ",.0f"),
            _num(p["co2e_t"], ",.0f"),
            f"{p['provider']} {p['purchase']}",
            _num(p["checkpoint_interval_min"], ".0f"),
        ]
        for p in plans
    ]


COLUMNS = [
    "#",
    "nodes+spares",
    "layout",
    "P50 d",
    "P90 d",
    "P(miss)",
    "cash $",
    "accrued $",
    "$/M tok",
    "MWh",
    "tCO2e",
    "purchase",
    "ckpt min",
]


SERVE_COLUMNS = [
    "#",
    "replicas x node",
    "tp",
    "TTFT ms",
    "TPOT ms",
    "SLO met",
    "cash $/month",
    "accrued $/month",
    "purchase",
]


def _serve_rows(plans: list[dict[str, Any]], pct: str) -> list[list[str]]:
    return [
        [
            str(p["rank"]),
            f"{p['replicas']} x {p['node']} ({p['nodes']} node{'s' if p['nodes'] > 1 else ''})",
            str(p["tp"]),
            _num(p[f"ttft_{pct}_ms"], ",.0f"),
            _num(p[f"tpot_{pct}_ms"], ",.1f"),
            _num(p["slo_attainment"], ".1%"),
            _num(p["cost_cash_usd_per_month"], ",.0f"),
            _num(p["cost_accrued_usd_per_month"], ",.0f"),
            f"{p['provider']} {p['purchase']}",
        ]
        for p in plans
    ]


def _human_serving(outcome: PlanOutcome, top: int) -> None:
    goal = outcome.goal
    assert goal.serve is not None
    pct = f"p{goal.serve.slo.percentile}"
    answer = outcome.answer
    head = f"{goal.name}: {len(answer)} plans meet the SLO at {pct} "
    head += f"({len(outcome.finalists)} replica sets simulated x {goal.options.seeds} seeds)"
    if answer:
        print_table(
            head + "; cheapest per month first", SERVE_COLUMNS, _serve_rows(answer[:top], pct)
        )
    else:
        typer.echo(f"{goal.name}: no plan meets the goal; bound by the {outcome.bound_by}")
        for what, p in outcome.nearest.items():
            if p is not None:
                typer.echo(f"  nearest ({what}): {p['name']} ({p['miss_reason']})")
    cut = [r for r in outcome.rejected if r["stage"] == "ladder"]
    if cut:
        rows = [[r["node"], str(r["tp"]), str(r.get("replicas") or ""), r["reason"]] for r in cut]
        print_table("Families cut", ["node", "tp", "replicas", "reason"], rows)


def _human(outcome: PlanOutcome, top: int) -> None:
    if outcome.kind == "serve":
        _human_serving(outcome, top)
        return
    goal = outcome.goal
    train = goal.train
    assert train is not None
    answer = outcome.answer
    head = f"{goal.name}: {len(answer)} plans meet the goal"
    head += f" ({len(outcome.finalists)} layouts simulated x {goal.options.seeds} seeds, "
    head += f"{sum(1 for f in outcome.families if f.reason)} of {len(outcome.families)} cut)"
    if answer:
        print_table(head + "; cheapest first", COLUMNS, _plan_rows(answer[:top]))
    else:
        typer.echo(f"{goal.name}: no plan meets the goal; bound by the {outcome.bound_by}")
        for what, p in outcome.nearest.items():
            if p is not None:
                typer.echo(
                    f"  nearest ({what}): {p['name']}: P90 "
                    f"{_num(p['time_to_train_days_p90'], '.1f')} d, cash "
                    f"${_num(p['cost_cash_usd'], ',.0f')} ({p['miss_reason']})"
                )
    misses = [r for r in outcome.rejected if r["stage"] != "simulated"]
    if misses:
        rows = [
            [
                r["node"],
                str(r.get("nodes", "")),
                r.get("sheet") or r.get("option") or "",
                r["reason"],
            ]
            for r in misses
        ]
        print_table("Nearest misses by family", ["node", "nodes", "option", "reason"], rows)
    if outcome.sensitivity:
        rows = [
            [
                str(r["rank"]),
                r["perturbation"],
                _num(r["delta_days"], "+.2f"),
                _num(r["delta_usd"], "+,.0f"),
                "yes" if r["ranking_changes"] else "no",
                r["how"],
            ]
            for r in outcome.sensitivity
        ]
        print_table(
            "Sensitivity of the top plans (first seed)",
            ["#", "perturbation", "days", "cash $", "reorders", "how"],
            rows,
        )


def _write(outcome: PlanOutcome, out: Path) -> None:
    from simulator.report.plan_page import render_plan_page

    run_link = _top_run(outcome, out)
    data = plan_json(outcome)
    write_text_atomic(out / PLAN_JSON, json.dumps(data, indent=2, allow_nan=False) + "\n")
    write_text_atomic(out / PLAN_PAGE, render_plan_page(data, run_link))


def _top_run(outcome: PlanOutcome, out: Path) -> str | None:
    """Simulate the top plan's scenario once more and save its full run report under `out`."""
    from simulator import simulate
    from simulator.economics import attach_costs
    from simulator.report import REPORT_FILE, input_tables, render_report
    from simulator.scenario import load_scenario
    from simulator.sweep.worker import catalog_for

    top = (outcome.answer or outcome.plans or [None])[0]
    if top is None:
        return None
    path = outcome.out / "scenarios" / top["scenario"]
    loaded = load_scenario(path, catalog_for(()), [])
    results = simulate(loaded, seed=outcome.goal.options.seed)
    attach_costs(loaded, results)
    results.tables.update(input_tables(loaded, results.summary))
    results.save(out / TOP_RUN_DIR, extra_files={REPORT_FILE: render_report(results)})
    return f"{TOP_RUN_DIR}/{REPORT_FILE}"


@guarded
def plan_command(
    goal: Annotated[Path, typer.Argument(help="Goal YAML file (train: or serve:).")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Directory for the finalists' scenarios, runs/ (resumable), plan.json, "
            "plan.html and the top plan's run report.",
            show_default=False,
        ),
    ] = None,
    json_: JsonOption = False,
    backend: BackendOption = "local",
    workers: WorkersOption = None,
    address: AddressOption = None,
    top: Annotated[int, typer.Option("--top", help="Plans shown in the table.")] = 10,
    no_sensitivity: Annotated[
        bool, typer.Option("--no-sensitivity", help="Skip the sensitivity reruns.")
    ] = False,
    profiles: ProfilesOption = None,
) -> None:
    """Find the cheapest plans (GPU, node count, layout, purchase) that meet a goal."""
    outcome = plan_goal(
        goal,
        out,
        backend=backend,
        workers=workers,
        address=address,
        profile_dirs=profiles,
        with_sensitivity=not no_sensitivity,
    )
    if out is not None:
        _write(outcome, out)
    if json_:
        print_json(plan_json(outcome))
    else:
        _human(outcome, top)
        if out is not None:
            typer.echo(f"wrote {out / PLAN_PAGE}")
    if not outcome.answer:
        raise typer.Exit(EXIT_NO_ANSWER)
