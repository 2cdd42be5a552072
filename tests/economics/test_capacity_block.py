"""Capacity blocks: booked once for the span the workload uses, at its peak, in the lengths
the provider allows, and paid up front.

AWS EC2 Capacity Blocks for ML allow 1-14 days in 1-day steps, then up to 182 days in 7-day
steps. On the test sheet a block instance (`node8`, 8 GPUs) costs $16 an hour, $384 a day.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.economics import price_scenario
from simulator.economics.billing import block_days, book_blocks, tile
from simulator.errors import InputError
from simulator.results import simulate
from simulator.scenario import load_scenario
from simulator.schema.pricing import Billing
from tests.economics.conftest import fixed_jobs, patched_profile, scenario

DAY_S = 86400.0
DAY_USD = 24 * 16.0  # one block instance for a day
AWS_BLOCKS = {
    "block_durations": [{"up_to_days": 14, "step_days": 1}, {"up_to_days": 182, "step_days": 7}]
}
SERVING = Path(__file__).parents[2] / "scenarios" / "llama3-70b-serving-h200.yaml"


def _with_blocks(data: dict) -> None:
    data["cloud"]["instances"][0]["capacity_block_usd_per_hour"] = 16.0


@pytest.mark.parametrize(
    ("span_days", "blocks"),
    [
        (3.0, [3]),  # 1-day steps up to 14 days
        (10.0, [10]),
        (0.2, [1]),  # a block lasts at least a day
        (14.5, [21]),  # past 14 days only multiples of 7: 21
        (20.0, [21]),
        (182.0, [182]),
        (200.0, [182, 21]),  # longest block, then one for the 18 days left
        (365.25, [182, 182, 2]),
    ],
)
def test_block_lengths_round_up_to_allowed_durations(span_days, blocks):
    assert block_days(span_days, Billing(**AWS_BLOCKS)) == blocks


def test_a_fleet_busy_to_the_end_of_its_window_is_one_span_to_the_horizon():
    """A 1-hour window with 2 instances from 0 to its end recurs: one span over the year."""
    spans = tile([(0.0, 3600.0, 2.0)], 3600.0, 365.25 * DAY_S)
    assert spans == [(0.0, 365.25 * DAY_S, 2.0)]


def test_neighbouring_spans_share_a_block_when_that_costs_no_more():
    """Use 0-2 d and 3-5 d: one 5-day block (5 instance-days) beats two 2-day ones only if
    5 <= 2 + 2: it does not, so two blocks. Use 0-2 d and 2.5-4 d: one 4-day block = 2 + 2:
    one booking."""
    billing = Billing(**AWS_BLOCKS)
    apart = book_blocks([(0.0, 2 * DAY_S, 1.0), (3 * DAY_S, 5 * DAY_S, 1.0)], billing)
    assert [(b.start_s / DAY_S, b.length_s / DAY_S) for b in apart] == [(0, 2), (3, 2)]
    close = book_blocks([(0.0, 2 * DAY_S, 1.0), (2.5 * DAY_S, 4 * DAY_S, 1.0)], billing)
    assert [(b.start_s / DAY_S, b.length_s / DAY_S) for b in close] == [(0, 4)]


def _block_cost(make, econ_catalog, job_hours: float, days: float):
    option = {
        "name": "cb",
        "sheet": "econtest-cloud",
        "purchase": "capacity_block",
        "billing": AWS_BLOCKS,
    }
    with patched_profile(econ_catalog, "pricing", "econtest-cloud", _with_blocks):
        loaded = make(
            scenario(
                days=days,
                workloads={
                    "synthetic_jobs": [fixed_jobs(1, gpus=8, hours=job_hours, per_hour=1000)]
                },
                pricing={"options": [option]},
            )
        )
        results = simulate(loaded)
        (cost,) = price_scenario(loaded, results).options
    return cost


@pytest.mark.parametrize(("job_days", "block"), [(3, 3), (10, 10)])
def test_a_job_books_one_block_of_its_length(make, econ_catalog, job_days, block):
    """One 8-GPU job of 3 (10) days: one instance for 3 (10) days x $384 = $1,152 ($3,840),
    cash and accrued alike (the block lies inside the horizon)."""
    cost = _block_cost(make, econ_catalog, job_days * 24.0, job_days + 1.0)
    assert cost.cash_usd == pytest.approx(block * DAY_USD)
    assert cost.accrued_usd == pytest.approx(block * DAY_USD)
    assert cost.unused_commitment_usd == pytest.approx(0.0, abs=1e-6)


def test_a_20_day_job_books_21_days_paid_up_front(make, econ_catalog):
    """20 days of use -> a 21-day block: cash 21 x $384 = $8,064 up front. The horizon is
    20.5 days, so accrued is the 20.5 days inside it: 20.5 x 384 = $7,872 (the job starts a
    few seconds in; their share is below 0.01%). Unused: the 21st day, $384."""
    cost = _block_cost(make, econ_catalog, 20 * 24.0, 20.5)
    assert cost.cash_usd == pytest.approx(21 * DAY_USD)
    assert cost.accrued_usd == pytest.approx(20.5 * DAY_USD, rel=1e-4)
    assert cost.unused_commitment_usd == pytest.approx(DAY_USD, rel=1e-6)
    assert cost.billing.startswith("instance blocks 1 d-14 d by 1 d, to 182 d by 7 d")


def _serving_block(settings: list[str]):
    loaded = load_scenario(SERVING, settings=settings)
    results = simulate(loaded)
    options = {c.name: c for c in price_scenario(loaded, results).options}
    return options["aws-p5e-capacity-block"]


def test_busy_serving_fleet_pays_about_the_sheets_block_rate():
    """The shipped serving scenario with 4 fixed TP-4 replicas (no autoscaling): 2 p5e
    instances busy all year. Blocks 182 + 182 + 2 = 366 days: cash 2 x 366 x 24 x $43.28 =
    $760,343.04; accrued 2 x 365.25 x 24 x 43.28 = $758,784.96 over 16 x 365.25 x 24 =
    140,256 GPU-hours: $5.42 and $5.41 per GPU-hour, against the sheet's $5.41."""
    cost = _serving_block(
        [
            "workloads.inference_services[0].autoscaling=null",
            "workloads.inference_services[0].max_replicas=null",
        ]
    )
    assert cost.cash_usd == pytest.approx(760_343.04)
    assert cost.accrued_usd == pytest.approx(758_784.96)
    assert cost.per(cost.delivered_gpu_hours, "cash") == pytest.approx(5.4211, abs=1e-3)
    assert cost.per(cost.delivered_gpu_hours, "accrued") == pytest.approx(5.41, abs=1e-3)


def test_autoscaled_serving_fleet_books_its_peak_once_not_a_day_per_replica():
    """The shipped scenario as written: 4 replicas on 2 nodes at the start, scaled down to 2
    (one node) within minutes, scaled up briefly once. Its peak is 2 instances, so the year
    books the same 2 x 366 x 24 x $43.28 = $760,343.04 as the busy fleet; per delivered
    GPU-hour (about 8 of the 16 GPUs held on average) that is about twice the sheet's $5.41,
    not the $63 of a day booked per replica started."""
    cost = _serving_block([])
    assert cost.cash_usd == pytest.approx(760_343.04)
    rate = cost.per(cost.delivered_gpu_hours, "accrued")
    assert 5.41 < rate < 2 * 5.42
    assert cost.unused_commitment_usd > 0.4 * cost.cash_usd  # the idle second instance


def test_billing_on_an_option_that_is_not_billed_per_use_is_refused(make):
    option = {"name": "ri", "sheet": "econtest-cloud", "purchase": "reserved_1yr"}
    option["billing"] = {"unit": "hour"}
    with pytest.raises(InputError, match="billing is for on_demand"):
        make(scenario(workloads={}, pricing={"options": [option]}))
