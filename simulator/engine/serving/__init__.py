"""Inference serving: request streams, continuously batched replicas, routing, autoscaling.

`simulate_service` serves one service on its own replicas (what `estimate serving` runs);
inside a scenario, `simulator.engine.core.Simulation` runs every service's replicas on GPUs
the cluster scheduler allocates, next to training jobs. Module map:

- `lengths`, `arrivals`: token counts and arrival times (Poisson, gamma, diurnal, trace);
- `kv_cache`: paged KV blocks and the lockstep growth of decoding sequences;
- `sequence`: one request's state; `replica`: continuous batching, chunked prefill,
  preemption; `router`: picking a replica; `autoscaler`: scaling with cold starts;
- `costs`: per-iteration times and capacities from `simulator.perf`;
- `service`: a service at run time; `metrics`: latencies, goodput, GPU-hours;
- `standalone`: a service without a cluster; `cluster_host`: replicas as cluster jobs.
"""

from simulator.engine.serving.arrivals import RequestStream, request_stream
from simulator.engine.serving.standalone import ServingRun, simulate_service

__all__ = ["RequestStream", "ServingRun", "request_stream", "simulate_service"]
