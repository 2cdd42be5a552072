"""Run a set of cases: each kind's evaluator, then the per-kind report.

Kinds map to evaluators in one table (`EVALUATORS`), imported from the modules below, so a new
kind is one module and one line here, with no import-time registration. A `DerivedKind`
checks a second model on another kind's cases: 'serving' runs the 'inference' cases through
the serving simulator. Callers choose whether to include it (`SERVING_KIND`), since it is
the slow one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulator.catalog import Catalog
from simulator.errors import InputError
from simulator.validation.collective import evaluate_collective_case
from simulator.validation.gemm import evaluate_gemm_case
from simulator.validation.inference import evaluate_inference_case
from simulator.validation.outcome import Evaluator, Skip
from simulator.validation.report import CaseResult, ValidationReport, summarize
from simulator.validation.serving import evaluate_serving_case
from simulator.validation.training import evaluate_training_case

EVALUATORS: dict[str, Evaluator] = {
    "gemm": evaluate_gemm_case,
    "allreduce": evaluate_collective_case,
    "collective": evaluate_collective_case,
    "training": evaluate_training_case,
    "inference": evaluate_inference_case,
}
"""case kind -> evaluator"""


@dataclass(frozen=True)
class DerivedKind:
    """A second model checked on the cases of another kind, reported under its own kind.

    The serving simulator is checked on the 'inference' cases (the same published static
    batches, run through continuously batched replicas).
    """

    kind: str
    source_kind: str
    evaluate: Evaluator


SERVING_KIND = DerivedKind("serving", "inference", evaluate_serving_case)
"""Pass to `run_validation(..., derived=[SERVING_KIND])`."""


def _evaluate(case: dict, catalog: Catalog, derived: DerivedKind | None = None) -> CaseResult:
    kind = derived.kind if derived else str(case.get("kind", ""))
    base: dict[str, Any] = {
        "id": str(case.get("id", "?")),
        "kind": kind,
        "hardware": str(case.get("hardware", "")),
    }
    evaluator = derived.evaluate if derived else EVALUATORS.get(kind)
    if evaluator is None:
        return CaseResult(**base, status="skipped", note=f"no evaluator for kind {kind!r}")
    try:
        outcome = evaluator(case, catalog)
    except InputError as exc:
        return CaseResult(**base, status="error", note="; ".join(str(p) for p in exc.problems))
    except Exception as exc:  # noqa: BLE001 - one broken evaluator must not hide the rest
        return CaseResult(**base, status="error", note=f"{type(exc).__name__}: {exc}")
    if isinstance(outcome, Skip):
        return CaseResult(**base, status="skipped", note=outcome.reason)
    entry = case.get("measured", {}).get(outcome.measured_name, {})
    measured = entry.get("value") if isinstance(entry, dict) else None
    if not isinstance(measured, int | float) or measured == 0:
        return CaseResult(
            **base, status="error", note=f"measured.{outcome.measured_name} has no usable value"
        )
    in_sample = outcome.in_sample
    if outcome.gpu is not None and outcome.gpu in catalog.profiles["gpu"]:
        in_sample = in_sample or base["id"] in catalog.gpu(outcome.gpu).efficiency.fitted_to_cases
    return CaseResult(
        **base,
        status="ok",
        measured_name=outcome.measured_name,
        unit=outcome.unit,
        measured=float(measured),
        predicted=outcome.value,
        error_pct=100.0 * (outcome.value - measured) / measured,
        in_sample=in_sample,
        note=outcome.note,
    )


def run_validation(
    cases: Sequence[dict],
    catalog: Catalog,
    kinds: Sequence[str] | None = None,
    derived: Sequence[DerivedKind] = (),
) -> ValidationReport:
    """Evaluate `cases` (only kinds in `kinds`, if given) and summarize per kind.

    Each case of a `derived` kind's source kind is evaluated a second time by that model,
    right after its own evaluation, and reported under the derived kind.
    """
    results = []
    for case in cases:
        kind = case.get("kind")
        if not kinds or kind in kinds:
            results.append(_evaluate(case, catalog))
        for extra in derived:
            if extra.source_kind == kind and (not kinds or extra.kind in kinds):
                results.append(_evaluate(case, catalog, extra))
    return ValidationReport(results=results, summaries=summarize(results))
