"""Break-even month and beat utilization against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.economics.breakeven import beat_utilization, break_even_month
from simulator.economics.ledger import OptionCost


def test_break_even_month_where_cash_curves_cross():
    """Owned: $1,000 up front then $10/month; rented $60/month: 1000 + 10 m <= 60 m at m = 20."""
    owned = np.full(36, 10.0)
    owned[0] += 1000.0
    rented = np.full(36, 60.0)
    assert break_even_month(owned, rented) == math.ceil(1000 / (60 - 10)) == 20
    assert break_even_month(owned, np.full(36, 10.0)) is None
    assert break_even_month(np.full(36, 1.0), rented) == 1


def test_owning_briefly_ahead_is_no_break_even():
    """Rented: 100 in month 1 (a job that ran early), then 10 a month: cumulative 100, 110,
    120, 130, 140, ... 450 at month 36. Owned 30 a month: 30, 60, 90, 120 (ahead in months
    1-4), 150 > 140 in month 5, and 1080 > 450 at month 36: behind at the end, so None.
    Owned 5 a month: 180 <= 450 at month 36, ahead every month: break-even month 1."""
    rented = np.array([100.0] + [10.0] * 35)
    assert break_even_month(np.full(36, 30.0), rented) is None
    assert break_even_month(np.full(36, 5.0), rented) == 1
    # owned 200 up front, then 1 a month: 201, 202, ... 235; rented 100, 110, ..., 200 at
    # month 11, 210 at month 12 vs owned 211; 220 at month 13 vs owned 212: ahead from 13 on
    owned = np.array([200.0] + [1.0] * 35)
    assert break_even_month(owned, rented) == 13


def _cost(total: float, variable: float, delivered: float, capacity: float = 0.0) -> OptionCost:
    cost = OptionCost("x", "s", "owned" if capacity else "on_demand", 1)
    cost.add("fixed", np.array([total - variable]))
    cost.add("used", np.array([variable]), variable=True)
    cost.delivered_gpu_hours = delivered
    cost.capacity_gpu_hours = capacity
    return cost


def test_beat_utilization_hand_computed():
    """Owned: fixed 900 + 100 variable at 20% use; rented: 600, all variable at 20% use.

    900 + 500 u = 3000 u  ->  u = 0.36 (both cost 1080 there).
    """
    owned = _cost(1000.0, 100.0, delivered=200.0, capacity=1000.0)
    rented = _cost(600.0, 600.0, delivered=200.0)
    assert beat_utilization(owned, rented) == pytest.approx(0.36)
    assert beat_utilization(owned, _cost(2000.0, 0.0, delivered=200.0)) == 0.0
    assert beat_utilization(owned, _cost(500.0, 0.0, delivered=200.0)) is None


def test_break_even_and_beat_utilization_per_basis():
    """Owned over 10 months: $1,000 of capital paid in month 1, depreciated $100/month, plus
    $20/month running (all fixed), at 50% use of a 100 GPU-hour fleet. Rented: $50/month, all
    variable, at the same 50 GPU-hours.

    Cash: 1000 + 20 m <= 50 m from m = 33.3, beyond the 10 months: no break-even. Accrued:
    120 m vs 50 m: never. Beat utilization (fixed F_o, rented slope 500 / 0.5 = 1000 per unit
    of utilization): cash F_o = 1200 -> u* = 1.2; accrued F_o = 1200 too over the whole
    10-month life (depreciation 10 x 100 = the capital): the bases agree once the capital is
    written off within the horizon.
    """
    owned = OptionCost("own", "s", "owned", 10)
    owned.add("servers", np.full(10, 100.0))
    owned.add("staff", np.full(10, 20.0))
    capital = np.zeros(10)
    capital[0] = 1000.0
    owned.add_cash("capital", capital)
    owned.not_cash("servers")
    owned.delivered_gpu_hours, owned.capacity_gpu_hours = 50.0, 100.0
    rented = OptionCost("rent", "s", "on_demand", 10)
    rented.add("compute", np.full(10, 50.0), variable=True)
    rented.delivered_gpu_hours = 50.0
    assert owned.cash_usd == pytest.approx(1000 + 200)
    assert owned.accrued_usd == pytest.approx(1000 + 200)
    assert owned.cash_by_month[0] == pytest.approx(1020.0)
    assert owned.monthly_usd[0] == pytest.approx(120.0)
    assert break_even_month(owned.series("cash"), rented.series("cash")) is None
    assert break_even_month(owned.series("accrued"), rented.series("accrued")) is None
    assert beat_utilization(owned, rented, "cash") == pytest.approx(1.2)
    assert beat_utilization(owned, rented, "accrued") == pytest.approx(1.2)
    # a 5-month horizon: cash still carries the whole $1,000, accrued only half of it
    short = OptionCost("own", "s", "owned", 5)
    short.add("servers", np.full(5, 100.0))
    short.add_cash("capital", capital[:5])
    short.not_cash("servers")
    short.delivered_gpu_hours, short.capacity_gpu_hours = 25.0, 50.0
    rent5 = OptionCost("rent", "s", "on_demand", 5)
    rent5.add("compute", np.full(5, 150.0), variable=True)
    rent5.delivered_gpu_hours = 25.0
    # cash: 1000 vs 150 m, not within 5 months; accrued: 100 m vs 150 m, month 1
    assert break_even_month(short.series("cash"), rent5.series("cash")) is None
    assert break_even_month(short.series("accrued"), rent5.series("accrued")) == 1
    # rented slope 750 / 0.5 = 1500: cash u* = 1000 / 1500, accrued u* = 500 / 1500
    assert beat_utilization(short, rent5, "cash") == pytest.approx(1000 / 1500)
    assert beat_utilization(short, rent5, "accrued") == pytest.approx(500 / 1500)


def test_curves_of_unequal_length_compare_with_the_shorter_flat():
    """Project mode: owned finishes in 2 months ($100, $10), rented takes 4 ($40 each): the
    owned curve stays at $110 after month 2; 110 <= 120 at month 3."""
    assert break_even_month(np.array([100.0, 10.0]), np.full(4, 40.0)) == 3
