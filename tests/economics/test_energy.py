"""Electricity by time of use and carbon from an hourly intensity trace."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.economics import price_scenario
from simulator.errors import InputError
from simulator.results import simulate
from tests.economics.conftest import fixed_jobs, scenario

OWN = [{"name": "own", "sheet": "econtest-owned", "purchase": "owned"}]


def _price(make, tmp_path, **pricing):
    loaded = make(
        scenario(
            days=2,
            workloads={"synthetic_jobs": [fixed_jobs(4, gpus=8, hours=6)]},
            pricing={"options": OWN, **pricing},
        )
    )
    results = simulate(loaded)
    return results, price_scenario(loaded, results)


def test_time_of_use_rates(make, tmp_path):
    """Flat 24 rates equal the facility's price; doubled rates double the bill."""
    results, flat = _price(make, tmp_path)
    _, same = _price(make, tmp_path, time_of_use_usd_per_kwh=[0.1] * 24)
    _, double = _price(make, tmp_path, time_of_use_usd_per_kwh=[0.2] * 24)
    bill = [
        r.summary.option("own")["by_category_accrued_usd"]["electricity"]
        for r in (flat, same, double)
    ]
    assert bill[0] == pytest.approx(results.summary["facility_energy_kwh"] * 0.1)
    assert bill[1] == pytest.approx(bill[0])
    assert bill[2] == pytest.approx(2 * bill[0])


def test_carbon_trace_weights_each_hour(make, tmp_path):
    """A trace of 0 g/kWh by day and 800 by night, against the hourly facility energy."""
    trace = tmp_path / "grid.csv"
    trace.write_text(
        "hour,g_per_kwh\n" + "".join(f"{h},{0 if h < 12 else 800}\n" for h in range(24))
    )
    results, report = _price(make, tmp_path, carbon_trace_path=str(trace))
    tl = results.timeline
    # hand integration of the facility kW step function, hour by hour
    times = np.append(tl["time_s"].to_numpy(), 2 * 86400.0)
    kg = 0.0
    for i, kw in enumerate(tl["facility_kw"].to_numpy()):
        t, end = times[i], times[i + 1]
        while t < end:
            hour_end = min(end, (t // 3600 + 1) * 3600)
            g = 0 if (t // 3600) % 24 < 12 else 800
            kg += kw * (hour_end - t) / 3600 * g / 1000
            t = hour_end
    assert report.summary.option("own")["carbon_t"] == pytest.approx(kg / 1000, rel=1e-9)


def test_bad_carbon_trace(make, tmp_path):
    trace = tmp_path / "bad.csv"
    trace.write_text("time,intensity\n0,1\n")
    with pytest.raises(InputError, match="hour,g_per_kwh"):
        _price(make, tmp_path, carbon_trace_path=str(trace))
