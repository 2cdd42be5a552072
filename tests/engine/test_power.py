"""Power and energy: the timeline integrates to the energy; caps throttle or gate; racks."""

from __future__ import annotations

import pytest

from simulator.engine import fixed_step_time
from simulator.engine.power import PoolPower, gpu_power_w
from simulator.errors import InputError
from simulator.results import integrate_kwh, simulate
from tests.engine.conftest import base_scenario, starts, trace_scenario, training_job

H = 3600


def _busy_scenario() -> dict:
    return base_scenario(
        nodes=4,
        horizon_days=2,
        workloads={
            "training_jobs": [
                training_job(steps=20_000, checkpoint={"policy": "fixed", "interval_minutes": 30})
            ],
            "synthetic_jobs": [
                {
                    "name": "mix",
                    "arrivals_per_hour": 6,
                    "gpus_per_job": [1, 2, 4, 8],
                    "mean_duration_hours": 1.5,
                }
            ],
        },
        policies={"failures": {"enabled": True, "rate_multiplier": 3000}},
    )


def test_energy_equals_the_integral_of_the_power_timeline(make) -> None:
    res = simulate(make(_busy_scenario()), step_time=fixed_step_time(2.0))
    s = res.summary
    horizon = s["horizon_days"] * 86400
    assert s["failures"] > 0 and s["jobs_completed"] > 10
    assert integrate_kwh(res.timeline, "it_kw", horizon) == pytest.approx(
        s["it_energy_kwh"], rel=1e-9
    )
    assert integrate_kwh(res.timeline, "facility_kw", horizon) == pytest.approx(
        s["facility_energy_kwh"], rel=1e-9
    )
    assert s["facility_energy_kwh"] == pytest.approx(1.5 * s["it_energy_kwh"])
    assert s["carbon_kg"] == pytest.approx(s["facility_energy_kwh"] * 0.4)
    # jobs' energy plus the idle draw of unallocated GPUs is the total
    assert res.jobs["energy_kwh"].sum() < s["it_energy_kwh"]
    assert res.timeline["it_kw"].max() == pytest.approx(s["peak_it_kw"])


def test_power_of_one_job_from_the_gpu_profile(make, engine_catalog) -> None:
    res = simulate(
        make(base_scenario(nodes=2, workloads={"training_jobs": [training_job(steps=360)]})),
        step_time=fixed_step_time(10.0, compute_fraction=0.75),
    )
    gpu = engine_catalog.gpu("h100-sxm-80gb")
    node = engine_catalog.node("enginetest-node")
    idle_node = 8 * gpu.idle_power_w + node.overhead_idle_power_w
    assert gpu_power_w(gpu, 1.0) == gpu.tdp_w  # no curve: linear idle -> TDP
    running = 0.75 * gpu_power_w(gpu, 1.0) + 0.25 * gpu_power_w(gpu, 0.3)
    job_w = 8 * running + node.overhead_power_w
    assert res.jobs.iloc[0]["energy_kwh"] == pytest.approx(job_w * 3600 / 3.6e6)
    horizon = 86400
    expected = (2 * idle_node * horizon + (job_w - idle_node) * 3600) / 3.6e6
    assert res.summary["it_energy_kwh"] == pytest.approx(expected)
    assert res.summary["idle_it_kw"] == pytest.approx(2 * idle_node / 1000)


def _capped(make, cap_kw: float, enforcement: str):
    data = base_scenario(
        nodes=2,
        workloads={"training_jobs": [training_job("a", steps=360), training_job("b", steps=360)]},
        policies={
            "failures": {"enabled": False},
            "power": {"cap_kw": cap_kw, "enforcement": enforcement},
        },
    )
    return simulate(make(data), step_time=fixed_step_time(10.0))


def test_throttling_slows_jobs_to_hold_the_cap(make, engine_catalog) -> None:
    gpu = engine_catalog.gpu("h100-sxm-80gb")
    node = engine_catalog.node("enginetest-node")
    idle_node = 8 * gpu.idle_power_w + node.overhead_idle_power_w
    static = 2 * (8 * gpu.idle_power_w + node.overhead_power_w)
    dynamic = 2 * 8 * (gpu.tdp_w - gpu.idle_power_w)
    cap_w = static + 0.5 * dynamic
    res = _capped(make, cap_w / 1000, "throttle")
    assert res.summary["min_throttle"] == pytest.approx(0.5)
    for name in ("a", "b"):
        assert res.jobs.set_index("name").loc[name, "end_s"] == pytest.approx(7200.0)
    assert res.summary["peak_it_kw"] == pytest.approx(cap_w / 1000)
    assert res.timeline["it_kw"].max() <= cap_w / 1000 * (1 + 1e-9)
    assert 2 * idle_node < cap_w


def test_admission_control_holds_jobs_back(make, engine_catalog) -> None:
    gpu = engine_catalog.gpu("h100-sxm-80gb")
    node = engine_catalog.node("enginetest-node")
    one_running = (8 * gpu.tdp_w + node.overhead_power_w) + (
        8 * gpu.idle_power_w + node.overhead_idle_power_w
    )
    res = _capped(make, one_running * 1.01 / 1000, "admission")
    assert starts(res) == [("a", 0.0), ("b", 1.0)]
    assert res.summary["min_throttle"] == 1.0


def test_rack_power_limits_active_nodes(tmp_path, make) -> None:
    # 41 kW racks hold four 10.2 kW nodes at full power; pack eight in one rack and only four
    # may run at once
    rows = [(f"j{i}", "u", 8, 0, 1 * H) for i in range(6)]
    data = trace_scenario(tmp_path, rows, nodes=8)
    data["cluster"]["nodes_per_rack"] = 8
    res = simulate(make(data))
    assert [t for _, t in starts(res)] == [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    data["cluster"]["nodes_per_rack"] = 4
    res = simulate(make(data))
    assert [t for _, t in starts(res)] == [0.0] * 6


def test_node_beyond_rack_power_is_an_input_error(make) -> None:
    data = base_scenario(nodes=1, workloads={"training_jobs": [training_job()]})
    data["cluster"]["facility"] = {"id": "enginetest-hall", "overrides": {"max_kw_per_rack": 5}}
    with pytest.raises(InputError) as info:
        simulate(make(data))
    (problem,) = info.value.problems
    assert problem.field == "cluster.facility"
    assert "10.2 kW" in problem.message and "5 kW per rack" in problem.message


def test_cap_below_idle_power_is_an_input_error(make) -> None:
    data = base_scenario(nodes=2, workloads={"training_jobs": [training_job()]})
    data["policies"]["power"] = {"cap_kw": 1}
    with pytest.raises(InputError) as info:
        simulate(make(data))
    assert info.value.problems[0].field == "policies.power.cap_kw"


def test_pool_power_figures(engine_catalog) -> None:
    from simulator.engine.cluster import Cluster

    node = engine_catalog.node("enginetest-node")
    gpu = engine_catalog.gpu("h100-sxm-80gb")
    cluster = Cluster([("p", node, gpu, 2)], nodes_per_pod=2, nodes_per_rack=2, rack_cap=2)
    pp = PoolPower.of(cluster.pools[0])
    assert pp.node_idle_w == 8 * gpu.idle_power_w + node.overhead_idle_power_w
    assert pp.node_peak_w == 8 * gpu.tdp_w + node.overhead_power_w
    assert pp.state_dyn_w["idle"] == 0
    assert 0 < pp.state_dyn_w["stalled"] < pp.state_dyn_w["communicate"] < pp.state_dyn_w["compute"]
