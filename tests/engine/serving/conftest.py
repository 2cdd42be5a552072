"""A small, fast serving setup: Llama 3 8B on one H100, short requests, a small token budget
(few distinct iteration shapes, so the GEMM model is evaluated few times)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from simulator.engine.serving.arrivals import RequestStream
from simulator.engine.serving.costs import ServiceCosts, service_costs
from simulator.engine.serving.service import ServiceRuntime
from simulator.engine.serving.standalone import HeapClock, UnlimitedHost
from simulator.perf.hardware import JobHardware, job_hardware
from simulator.schema.model import TransformerModel
from simulator.schema.scenario import InferenceService

BUDGET = 512


def make_spec(**overrides: Any) -> InferenceService:
    """An 8B service on one GPU per replica; `overrides` replace fields (traffic merges)."""
    traffic = {
        "arrivals": "poisson",
        "requests_per_s": 5.0,
        "num_requests": 200,
        "input_tokens": {"kind": "fixed", "value": 256},
        "output_tokens": {"kind": "fixed", "value": 64},
    }
    traffic.update(overrides.pop("traffic", {}))
    data: dict[str, Any] = {
        "name": "svc",
        "model": "llama3-8b",
        "precision": "bf16",
        "tp": 1,
        "replicas": 1,
        "max_batched_tokens": BUDGET,
        "max_num_seqs": 64,
        "timeline_interval_s": 1.0,
        "traffic": traffic,
    }
    data.update(overrides)
    return InferenceService.model_validate(data)


@pytest.fixture(scope="session")
def llama8b(catalog) -> TransformerModel:  # noqa: ANN001
    return catalog.model("llama3-8b")


@pytest.fixture(scope="session")
def h100(catalog) -> JobHardware:  # noqa: ANN001
    return job_hardware(catalog, num_gpus=1, node="dgx-h100")


@pytest.fixture(scope="session")
def costs(llama8b, h100) -> ServiceCosts:  # noqa: ANN001
    return service_costs(make_spec(), llama8b, h100)


def stream(arrivals: list[float], inp: int | list[int], out: int | list[int]) -> RequestStream:
    """Requests at `arrivals` with the given lengths (a number: all the same)."""
    n = len(arrivals)
    inputs = np.full(n, inp) if isinstance(inp, int) else np.asarray(inp)
    outputs = np.full(n, out) if isinstance(out, int) else np.asarray(out)
    return RequestStream(np.asarray(arrivals, dtype=float), inputs, outputs)


def run_runtime(
    spec: InferenceService, costs: ServiceCosts, requests: RequestStream, kv_tokens: int
) -> ServiceRuntime:
    """Run a service whose replicas hold `kv_tokens` of KV cache (to force preemption)."""
    clock = HeapClock()
    runtime = ServiceRuntime(
        spec,
        iteration=costs.iteration,
        kv_tokens=kv_tokens,
        stream=requests,
        clock=clock,
        host=UnlimitedHost(clock),
        kv_transfer_s_per_token=costs.kv_transfer_s_per_token,
        swap_s_per_token=costs.swap_s_per_token,
    )
    runtime.start()
    clock.run()
    runtime.settle(clock.now)
    return runtime
