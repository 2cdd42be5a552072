"""Hand-made Results in the shapes the engine, economics and serving layers produce.

Report tests must not wait for a simulation, and the cost and serving tables come from other
layers; `synthetic_results` builds every table the report reads, at any size, from a seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.results import Results
from simulator.schema.provenance import PriceUsed, Provenance
from simulator.schema.run_summary import TimeBreakdownHours, TrainingJobSummary
from tests.conftest import REPO
from tests.summaries import cost_option, cost_summary, run_summary, service_summary

PAYLOAD = "<script>window.__pwned=1</script>"
"""A name that would run if any string reached the page unescaped."""


def _jobs(rng: np.random.Generator, n: int, horizon_s: float, name: str) -> pd.DataFrame:
    submit = np.sort(rng.uniform(0, horizon_s * 0.8, n))
    wait = rng.exponential(600.0, n)
    run = rng.exponential(3600.0, n) + 60.0
    gpus = rng.choice([1, 2, 4, 8, 16], n)
    start = submit + wait
    end = np.minimum(start + run, horizon_s)
    return pd.DataFrame(
        {
            "job_id": np.arange(n, dtype=np.int64),
            "name": [f"{name}-{i}" for i in range(n)],
            "kind": np.where(np.arange(n) % 2 == 0, "training", "generic"),
            "tenant": "default",
            "priority": 0,
            "pool": "main",
            "num_gpus": gpus.astype(np.int64),
            "status": np.where(end < horizon_s, "completed", "running"),
            "submit_s": submit,
            "start_s": start,
            "end_s": end,
            "wait_s": wait,
            "run_s": end - start,
            "gpu_hours": (end - start) * gpus / 3600.0,
            "useful_s": (end - start) * 0.9,
            "goodput": 0.9,
            "failures": 0,
            "preemptions": 0,
            "checkpoints": 1,
            "lost_work_s": 0.0,
            "energy_kwh": 1.0,
        }
    )


def _timeline(rng: np.random.Generator, rows: int, horizon_s: float, gpus: int) -> pd.DataFrame:
    t = np.sort(rng.uniform(0, horizon_s, rows))
    t[0] = 0.0
    allocated = rng.integers(0, gpus + 1, rows)
    busy = (allocated * rng.uniform(0.5, 1.0, rows)).astype(np.int64)
    it_kw = 100.0 + busy * 0.7
    return pd.DataFrame(
        {
            "time_s": t,
            "allocated_gpus": allocated,
            "busy_gpus": busy,
            "free_gpus": gpus - allocated,
            "queue_length": rng.integers(0, 50, rows),
            "running_jobs": rng.integers(0, 100, rows),
            "down_nodes": 0,
            "fragmentation": 0.0,
            "throttle": 1.0,
            "it_kw": it_kw,
            "facility_kw": it_kw * 1.3,
        }
    )


def _events(rng: np.random.Generator, jobs: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for kind, column in (("submit", "submit_s"), ("start", "start_s"), ("end", "end_s")):
        parts.append(
            pd.DataFrame({"time_s": jobs[column], "event": kind, "job_id": jobs["job_id"]})
        )
    k = max(1, len(jobs) // 20)
    pick = rng.choice(len(jobs), k)
    parts.append(
        pd.DataFrame(
            {"time_s": jobs["start_s"].to_numpy()[pick] + 30.0, "event": "failure", "job_id": pick}
        )
    )
    parts.append(
        pd.DataFrame(
            {
                "time_s": jobs["start_s"].to_numpy()[pick] + 10.0,
                "event": "checkpoint",
                "job_id": pick,
            }
        )
    )
    events = pd.concat(parts, ignore_index=True).sort_values("time_s", kind="stable")
    events["job"] = ""
    events["node"] = -1
    events["value"] = np.nan
    events["detail"] = ""
    return events.reset_index(drop=True)


OPTIONS = ("aws-p5-on-demand", "own-hgx-h100")


def cost_tables(months: int = 36, last_days: float = 30.4375) -> dict[str, pd.DataFrame]:
    """cost_options, cost_monthly and cost_cumulative (the contract's columns) for a cloud and
    an owned option; the last month bucket is `last_days` long."""
    monthly = []
    days = [30.4375] * (months - 1) + [last_days]
    for option in OPTIONS:
        for month in range(1, months + 1):
            share = days[month - 1] / 30.4375
            if option.startswith("own"):
                spend = {"depreciation": 1.4e5 * share, "power": 6e4 * share, "facility": 4e4}
                cash = 5e6 if month == 1 else 1e5 * share
            else:
                spend = {"compute": 4e5 * share, "storage": 1e4 * share}
                cash = sum(spend.values())
            monthly += [
                {
                    "option": option,
                    "month": month,
                    "days": days[month - 1],
                    "basis": "accrued",
                    "category": c,
                    "usd": u,
                }
                for c, u in spend.items()
            ]
            monthly.append(
                {
                    "option": option,
                    "month": month,
                    "days": days[month - 1],
                    "basis": "cash",
                    "category": "cash",
                    "usd": cash,
                }
            )
    monthly_df = pd.DataFrame(monthly)
    by = monthly_df.pivot_table(
        index=["option", "month", "days"], columns="basis", values="usd", aggfunc="sum"
    ).reset_index()
    by = by.sort_values(["option", "month"])
    by["cumulative_cash_usd"] = by.groupby("option")["cash"].cumsum()
    by["cumulative_accrued_usd"] = by.groupby("option")["accrued"].cumsum()
    totals = by.groupby("option")[["cash", "accrued"]].sum()
    return {
        "cost_options": pd.DataFrame(
            {
                "name": list(OPTIONS),
                "sheet": ["aws", "onprem-hgx-h100"],
                "purchase": ["on_demand", "owned"],
                "cost_cash_usd": [float(totals.loc[o, "cash"]) for o in OPTIONS],
                "cost_accrued_usd": [float(totals.loc[o, "accrued"]) for o in OPTIONS],
            }
        ),
        "cost_monthly": monthly_df,
        "cost_cumulative": by[
            ["option", "month", "days", "cumulative_cash_usd", "cumulative_accrued_usd"]
        ].reset_index(drop=True),
    }


def costs_block(tables: dict[str, pd.DataFrame]) -> Any:
    """summary.costs (contract CostSummary) matching `cost_tables`: on-demand cheapest accrued,
    owning cheapest in cash net of resale, owning cheapest in cash."""
    options_table = tables["cost_options"].set_index("name")
    options = []
    for name in OPTIONS:
        cash = float(options_table.loc[name, "cost_cash_usd"])
        residual = 2e6 if name.startswith("own") else 0.0
        options.append(
            cost_option(
                name=name,
                sheet=str(options_table.loc[name, "sheet"]),
                purchase=str(options_table.loc[name, "purchase"]),
                billing="per instance-second" if name.startswith("aws") else "owned",
                cost_cash_usd=cash,
                cost_accrued_usd=float(options_table.loc[name, "cost_accrued_usd"]),
                residual_value_usd=residual,
                net_cash_usd=cash - residual,
                usd_per_gpu_hour_cash=3.9,
                usd_per_gpu_hour_accrued=3.1,
            )
        )
    by_cash = min(options, key=lambda o: o.cost_cash_usd).name
    by_accrued = min(options, key=lambda o: o.cost_accrued_usd).name
    by_net = min(options, key=lambda o: o.net_cash_usd).name
    return cost_summary(
        horizon_months=36.0,
        simulated_months=1.0,
        options=options,
        cheapest={"cash": by_cash, "accrued": by_accrued, "net_cash": by_net},
        break_even=[
            {
                "owned": "own-hgx-h100",
                "rented": "aws-p5-on-demand",
                "basis": "cash",
                "month": 14,
                "beat_utilization": 0.3,
            },
            {
                "owned": "own-hgx-h100",
                "rented": "aws-p5-on-demand",
                "basis": "accrued",
                "month": None,
                "beat_utilization": 0.6,
            },
        ],
    )


def training_job(name: str = "pretrain", **figures: Any) -> TrainingJobSummary:
    """A finished training job's answers; `figures` override."""
    values: dict[str, Any] = {
        "name": name,
        "status": "completed",
        "num_gpus": 1024,
        "submit_day": 0.0,
        "start_day": 0.5,
        "finish_day": 21.25,
        "finish_date": "2027-01-22",
        "time_to_train_days": 21.25,
        "progress": 1.0,
        "tokens_per_s": 1.5e6,
        "mfu": 0.41,
        "goodput": 0.95,
        "deadline_days": None,
        "met_deadline": None,
        "time_breakdown_h": TimeBreakdownHours(
            queued=12.0,
            computing=480.0,
            checkpointing=5.0,
            restarting=3.0,
            lost_work=6.0,
            waiting_for_capacity=4.0,
        ),
    }
    return TrainingJobSummary.model_validate({**values, **figures})


def provenance(overrides: list[str] | None = None) -> Provenance:
    """A provenance block with the given --set strings."""
    return Provenance(
        infrasim_version="0.0.0-test",
        lock_sha256="ab" * 32,
        python="3.11.9",
        seed=0,
        scenario_file="synthetic.yaml",
        scenario_sha256="cd" * 32,
        overrides=overrides or [],
        profiles=[],
        prices=[
            PriceUsed(sheet="aws", source="a price page", as_of="2024-06", age_days=900, stale=True)
        ],
        warnings=[],
    )


def assumptions(name: str) -> pd.DataFrame:
    """The assumptions sheet `infrasim run` saves: scenario values, then profile values."""
    rows = [
        ("scenario", "name", "name", name, "name", "scenario synthetic.yaml", "as run"),
        (
            "scenario",
            "description",
            "description",
            "Train it once; how long, what cost?",
            "description",
            "scenario synthetic.yaml",
            "as run",
        ),
        (
            "scenario",
            "cluster",
            "cluster.pools[0].count",
            "128",
            "cluster.pools[0].count",
            "scenario synthetic.yaml",
            "as run",
        ),
        (
            "scenario",
            "cluster",
            "cluster.pools[0].name",
            "main",
            "cluster.pools[0].name",
            "scenario synthetic.yaml",
            "as run",
        ),
        (
            "scenario",
            "failures",
            "failures.gpu_failure_rate_per_hour",
            "1e-05",
            "failures.gpu_failure_rate_per_hour",
            "scenario synthetic.yaml",
            "as run",
        ),
        ("node", "node-x", "tdp_w", "10200", "", f"a datasheet, {PAYLOAD}", "2024-06"),
        ("pricing", "aws", "usd_per_gpu_hour", "3.9", "", 'the "price" page, p. 3', "2024-06"),
    ]
    return pd.DataFrame(rows, columns=["group", "item", "field", "value", "key", "source", "as_of"])


def serving_tables(
    rng: np.random.Generator, requests: int, horizon_s: float, service: str = "chat"
) -> dict[str, pd.DataFrame]:
    """requests and serving_timeline for one service."""
    t = np.sort(rng.uniform(0, horizon_s, requests))
    ttft = rng.lognormal(np.log(0.3), 0.5, requests)
    tpot = rng.lognormal(np.log(0.03), 0.3, requests)
    out_tokens = rng.integers(50, 500, requests)
    rows = max(10, requests // 10)
    times = np.sort(rng.uniform(0, horizon_s, rows))
    return {
        "requests": pd.DataFrame(
            {
                "service": service,
                "arrival_s": t,
                "ttft_s": ttft,
                "tpot_s": tpot,
                "e2e_s": ttft + tpot * out_tokens,
                "output_tokens": out_tokens,
            }
        ),
        "serving_timeline": pd.DataFrame(
            {
                "time_s": times,
                "service": service,
                "replicas": rng.integers(1, 5, rows),
                "batch_size": rng.integers(1, 64, rows),
                "kv_utilization": rng.uniform(0, 1, rows),
                "queue": rng.integers(0, 20, rows),
            }
        ),
    }


def synthetic_results(
    jobs: int = 20,
    timeline_rows: int = 500,
    *,
    name: str = "synthetic run",
    costs: bool = False,
    serving: bool = False,
    requests: int = 2000,
    seed: int = 0,
    training: list[TrainingJobSummary] | None = None,
    overrides: list[str] | None = None,
    last_month_days: float = 30.4375,
) -> Results:
    """A Results with every table the report reads, built from `seed`."""
    rng = np.random.default_rng(seed)
    horizon_s = 30 * 86400.0
    gpus = 1024
    job_frame = _jobs(rng, jobs, horizon_s, name)
    summary: dict[str, Any] = {  # the figures the report shows; the rest default (tests.summaries)
        "scenario": name,
        "seed": seed,
        "horizon_days": horizon_s / 86400,
        "total_gpus": gpus,
        "nodes": gpus // 8,
        "scheduler": "fifo",
        "placement": "pack",
        "facility": "hall",
        "jobs_submitted": jobs,
        "jobs_completed": int((job_frame["status"] == "completed").sum()),
        "p95_wait_s": 1800.0,
        "gpu_utilization": 0.5,
        "busy_gpu_fraction": 0.45,
        "failures": 3,
        "facility_energy_kwh": 1.2e5,
        "carbon_kg": 4.4e4,
        "peak_facility_kw": 900.0,
        "pue": 1.3,
        "power_cap_kw": 800.0,
        "power_enforcement": "throttle",
    }
    tables: dict[str, pd.DataFrame] = {
        "inputs": pd.DataFrame(
            {
                "kind": ["facility", "node"],
                "id": ["hall", "node-x"],
                "name": [f"Hall {PAYLOAD}", "Node X"],
                "used_as": ["facility", "pool main"],
                "overrides": ["", ""],
                "source": [f"a survey {PAYLOAD}", "a datasheet"],
                "as_of": ["2025-01", "2024-06"],
            }
        ),
        "racks": pd.DataFrame(
            {
                "pool": ["main"],
                "node": ["node-x"],
                "nodes": [128],
                "node_max_kw": [10.2],
                "nodes_per_rack": [4],
                "rack_kw_all_at_max": [40.8],
                "active_nodes_per_rack_cap": [3],
                "rack_kw_cap": [30.6],
                "cooling": ["air"],
                "cooling_limit_kw": [40.0],
            }
        ),
    }
    tables["assumptions"] = assumptions(name)
    summary["training_jobs"] = training if training is not None else [training_job()]
    summary["provenance"] = provenance(overrides)
    if costs:
        tables.update(cost_tables(last_days=last_month_days))
        summary["costs"] = costs_block(tables)
    if serving:
        tables.update(serving_tables(rng, requests, horizon_s))
        summary["serving"] = {
            "chat": service_summary(
                ttft_p50_ms=300.0,
                ttft_p90_ms=610.0,
                ttft_p99_ms=900.0,
                tpot_p50_ms=30.0,
                tpot_p90_ms=41.0,
                tpot_p99_ms=52.0,
                e2e_p50_ms=6100.0,
                e2e_p90_ms=9900.0,
                e2e_p99_ms=15000.0,
                slo_attainment=0.97,
                output_tokens_per_s=1.2e4,
            )
        }
    return Results(
        jobs=job_frame,
        events=_events(rng, job_frame),
        timeline=_timeline(rng, timeline_rows, horizon_s, gpus),
        summary=run_summary(**summary),
        tables=tables,
    )


@pytest.fixture
def full_results() -> Results:
    """A small run with cost and serving tables and a hostile scenario name."""
    return synthetic_results(name=f"plan {PAYLOAD}", costs=True, serving=True)


SHIPPED = ("llama3-70b-pretrain-h100", "llama3-70b-serving-h200")


@pytest.fixture(scope="session")
def shipped_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each shipped scenario run once through `infrasim run --out` (name -> directory)."""
    out = tmp_path_factory.mktemp("shipped")
    runs = {}
    for name in SHIPPED:
        result = CliRunner().invoke(
            app, ["run", str(REPO / "scenarios" / f"{name}.yaml"), "--out", str(out / name)]
        )
        assert result.exit_code == 0, result.output
        runs[name] = out / name
    return runs
