"""Serving replicas are billed as the instances they were packed onto, not one each.

Test nodes have 8 GPUs, rented as `node8` at $16 per instance-hour. TP-4 replicas of an 8B
model start together and stay up for the whole simulated day; placement (best fit) puts two
on each node, so 2 replicas hold 1 instance and 3 replicas hold 2.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simulator.economics import price_scenario
from simulator.economics.billing import rentals
from simulator.results import simulate
from simulator.schema.pricing import Billing
from tests.economics.conftest import scenario

DAY_H = 24.0
INSTANCE_USD_PER_H = 16.0


def _service(replicas: int) -> dict:
    return {
        "name": "chat",
        "model": "llama3-8b",
        "precision": "bf16",
        "tp": 4,
        "replicas": replicas,
        "max_num_seqs": 8,
        "max_batched_tokens": 2048,
        "timeline_interval_s": 3600,
        "traffic": {
            "arrivals": "poisson",
            "requests_per_s": 0.01,
            "num_requests": 5,
            "input_tokens": {"kind": "fixed", "value": 256},
            "output_tokens": {"kind": "fixed", "value": 32},
        },
    }


def _serve(make, replicas: int):
    loaded = make(
        scenario(
            nodes=2,
            days=1.0,
            workloads={"inference_services": [_service(replicas)]},
            pricing={"options": [{"name": "od", "sheet": "econtest-cloud"}]},
        )
    )
    results = simulate(loaded)
    (cost,) = price_scenario(loaded, results).options
    return cost, results


@pytest.mark.parametrize(("replicas", "instances"), [(2, 1), (3, 2)])
def test_tp4_replicas_share_8_gpu_instances(make, replicas, instances):
    """2 replicas -> 1 instance x 24 h x $16 = $384; 3 replicas -> 2 x 24 x 16 = $768.
    Rounding each replica up to its own instance would bill 2 or 3 instances."""
    cost, results = _serve(make, replicas)
    starts = results.events[results.events["event"] == "start"]
    assert len(starts) == replicas and starts["node"].nunique() == instances
    assert cost.categories["compute"].sum() == pytest.approx(
        instances * DAY_H * INSTANCE_USD_PER_H, rel=1e-6
    )
    assert cost.delivered_gpu_hours == pytest.approx(replicas * 4 * DAY_H, rel=1e-6)


def test_autoscaled_replica_is_billed_for_the_time_it_was_held():
    """A fleet of one TP-4 replica on node 0 for 24 h, plus replicas scaled up for a while:
    one on node 0 from 2:00 to 2:20 (inside the instance already held: no extra cost), one on
    node 1 from 5:00 to 5:50, and one on node 1 again from 9:00 to 9:10.
    Per second: 24 h + 50 min + 10 min = 25 instance-hours. Per hour (each rental rounded up
    on its own): 24 h + 1 h + 1 h = 26. Booking whole days per replica would be 4 x 24 = 96."""
    h = pd.DataFrame(
        [
            (0, 0, 0.0, 86400.0, 4.0),
            (1, 0, 2 * 3600.0, 2 * 3600.0 + 1200.0, 4.0),
            (2, 1, 5 * 3600.0, 5 * 3600.0 + 3000.0, 4.0),
            (3, 1, 9 * 3600.0, 9 * 3600.0 + 600.0, 4.0),
        ],
        columns=["job_id", "node", "start_s", "end_s", "gpus"],
    )
    per_second = rentals(h, 8, Billing())["units_s"].sum() / 3600.0
    per_hour = rentals(h, 8, Billing(unit="hour"))["units_s"].sum() / 3600.0
    assert per_second == pytest.approx(25.0)
    assert per_hour == pytest.approx(26.0)


def test_a_reservation_nets_the_packed_instances_not_each_replica(make):
    """One reserved 8-GPU instance (a `reserved_contracts` entry) under 3 TP-4 replicas for a
    day: packed, they hold 2 instances (16 GPUs), so 8 GPUs x 24 h = 192 GPU-hours overflow on
    demand. Rounding each replica to its own instance would count 3 x 8 - 8 = 16 GPUs over the
    reservation: 384 GPU-hours of overflow."""
    option = {
        "name": "ri",
        "sheet": "econtest-cloud",
        "purchase": "reserved_1yr",
        "reserved_contracts": [{"instances": 1}],
    }
    loaded = make(
        scenario(
            nodes=2,
            days=1.0,
            workloads={"inference_services": [_service(3)]},
            pricing={"options": [option], "horizon_months": 1.0 / 30.4375},
        )
    )
    results = simulate(loaded)
    (cost,) = price_scenario(loaded, results).options
    od_rate = INSTANCE_USD_PER_H / 8  # the sheet's on-demand USD per GPU-hour
    assert cost.categories["compute_overflow"].sum() == pytest.approx(8 * DAY_H * od_rate, rel=1e-3)
