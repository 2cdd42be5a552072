"""Whole summary blocks for tests that build a Results by hand (RunSummary refuses partial
ones): every figure gets a plain default, the test overrides the few it is about."""

from __future__ import annotations

from typing import Any, get_args, get_origin

from simulator.schema.cost_summary import (
    CapacitySummary,
    Cheapest,
    CostOptionSummary,
    CostSummary,
)
from simulator.schema.run_summary import RunSummary, ServiceSummary


def _defaults(model: type, given: dict[str, Any]) -> dict[str, Any]:
    """0 for ints, 0.0 for floats, '' for text, empty containers; `given` wins."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        kind = info.annotation
        args = get_args(kind)
        if get_origin(kind) in (dict, list):
            out[name] = get_origin(kind)()
        elif kind in (int, float, str):
            out[name] = kind()
        else:  # X | None
            out[name] = 0.0 if float in args else None
    return {**out, **given}


def service_summary(**figures: Any) -> ServiceSummary:
    return ServiceSummary.model_validate(_defaults(ServiceSummary, figures))


def cost_option(**figures: Any) -> CostOptionSummary:
    return CostOptionSummary.model_validate(_defaults(CostOptionSummary, figures))


def cost_summary(**figures: Any) -> CostSummary:
    figures.setdefault("capacity", CapacitySummary.model_validate(_defaults(CapacitySummary, {})))
    figures.setdefault("cheapest", Cheapest(cash="", accrued="", net_cash=""))
    return CostSummary.model_validate(_defaults(CostSummary, figures))


def run_summary(**figures: Any) -> RunSummary:
    return RunSummary.model_validate(_defaults(RunSummary, figures))
