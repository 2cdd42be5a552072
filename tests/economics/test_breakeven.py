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
