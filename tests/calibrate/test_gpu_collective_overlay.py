"""A GPU calibration's all-reduce fit reaches estimates as it was fitted.

The fit runs the collective model with one generic protocol (fit_collectives.group_for). An
overlay that then laid NCCL's protocol costs and the catalog link's latency on top would
estimate a different model from the one fitted; the overlay marks the table `generic`, and the
estimate on the node reproduces the measurements. Synthetic measurements from known link
parameters stand in for an NCCL run (no GPU here).
"""

from __future__ import annotations

import pytest

from calibrate.fit_collectives import fit_one, group_for
from calibrate.overlay_build import _collective_table
from simulator.catalog import Catalog
from simulator.perf.collectives import bus_factor, collective_time_s
from simulator.perf.topology import group_from_profiles
from simulator.schema.calibration import CollectivePoint

SIZES = [2**k for k in range(10, 31, 2)]  # 1 KiB .. 1 GiB
TRUE = {"launch_us": 9.0, "step_us": 2.5, "rate_gb_per_s": 300.0, "fill_mib": 16.0}


def _measured(ranks: int) -> list[CollectivePoint]:
    group = group_for(
        ranks, TRUE["launch_us"], TRUE["step_us"], TRUE["rate_gb_per_s"], TRUE["fill_mib"]
    )
    points = []
    for size in SIZES:
        t = collective_time_s("all_reduce", size, group).time_s
        algbw = size / t / 1e9
        points.append(
            CollectivePoint(
                op="all_reduce",
                backend="nccl",
                num_ranks=ranks,
                size_bytes=size,
                time_s=t,
                algbw_gb_per_s=algbw,
                busbw_gb_per_s=algbw * bus_factor("all_reduce", ranks),
                emulated=False,
            )
        )
    return points


def test_an_nccl_fit_is_estimated_as_fitted(catalog: Catalog) -> None:
    measured = _measured(8)
    fit = fit_one(measured)
    gpu = catalog.gpu("h100-sxm-80gb")
    table = _collective_table(gpu.efficiency.collectives, fit)
    assert table.library == "generic"
    link = gpu.scale_up_bandwidth_per_direction_gb_per_s()
    efficiency = gpu.efficiency.model_copy(
        update={
            "collectives": table,
            "scale_up_bandwidth_fraction": min(1.0, fit.link_rate_gb_per_s / link),
        }
    )
    calibrated = gpu.model_copy(update={"efficiency": efficiency})
    node = catalog.node("dgx-h100")
    scale_up = catalog.interconnect(node.scale_up)
    group = group_from_profiles(calibrated, num_gpus=8, scale_up=scale_up, node_gpus=8)
    for point in measured:
        estimate = collective_time_s("all_reduce", point.size_bytes, group).time_s
        assert estimate == pytest.approx(point.time_s, rel=0.1), point.size_bytes
