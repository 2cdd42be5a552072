"""What an evaluator gives back for one case: a prediction to compare, or a reasoned skip.

Kept apart from the evaluators so that every per-kind module (and the runner above them)
shares one pair of types without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.catalog import Catalog


@dataclass(frozen=True)
class Prediction:
    """A model's value for one measured quantity of a case.

    Attributes:
        value: the prediction, in `unit`.
        unit: the unit of case['measured'][measured_name] (the evaluator converts).
        measured_name: which measured entry this predicts.
        gpu: the GPU profile used; the case is in-sample if listed in its fitted_to_cases.
        note: how the case was mapped (shown next to the result).
        in_sample: force in-sample (e.g. a parameter was fitted to this case elsewhere).
    """

    value: float
    unit: str
    measured_name: str
    gpu: str | None = None
    note: str = ""
    in_sample: bool = False


@dataclass(frozen=True)
class Skip:
    """A case the models cannot evaluate, and why (nothing is dropped silently)."""

    reason: str


Evaluator = Callable[[dict, Catalog], "Prediction | Skip"]
"""(case, catalog) -> Prediction | Skip: one per case kind (see `runner.EVALUATORS`)."""
