"""Hand-made Results in the shapes the engine, economics and serving layers produce.

Report tests must not wait for a simulation, and the cost and serving tables come from other
layers; `synthetic_results` builds every table the report reads, at any size, from a seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from simulator.results import Results
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


def cost_tables(months: int = 36) -> dict[str, pd.DataFrame]:
    """cost_options, cost_monthly and cost_cumulative for a cloud and an owned option."""
    options = ["aws-p5-on-demand", "own-hgx-h100"]
    monthly = []
    for option in options:
        for month in range(1, months + 1):
            if option.startswith("own"):
                spend = {"capex": 5e6 if month == 1 else 0.0, "power": 6e4, "facility": 4e4}
            else:
                spend = {"compute": 4e5, "storage": 1e4}
            monthly += [
                {"option": option, "month": month, "category": c, "usd": u}
                for c, u in spend.items()
            ]
    monthly_df = pd.DataFrame(monthly)
    by_month = monthly_df.groupby(["option", "month"], as_index=False)["usd"].sum()
    by_month["cumulative_usd"] = by_month.groupby("option")["usd"].cumsum()
    totals = by_month.groupby("option")["usd"].sum()
    return {
        "cost_options": pd.DataFrame(
            {
                "option": options,
                "sheet": ["aws", "onprem-hgx-h100"],
                "purchase": ["on_demand", "owned"],
                "total_usd": [float(totals[o]) for o in options],
                "usd_per_gpu_hour": [3.9, 2.1],
                "usd_per_goodput_gpu_hour": [4.3, 2.4],
                "energy_mwh": [100.0, 100.0],
                "carbon_t": [37.0, 37.0],
            }
        ),
        "cost_monthly": monthly_df,
        "cost_cumulative": by_month[["option", "month", "cumulative_usd"]],
    }


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
    if costs:
        tables.update(cost_tables())
        summary["costs"] = cost_summary(
            options={"aws-p5-on-demand": cost_option(), "own-hgx-h100": cost_option()},
            break_even_month={"own-hgx-h100": {"aws-p5-on-demand": 14}},
            cheapest="own-hgx-h100",
        )
    if serving:
        tables.update(serving_tables(rng, requests, horizon_s))
        summary["serving"] = {
            "chat": service_summary(
                ttft_s_p50=0.3, ttft_s_p99=0.9, slo_attainment=0.97, output_tokens_per_s=1.2e4
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
