"""The validation runner over the public cases: targets, skips with reasons, in-sample flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.errors import InputError
from simulator.validation import runner
from simulator.validation.cases import default_cases_path, load_cases
from simulator.validation.gemm import evaluate_gemm_case
from simulator.validation.outcome import Prediction, Skip
from simulator.validation.runner import run_validation
from tests.conftest import REPO

TARGET_MEDIAN_PCT = 10.0

KNOWN_MISS_MEDIAN_PCT: dict[str, float] = {}
"""Kinds whose median misses the 10% target today, held at what they reach so that they cannot
get worse unnoticed (none: all-reduce reached 9.7% once the pipeline fill was charged once over
the bottleneck link instead of once per ring pass; docs/perf-gemm-collectives.md)."""


@pytest.fixture(scope="module")
def report(catalog):
    return run_validation(load_cases(), catalog)


def test_default_cases_are_the_public_set() -> None:
    assert default_cases_path() == REPO / "tests" / "data" / "public.json"
    kinds = {c["kind"] for c in load_cases()}
    assert kinds == {"gemm", "allreduce", "training", "inference"}


@pytest.mark.parametrize("kind", ["gemm", "allreduce"])
def test_median_error_within_target(report, kind: str) -> None:
    summary = report.summaries[kind]
    assert summary.errors == 0, [r.note for r in report.results if r.status == "error"]
    assert summary.overall.n >= summary.cases // 2, "most cases must be evaluated"
    bound = KNOWN_MISS_MEDIAN_PCT.get(kind, TARGET_MEDIAN_PCT)
    assert summary.overall.median_abs_pct <= bound
    assert summary.held_out.n > 0
    assert summary.held_out.median_abs_pct <= bound


def test_every_skip_has_a_reason(report) -> None:
    skipped = [r for r in report.results if r.status == "skipped"]
    assert skipped, "the public set names hardware the catalog lacks (Gaudi, B300, MI355X)"
    assert all(len(r.note) > 5 for r in skipped)
    gaudi = [r for r in skipped if "gaudi" in r.id]
    assert gaudi and all("Gaudi" in r.note for r in gaudi)
    assert len(report.results) == len(load_cases()), "no case dropped silently"


def test_in_sample_cases_are_the_fitted_ones(report, catalog) -> None:
    by_id = {r.id: r for r in report.results}
    a100 = catalog.gpu("a100-sxm-80gb")
    assert "mamf-bf16-nvidia-a100-sxm" in a100.efficiency.fitted_to_cases
    assert by_id["mamf-bf16-nvidia-a100-sxm"].in_sample
    assert not by_id["mamf-bf16-nvidia-gh200-sxm"].in_sample  # mapped to H200, not fitted
    assert not by_id["vidur-a100-llama-2-7b-hf-mlp_up_proj-M128"].in_sample
    gemm = report.summaries["gemm"]
    assert gemm.in_sample.n + gemm.held_out.n == gemm.overall.n


def test_mamf_shapes_use_n_as_the_reduction(catalog) -> None:
    """mamf-finder multiplies A[M, N] @ B[N, K]: swapping N and K changes the tile picture."""
    case = next(c for c in load_cases() if c["id"] == "mamf-bf16-nvidia-h100-sxm")
    prediction = evaluate_gemm_case(case, catalog)
    assert isinstance(prediction, Prediction) and prediction.measured_name == "tflops"
    assert prediction.value == pytest.approx(case["measured"]["tflops"]["value"], rel=0.05)


def test_every_published_kind_has_an_evaluator() -> None:
    """The table is explicit: no lazy import can turn a kind into 'model not available'."""
    kinds = {c["kind"] for c in load_cases()}
    assert kinds <= set(runner.EVALUATORS)
    assert runner.SERVING_KIND.source_kind == "inference"


def test_unknown_kind_and_broken_evaluator_are_reported(catalog, monkeypatch) -> None:
    def broken(case, catalog):
        raise ZeroDivisionError("oops")

    monkeypatch.setitem(runner.EVALUATORS, "broken", broken)
    monkeypatch.setitem(runner.EVALUATORS, "skipper", lambda case, catalog: Skip("why not"))
    cases = [
        {"id": "a", "kind": "mystery"},
        {"id": "b", "kind": "broken"},
        {"id": "c", "kind": "skipper"},
    ]
    result = run_validation(cases, catalog)
    status = {r.id: (r.status, r.note) for r in result.results}
    assert status["a"] == ("skipped", "no evaluator for kind 'mystery'")
    assert status["b"][0] == "error" and "oops" in status["b"][1]
    assert status["c"] == ("skipped", "why not")


def test_bad_cases_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_cases(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_cases(bad)
    no_kind = tmp_path / "no_kind.json"
    no_kind.write_text(json.dumps({"cases": [{"id": "x"}]}))
    with pytest.raises(InputError, match="cases\\[0\\]"):
        load_cases(no_kind)


def test_report_serialises(report) -> None:
    data = json.loads(json.dumps(report.to_dict()))
    assert set(data["summary"]) == {"gemm", "allreduce", "training", "inference"}
    assert len(data["cases"]) == len(report.results)
