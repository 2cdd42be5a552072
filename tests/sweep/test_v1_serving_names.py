"""Sweep specs written for summary version 1 name serving latencies in seconds."""

from __future__ import annotations

import pytest

from simulator.sweep.worker import flatten, with_v1_serving_names


def test_v1_serving_names_alias_the_ms_figures_in_seconds() -> None:
    figures = flatten({"serving": {"chat": {"ttft_p99_ms": 250.0, "goodput_rps": 3.5}}})
    out = with_v1_serving_names(figures)
    assert out["serving.chat.ttft_p99_ms"] == 250.0
    assert out["serving.chat.ttft_s_p99"] == pytest.approx(0.25)
    assert out["serving.chat.goodput_requests_per_s"] == 3.5


def test_undefined_latency_stays_undefined_under_its_old_name() -> None:
    out = with_v1_serving_names(flatten({"serving": {"chat": {"e2e_p50_ms": None}}}))
    assert out["serving.chat.e2e_s_p50"] is None
