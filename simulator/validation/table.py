"""The text table `infrasim validate` prints: per kind, then the worst cases, then skips.

Every kind's line puts in-sample and held-out figures side by side, and every skipped case
is counted under its reason, so a reader sees what the medians leave out.
"""

from __future__ import annotations

from collections import Counter

from simulator.validation.report import CaseResult, ErrorStats, ValidationReport


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _stats(stats: ErrorStats) -> str:
    if not stats.n:
        return "-"
    return f"{stats.n}: {_pct(stats.median_abs_pct)} / {_pct(stats.worst_abs_pct)}"


def _case_line(result: CaseResult) -> str:
    sample = "in-sample" if result.in_sample else "held-out"
    return (
        f"  {result.kind:<10} {result.id}: predicted {result.predicted:.4g} vs measured "
        f"{result.measured:.4g} {result.unit} ({result.error_pct:+.1f}%, {sample})"
        + (f" [{result.note}]" if result.note else "")
    )


def format_report(report: ValidationReport) -> str:
    """The human table: per kind, then the worst cases, then skip reasons."""
    header = (
        f"{'kind':<10} {'cases':>5} {'skipped':>7} {'errors':>6} {'median|err|%':>12} "
        f"{'worst|err|%':>11}  {'in-sample n: med / worst':<25} held-out n: med / worst"
    )
    lines = [header]
    for s in report.summaries.values():
        lines.append(
            f"{s.kind:<10} {s.cases:>5} {s.skipped:>7} {s.errors:>6} "
            f"{_pct(s.overall.median_abs_pct):>12} {_pct(s.overall.worst_abs_pct):>11}  "
            f"{_stats(s.in_sample):<25} {_stats(s.held_out)}"
        )
    worst = [r for s in report.summaries.values() for r in s.worst]
    if worst:
        lines += ["", "worst cases:"] + [_case_line(r) for r in worst]
    errors = [r for r in report.results if r.status == "error"]
    if errors:
        lines += ["", "errors:"] + [f"  {r.kind:<10} {r.id}: {r.note}" for r in errors]
    skipped = Counter((r.kind, r.note) for r in report.results if r.status == "skipped")
    if skipped:
        lines += ["", "skipped:"] + [
            f"  {kind:<10} {count:>3} x {reason}" for (kind, reason), count in skipped.items()
        ]
    return "\n".join(lines)
