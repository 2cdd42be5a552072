"""The run's own figures that are not tables: what `simulator.results` builds the summary from.

Gathered once at the end of a run from the parts that own them (cluster, facility, power,
storage), so the summary never reaches back into a finished Simulation.
"""

from __future__ import annotations

from typing import Any

from simulator.engine.cluster import Cluster
from simulator.engine.power import Power
from simulator.engine.storage import Storage
from simulator.schema.facility import FacilityProfile
from simulator.schema.scenario import Scenario, ref_id


def run_meta(
    s: Scenario,
    *,
    seed: int,
    horizon_s: float,
    cluster: Cluster,
    facility: FacilityProfile,
    power: Power,
    storage: Storage,
    failure_rate_per_gpu_s: float,
    trace_skipped: int,
    events_processed: int,
) -> dict[str, Any]:
    """Plain values, keyed as `RunRecord.meta` (and then summary.json) name them."""
    return {
        "scenario": s.name,
        "seed": seed,
        "start_date": s.start_date.isoformat() if s.start_date is not None else None,
        "horizon_s": horizon_s,
        "total_gpus": cluster.total_gpus,
        "nodes": cluster.num_nodes,
        "pods": cluster.num_pods,
        "nodes_per_rack": cluster.nodes_per_rack,
        "active_nodes_per_rack_cap": cluster.rack_cap,
        "scheduler": s.policies.scheduler.kind,
        "placement": s.policies.placement.kind,
        "facility": facility.id,
        "pue": facility.pue,
        "carbon_g_per_kwh": facility.carbon_g_per_kwh,
        "electricity_usd_per_kwh": facility.electricity_usd_per_kwh,
        "power_cap_kw": power.cap_w / 1000.0 if power.cap_w else None,
        "power_enforcement": s.policies.power.enforcement if power.cap_w else None,
        "it_energy_kwh": power.energy_j / 3.6e6,
        "peak_it_kw": power.peak_it_w / 1000.0,
        "idle_it_kw": sum(
            pp.node_idle_w * p.count for pp, p in zip(power.pools, cluster.pools, strict=True)
        )
        / 1000.0,
        "failure_rate_per_gpu_hour": failure_rate_per_gpu_s * 3600.0,
        "failure_rates": s.policies.failures.rates,
        "storage_peak_used_tb": {t.id: t.peak_used_b / 1e12 for t in storage.tiers},
        "trace_jobs_skipped": trace_skipped,
        "events_processed": events_processed,
        "services": [svc.name for svc in s.workloads.inference_services],
        "storage_tiers": [ref_id(t.profile) for t in s.cluster.storage],
    }
