"""Capacity over time for inference services: month by month, did serving keep its SLOs?

The serving analogue of the queue figures in `capacity`: for the requests that arrived in each
simulated month (all services together), how many came, what share met their service's
latency targets, and the p99 time to first token. A plan breaks in the first month whose SLO
attainment falls below `pricing.min_slo_attainment`, which is how a growing request rate
(`traffic.growth_per_month`) on fixed replicas shows the month a capacity plan stops holding.

Requests still in flight when the run ends are what an overloaded month leaves behind, so
they are not ignored: one whose wait for a first token already exceeds its TTFT target has
missed (its outcome is known); its TTFT counts with the wait it had so far (a lower bound, as
queued jobs' waits do). Dropped requests (too long for any replica) are misses, as in the
services' own summaries. Requests a closed-loop client has not yet sent are not counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.economics.months import MONTH_S, Calendar
from simulator.results import Results
from simulator.scenario import LoadedScenario

SERVING_COLUMNS = ["requests_arrived", "requests_per_s", "slo_attainment", "ttft_p99_s"]


def _slo_outcomes(loaded: LoadedScenario, requests: pd.DataFrame, sim_s: float) -> pd.Series:
    """Per request: 1.0 met, 0.0 missed, NaN not judged (no target, or not yet known)."""
    ttft_target = {s.name: s.slo.ttft_s for s in loaded.scenario.workloads.inference_services}
    has_target = [
        s.name
        for s in loaded.scenario.workloads.inference_services
        if s.slo.ttft_s is not None or s.slo.tpot_s is not None
    ]
    status = requests["status"]
    outcome = pd.Series(np.nan, index=requests.index)
    judged = status.isin(["completed", "dropped"])
    outcome[judged] = requests.loc[judged, "slo_met"].astype(float)
    target = requests["service"].map(ttft_target).astype(float)
    waited = requests["ttft_s"].where(requests["ttft_s"].notna(), sim_s - requests["arrival_s"])
    late = (status == "in_flight") & (waited > target)
    outcome[late] = 0.0
    # `isin` is boolean whatever the column's dtype (mapping then `fillna(False)` downcast an
    # object column under pandas 2 and leaves it object under pandas 3)
    return outcome.where(requests["service"].isin(has_target))


def serving_by_month(
    loaded: LoadedScenario, results: Results, cal: Calendar
) -> pd.DataFrame | None:
    """One row of `SERVING_COLUMNS` per month, or None when the scenario serves nothing."""
    if not loaded.scenario.workloads.inference_services:
        return None
    sim_s = cal.simulated_s
    requests = results.tables.get("requests")
    if requests is None:
        requests = pd.DataFrame(columns=["service", "arrival_s", "ttft_s", "status", "slo_met"])
    requests = requests[requests["status"] != "not_issued"]
    outcome = _slo_outcomes(loaded, requests, sim_s)
    ttft = requests["ttft_s"].where(
        requests["ttft_s"].notna() | (requests["status"] != "in_flight"),
        sim_s - requests["arrival_s"],
    )
    month = np.minimum((requests["arrival_s"] // MONTH_S).astype(int), cal.months - 1)
    month_s = cal.month_s()
    rows = []
    for m in range(cal.months):
        mine = (month == m).to_numpy()
        judged = outcome[mine].dropna()
        waits = ttft[mine].dropna().to_numpy(dtype=float)
        rows.append(
            (
                int(mine.sum()),
                float(mine.sum()) / month_s[m],
                float(judged.mean()) if len(judged) else np.nan,
                float(np.percentile(waits, 99)) if len(waits) else np.nan,
            )
        )
    return pd.DataFrame(rows, columns=SERVING_COLUMNS)


def slo_breaks_at_month(table: pd.DataFrame, min_slo_attainment: float | None) -> int | None:
    """First month whose SLO attainment is below the limit (None: never, no limit, or no
    serving figures)."""
    if min_slo_attainment is None or "slo_attainment" not in table:
        return None
    under = table[table["slo_attainment"] < min_slo_attainment]
    return int(under["month"].iloc[0]) if len(under) else None
