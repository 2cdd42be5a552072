"""A small Nelder-Mead minimizer (numpy only), so fitting needs no scipy.

The fits have 3-8 parameters, already transformed to unbounded coordinates (logs, logits), and
an objective that calls the simulator's own model; Nelder-Mead needs no gradients of it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def nelder_mead(
    fn: Callable[[np.ndarray], float],
    x0: np.ndarray,
    *,
    step: float = 0.3,
    max_evals: int = 2000,
    tol: float = 1e-10,
) -> tuple[np.ndarray, float]:
    """Minimize `fn` from `x0`; returns (best x, best value). Standard coefficients."""
    dim = len(x0)
    simplex = [np.asarray(x0, dtype=float)]
    for i in range(dim):
        point = simplex[0].copy()
        point[i] += step
        simplex.append(point)
    values = [fn(p) for p in simplex]
    evals = len(values)
    while evals < max_evals:
        order = np.argsort(values)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        if abs(values[-1] - values[0]) <= tol * (abs(values[0]) + tol):
            break
        centroid = np.mean(simplex[:-1], axis=0)
        reflected = centroid + (centroid - simplex[-1])
        f_r = fn(reflected)
        evals += 1
        if f_r < values[0]:
            expanded = centroid + 2 * (centroid - simplex[-1])
            f_e = fn(expanded)
            evals += 1
            simplex[-1], values[-1] = (expanded, f_e) if f_e < f_r else (reflected, f_r)
        elif f_r < values[-2]:
            simplex[-1], values[-1] = reflected, f_r
        else:
            contracted = centroid + 0.5 * (simplex[-1] - centroid)
            f_c = fn(contracted)
            evals += 1
            if f_c < values[-1]:
                simplex[-1], values[-1] = contracted, f_c
            else:
                for i in range(1, len(simplex)):
                    simplex[i] = simplex[0] + 0.5 * (simplex[i] - simplex[0])
                    values[i] = fn(simplex[i])
                evals += dim
    best = int(np.argmin(values))
    return simplex[best], float(values[best])


ROBUST_SCALE = 0.1
"""Log-ratio scale of the robust loss: below ~10% errors count quadratically, above linearly."""


def robust_log_loss(predicted: list[float], measured: list[float]) -> float:
    """Mean pseudo-Huber loss of log(predicted / measured).

    A CPU shared with other work now and then stalls a timed call by a whole scheduler slice;
    a squared loss would bend every parameter to explain that one point, this one does not.
    """
    r = np.log(np.asarray(predicted) / np.asarray(measured)) / ROBUST_SCALE
    return float(np.mean(np.sqrt(1.0 + r * r) - 1.0))


def minimize(
    fn: Callable[[np.ndarray], float], x0: np.ndarray, restarts: int = 2, max_evals: int = 2000
) -> tuple[np.ndarray, float]:
    """Nelder-Mead restarted from its own answer (escapes a collapsed simplex)."""
    x, value = nelder_mead(fn, x0, max_evals=max_evals)
    for _ in range(restarts):
        x, value = nelder_mead(fn, x, step=0.1, max_evals=max_evals)
    return x, value
