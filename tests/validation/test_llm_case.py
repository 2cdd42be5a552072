"""Training and inference models against the published cases in tests/data/public.json.

These assertions can fail: they hold the models to the project's targets (median absolute
error per kind at most 10%, worst at most 25%) over every case of the kind, with no case left
out silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.schema.model import TransformerModel
from simulator.validation.cases import load_cases
from simulator.validation.inference import inference_case
from simulator.validation.llm_case import (
    case_hardware,
    case_model,
    decode_attention_kernel,
    find_preset,
    legacy_software,
)
from simulator.validation.outcome import Skip
from simulator.validation.runner import run_validation

TARGET_MEDIAN_PCT = 10.0
WORST_PCT = 25.0
"""The issue's worst-case target (the Llama-2-7B TTFT at 128 tokens sits nearest, near -24%)."""


@pytest.fixture(scope="module")
def report(catalog):
    return run_validation(load_cases(), catalog, kinds=["training", "inference"])


@pytest.mark.parametrize("kind", ["training", "inference"])
def test_per_kind_error_within_target(report, kind: str) -> None:
    summary = report.summaries[kind]
    skipped = [(r.id, r.note) for r in report.results if r.kind == kind and r.status != "ok"]
    assert summary.errors == 0, skipped
    assert summary.overall.n == summary.cases, skipped
    assert summary.overall.median_abs_pct <= TARGET_MEDIAN_PCT
    assert summary.overall.worst_abs_pct <= WORST_PCT


def test_megatron_tflops_are_compared_as_hardware_flops(report) -> None:
    sc21 = [r for r in report.results if r.id.startswith("megatron-sc21")]
    assert sc21 and all("recompute counted" in r.note for r in sc21)
    assert all("recompute full" in r.note for r in sc21)


def test_tensorrt_llm_throughput_is_per_gpu(report) -> None:
    rows = [r for r in report.results if r.id.startswith("trtllm-v0.6.1")]
    assert rows and all("per GPU" in r.note for r in rows)


def test_preset_lookup_by_published_name(catalog) -> None:
    for name in ("Llama 2 70B", "GPT-J 6B", "Falcon 180B", "Llama 2 7B"):
        assert find_preset(name, catalog) is not None, name
    assert find_preset("GPT (Megatron-LM)", catalog) is None


def test_case_shape_builds_a_gpt_when_no_preset_matches(catalog) -> None:
    case = {
        "config": {
            "model": "GPT-2 style (Megatron-LM v2020)",
            "num_layers": 24,
            "hidden_size": 1920,
            "num_attention_heads": 15,
            "vocab_size": 51200,
        }
    }
    model = case_model(case, catalog, gpt_default=True)
    assert isinstance(model, TransformerModel)
    assert model.ffn_hidden_size == 4 * 1920 and model.tied_embeddings
    assert isinstance(case_model(case, catalog, gpt_default=False), Skip)


def test_legacy_software_from_the_source_year() -> None:
    assert legacy_software({"source": "Narayanan et al. (SC21, arXiv:2104.04473)"})
    assert legacy_software({"source": "README at commit 5281919420 (2020-09-11)"})
    assert not legacy_software({"source": "NVIDIA NeMo performance summary, 2024-10"})
    assert not legacy_software({"source": "no date"})


def test_dgx2_is_sixteen_v100s_on_one_switch(catalog) -> None:
    built = case_hardware({"hardware": "8x NVIDIA V100 (DGX-2)"}, catalog, 8)
    assert not isinstance(built, Skip)
    hardware, _ = built
    assert hardware.gpu.id == "v100-sxm-32gb"
    assert hardware.job_group.num_domains == 1
    too_many = case_hardware({"hardware": "32x NVIDIA V100 (DGX-2)"}, catalog, 32)
    assert isinstance(too_many, Skip)


@pytest.mark.parametrize(
    ("engine", "kernel"),
    [
        ("TensorRT-LLM v0.5", "per_query_head"),
        ("TensorRT-LLM v0.6.1", "per_query_head"),
        ("TensorRT-LLM 0.7.1", "grouped"),
        ("TensorRT-LLM v0.10.0", "grouped"),
        ("vLLM 0.6", "grouped"),
        ("", "grouped"),
    ],
)
def test_decode_attention_kernel_from_engine_version(engine: str, kernel: str) -> None:
    assert decode_attention_kernel({"engine": engine}) == kernel


def test_tensorrt_llm_v061_gqa_cases_run_the_per_query_head_kernel(catalog) -> None:
    cases = [c for c in load_cases() if c["id"].startswith("trtllm-v0.6.1-a100-llama70b")]
    assert cases
    for case in cases:
        parsed = inference_case(case, catalog)
        assert not isinstance(parsed, Skip)
        assert parsed.job.decode_attention == "per_query_head"


def test_held_out_h100_and_l40s_rows_of_the_same_document(catalog) -> None:
    """The H100 and L40S FP8 rows of the TensorRT-LLM table public.json samples for A100:
    no constant was chosen with them in view; they hold the carried-over mechanisms to the
    median target."""
    path = Path(__file__).parents[1] / "data" / "trtllm_h100_l40s.json"
    report = run_validation(load_cases(path), catalog, kinds=["inference"])
    summary = report.summaries["inference"]
    assert summary.errors == 0 and summary.overall.n == summary.cases == 36
    assert summary.overall.median_abs_pct <= TARGET_MEDIAN_PCT
