"""Billing units: each rental rounded up to the unit and the minimum; GPUs or whole instances.

The test sheet `econtest-cloud` rents `node8` (8 GPUs) on demand at $16 per instance-hour
($2 per GPU-hour); its own billing is the default (per instance-second, no minimum), and an
option's `billing:` replaces it. Jobs are fixed-length, so what each rents does not depend on
when the random arrivals fall: 8-GPU jobs take a node each (one instance), and the 4-node
cluster never makes one wait.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulator.economics import price_scenario
from simulator.economics.billing import (
    billed_s,
    describe_per_use,
    instance_rentals,
    instances_held,
    rentals,
    standalone_units_s,
)
from simulator.economics.usage import held_intervals, node_holdings
from simulator.results import simulate
from simulator.schema.pricing import Billing
from tests.economics.conftest import fixed_jobs, scenario

AWS_LINUX = {"unit": "second", "minimum_s": 60}


def _holdings(rows: list[tuple[int, int, float, float, float]]) -> pd.DataFrame:
    """(job_id, node, start_s, end_s, gpus) rows of one pool."""
    frame = pd.DataFrame(rows, columns=["job_id", "node", "start_s", "end_s", "gpus"])
    frame["pool"] = "main"
    return frame


def _compute(make, jobs: dict, option: dict, days: float = 1.0):
    """(OptionCost of `option`, the run's jobs table) for `jobs` on four test nodes."""
    option = {"name": "od", "sheet": "econtest-cloud", **option}
    loaded = make(
        scenario(days=days, workloads={"synthetic_jobs": [jobs]}, pricing={"options": [option]})
    )
    results = simulate(loaded)
    (cost,) = price_scenario(loaded, results).options
    return cost, results.jobs


# ------------------------------------------------------------------ pure rounding


def test_per_second_with_a_60_s_minimum():
    """AWS Linux: 30 s bills 60 s (the minimum); 90.2 s bills 91 s; 3600 s bills 3600 s."""
    billing = Billing(**AWS_LINUX)
    got = billed_s(np.array([30.0, 90.2, 3600.0, 0.0]), billing)
    np.testing.assert_allclose(got, [60.0, 91.0, 3600.0, 0.0])
    assert describe_per_use(billing) == "per instance-second, 60 s minimum"


def test_per_hour_and_per_minute_rounding():
    """Per hour: 1 s -> 1 h, 3601 s -> 2 h. Per minute: 61 s -> 2 min = 120 s."""
    hourly = billed_s(np.array([1.0, 3601.0, 7200.0]), Billing(unit="hour"))
    np.testing.assert_allclose(hourly, [3600.0, 7200.0, 7200.0])
    np.testing.assert_allclose(billed_s(61.0, Billing(unit="minute")), 120.0)


def test_gpu_rental_rents_gpus_instance_rental_whole_instances():
    """A 4-GPU job for 2 h on 8-GPU instances: by GPU 4 x 7200 = 28,800 GPU-seconds; by
    instance ceil(4/8) = 1 instance x 7200 s."""
    one = _holdings([(0, -1, 0.0, 7200.0, 4.0)])
    assert rentals(one, 8, Billing(rents="gpu"))["units_s"].sum() == pytest.approx(4 * 7200)
    assert rentals(one, 8, Billing())["units_s"].sum() == pytest.approx(1 * 7200)


def test_jobs_sharing_a_node_share_its_instance_held_as_long_as_anyone_uses_it():
    """Node 3: job A (4 GPUs) 0-2 h, job B (4 GPUs) 1-3 h; node 5: job C (8 GPUs) 0-1 h.
    Node 3 is one instance held 0-3 h (never more than 8 GPUs); node 5 one instance 0-1 h:
    3 + 1 = 4 instance-hours. Alone, A and B would each rent an instance for 2 h."""
    h = _holdings(
        [(0, 3, 0.0, 7200.0, 4.0), (1, 3, 3600.0, 10800.0, 4.0), (2, 5, 0.0, 3600.0, 8.0)]
    )
    r = instance_rentals(h, 8).sort_values(["end_s"]).reset_index(drop=True)
    assert r[["start_s", "end_s", "count"]].values.tolist() == [
        [0.0, 3600.0, 1.0],
        [0.0, 10800.0, 1.0],
    ]
    alone = standalone_units_s(h, 8, Billing())
    np.testing.assert_allclose(alone, [7200.0, 7200.0, 3600.0])


def test_an_instance_given_back_and_taken_again_is_two_rentals():
    """Per hour: a node used 0-10 min and again 50-70 min is two rentals, 1 h + 1 h = 2 h
    (each rounded up on its own), not one of 70 min rounded to 2 h by chance: check with
    per-minute billing where it differs: 10 min + 20 min = 30 min, not 70."""
    h = _holdings([(0, 0, 0.0, 600.0, 8.0), (1, 0, 3000.0, 4200.0, 8.0)])
    assert rentals(h, 8, Billing(unit="hour"))["units_s"].sum() == pytest.approx(2 * 3600)
    assert rentals(h, 8, Billing(unit="minute"))["units_s"].sum() == pytest.approx(1800)


# ------------------------------------------------------------------ through a simulated run


def test_per_second_job_bills_its_seconds(make):
    """Three 8-GPU jobs of 1.5 h, per second: 3 x 1.5 h x $16 = $72."""
    cost, jobs = _compute(make, fixed_jobs(3, gpus=8, hours=1.5, per_hour=1000), {})
    assert (jobs["status"] == "completed").all()
    assert cost.categories["compute"].sum() == pytest.approx(72.0)
    assert cost.billing == "per instance-second"


def test_option_billing_per_hour_rounds_each_rental_up(make):
    """The same three jobs billed per hour: each 1.5 h rental bills 2 h: 3 x 2 x $16 = $96."""
    cost, _ = _compute(
        make, fixed_jobs(3, gpus=8, hours=1.5, per_hour=1000), {"billing": {"unit": "hour"}}
    )
    assert cost.categories["compute"].sum() == pytest.approx(96.0)
    assert cost.billing == "per instance-hour"


def test_short_jobs_pay_the_minimum(make):
    """Two 8-GPU jobs of 18 s with a 60 s minimum: 2 x 60 s x $16/3600 s = $0.5333.
    (Per second alone they would cost 2 x 18 x 16 / 3600 = $0.16.)"""
    cost, _ = _compute(
        make, fixed_jobs(2, gpus=8, hours=0.005, per_hour=10), {"billing": AWS_LINUX}
    )
    assert cost.categories["compute"].sum() == pytest.approx(2 * 60 * 16 / 3600)


def test_renting_gpus_bills_only_the_gpus_a_job_holds(make):
    """Two 4-GPU jobs of 2 h, by the GPU: 2 x 4 GPUs x 2 h x $2 = $32 (by the instance they
    would pay for a whole instance each unless they overlapped on one node)."""
    cost, _ = _compute(
        make, fixed_jobs(2, gpus=4, hours=2, per_hour=1000), {"billing": {"rents": "gpu"}}
    )
    assert cost.categories["compute"].sum() == pytest.approx(32.0)
    assert cost.billing == "per GPU-second"


def test_instance_rental_of_a_half_node_job_pays_the_instance(make):
    """One 4-GPU job of 2 h alone (nothing to share with): 1 instance x 2 h x $16 = $32."""
    cost, _ = _compute(make, fixed_jobs(1, gpus=4, hours=2, per_hour=10), {})
    assert cost.categories["compute"].sum() == pytest.approx(32.0)
    assert cost.cash_usd == pytest.approx(cost.accrued_usd)  # pay per use: paid as used


def test_a_multi_node_job_pays_for_the_part_of_its_nodes_it_held():
    """A 16-GPU job over two nodes (no node named) for 1 h that held all 16 GPUs for 75% of
    it (a node lost and replaced later): 2 instances x 3600 s x 0.75 = 5,400 instance-s.
    A block booking must still cover both instances: 2 at the peak."""
    h = _holdings([(0, -1, 0.0, 3600.0, 16.0)])
    h["share"] = 0.75
    assert rentals(h, 8, Billing())["units_s"].sum() == pytest.approx(5400.0)
    times, level = instances_held(h, 8)
    assert level.max() == 2.0


def test_holdings_follow_a_job_to_its_replacement_node():
    """The engine's record: job 7 starts on node 2 (one node), node 2 goes down at 100 s, a
    spare (node 5) replaces it at 100 s, the job ends at 300 s. It held node 2 for 0-100 s
    and node 5 for 100-300 s; a two-node job (value 2) is on no named node (-1)."""
    events = pd.DataFrame(
        [
            (0.0, "start", 7, "j", 2, 1.0, "main"),
            (100.0, "node_down", 7, "j", 2, float("nan"), "gpu"),
            (100.0, "replace", 7, "j", 5, 8.0, ""),
            (300.0, "end", 7, "j", -1, float("nan"), ""),
            (0.0, "start", 8, "k", 0, 2.0, "main"),
            (50.0, "end", 8, "k", -1, float("nan"), ""),
        ],
        columns=["time_s", "event", "job_id", "job", "node", "value", "detail"],
    )
    results = SimpleNamespace(events=events)
    held = held_intervals(results, 1000.0)
    held["pool"], held["num_gpus"], held["gpus_weight"] = "main", [8, 16], [8.0, 16.0]
    h = node_holdings(results, held)
    rows = h[["job_id", "node", "start_s", "end_s", "gpus", "share"]].values.tolist()
    assert rows == [
        [7, 2, 0.0, 100.0, 8.0, 1.0],
        [7, 5, 100.0, 300.0, 8.0, 1.0],
        [8, -1, 0.0, 50.0, 16.0, 1.0],
    ]
