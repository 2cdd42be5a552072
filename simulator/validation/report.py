"""What a validation run found: each case's result and, per kind, the error figures.

In-sample cases (a profile's numbers were taken from that very case, listed in
`efficiency.fitted_to_cases`) are summarized apart from held-out ones, which are the real
test; a kind's figures over both together would flatter the model.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class CaseResult:
    """One case's outcome: 'ok' (with errors), 'skipped' (with reason) or 'error'."""

    id: str
    kind: str
    status: str
    hardware: str = ""
    measured_name: str = ""
    unit: str = ""
    measured: float | None = None
    predicted: float | None = None
    error_pct: float | None = None
    in_sample: bool = False
    note: str = ""

    @property
    def abs_error_pct(self) -> float | None:
        """|predicted - measured| / measured, percent."""
        return None if self.error_pct is None else abs(self.error_pct)


@dataclass(frozen=True)
class ErrorStats:
    """Median and worst absolute percentage error over some cases."""

    n: int
    median_abs_pct: float | None
    worst_abs_pct: float | None

    @classmethod
    def of(cls, results: Iterable[CaseResult]) -> ErrorStats:
        errors = [r.abs_error_pct for r in results if r.abs_error_pct is not None]
        if not errors:
            return cls(0, None, None)
        return cls(len(errors), statistics.median(errors), max(errors))


@dataclass(frozen=True)
class KindSummary:
    """Per-kind figures: counts, error over all evaluated cases, in-sample vs held-out."""

    kind: str
    cases: int
    skipped: int
    errors: int
    overall: ErrorStats
    in_sample: ErrorStats
    held_out: ErrorStats
    worst: list[CaseResult] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Every case's result and the per-kind summaries."""

    results: list[CaseResult]
    summaries: dict[str, KindSummary]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""

        def summary(s: KindSummary) -> dict[str, Any]:
            out = asdict(s)
            out["worst"] = [r.id for r in s.worst]
            return out

        return {
            "summary": {kind: summary(s) for kind, s in self.summaries.items()},
            "cases": [asdict(r) for r in self.results],
        }


def summarize(results: Sequence[CaseResult], worst_count: int = 3) -> dict[str, KindSummary]:
    """Per-kind summaries, kinds in first-seen order."""
    kinds = list(dict.fromkeys(r.kind for r in results))
    out = {}
    for kind in kinds:
        mine = [r for r in results if r.kind == kind]
        ok = [r for r in mine if r.status == "ok"]
        worst = sorted(ok, key=lambda r: -(r.abs_error_pct or 0.0))[:worst_count]
        out[kind] = KindSummary(
            kind=kind,
            cases=len(mine),
            skipped=sum(r.status == "skipped" for r in mine),
            errors=sum(r.status == "error" for r in mine),
            overall=ErrorStats.of(ok),
            in_sample=ErrorStats.of(r for r in ok if r.in_sample),
            held_out=ErrorStats.of(r for r in ok if not r.in_sample),
            worst=worst,
        )
    return out
