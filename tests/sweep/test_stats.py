"""Student t intervals and the Pareto filter, against published values and hand-made fronts."""

from __future__ import annotations

import math

import pytest

from simulator.sweep.pareto import pareto_mask
from simulator.sweep.stats import mean_ci, t_quantile


@pytest.mark.parametrize(
    ("df", "t"),
    [(1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622), (29, 2.0452), (120, 1.9799)],
)
def test_t_quantile_matches_tables(df: int, t: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(t, abs=1e-4)


def test_mean_ci() -> None:
    mean, half = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert half == pytest.approx(3.1824 * math.sqrt(5 / 3 / 4), rel=1e-4)
    assert math.isnan(mean_ci([5.0])[1]) and mean_ci([5.0])[0] == 5.0
    assert all(math.isnan(x) for x in mean_ci([1.0, None]))  # a missing run voids the point
    assert mean_ci([2.0, 2.0, 2.0]) == (2.0, 0.0)


def test_pareto_mask() -> None:
    rows = [[1, 9], [2, 5], [3, 6], [4, 1], [2, 5], [math.nan, 0]]
    assert pareto_mask(rows, ["minimize", "minimize"]) == [True, True, False, True, True, False]
    assert pareto_mask(rows, ["minimize", "maximize"]) == [True, False, False, False, False, False]
