"""What a run was built from, saved with its results so every figure stays traceable.

`infrasim report DIR` has only the saved directory, not the scenario or the catalog, so
`infrasim run` saves two extra tables beside the results:

- `inputs`: one row per profile or model the scenario used (hardware, facility, price sheets,
  model shapes), with its `source` and `as_of`, what it was used as, and which fields the
  scenario overrode.
- `racks`: per node pool, kW per rack with every node at its maximum draw, against the
  facility's cooling limit and the active-nodes cap the engine derives from it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from simulator.scenario import LoadedScenario
from simulator.schema.run_summary import RunSummary
from simulator.schema.scenario import ProfileRef, ref_id

INPUT_COLUMNS = ("kind", "id", "name", "used_as", "overrides", "source", "as_of")
RACK_COLUMNS = (
    "pool",
    "node",
    "nodes",
    "node_max_kw",
    "nodes_per_rack",
    "rack_kw_all_at_max",
    "active_nodes_per_rack_cap",
    "rack_kw_cap",
    "cooling",
    "cooling_limit_kw",
)


def _overrides(ref: ProfileRef | None) -> str:
    if ref is None or isinstance(ref, str):
        return ""
    return ", ".join(sorted(ref.overrides))


def _row(kind: str, profile: Any, used_as: str, ref: ProfileRef | None = None) -> dict[str, str]:
    return {
        "kind": kind,
        "id": str(getattr(profile, "id", "") or ""),
        "name": str(getattr(profile, "name", "") or ""),
        "used_as": used_as,
        "overrides": _overrides(ref),
        "source": str(getattr(profile, "source", "") or "not given"),
        "as_of": str(getattr(profile, "as_of", "") or "not given"),
    }


def inputs_table(loaded: LoadedScenario) -> pd.DataFrame:
    """Every profile and model the scenario used, with source and date (sorted rows)."""
    s, world = loaded.scenario, loaded.world
    rows: list[dict[str, str]] = []
    for pool in s.cluster.pools:
        hw = world.pools[pool.name]
        node = hw.node
        rows.append(_row("node", node, f"pool {pool.name} ({pool.count} nodes)", pool.node))
        if node.purchase_price_usd is not None:
            price = _row("node price", node, f"pool {pool.name}")
            price["name"] = f"{node.name}: ${node.purchase_price_usd:,.0f} per node"
            price["source"] = node.price_source or "not given"
            rows.append(price)
        rows.append(_row("gpu", hw.gpu, f"pool {pool.name}"))
        if hw.scale_up is not None:
            rows.append(_row("interconnect", hw.scale_up, "scale-up"))
        for role, nic in hw.nics:
            rows.append(_row("interconnect", nic, f"{role} NICs"))
    fabric = s.cluster.fabric.interconnect
    if fabric is not None:
        rows.append(_row("interconnect", world.fabric, "scale-out fabric", fabric))
    for spec, tier in zip(s.cluster.storage, world.storage, strict=True):
        rows.append(_row("storage", tier.profile, f"storage ({tier.role})", spec.profile))
    rows.append(_row("facility", world.facility, "facility", s.cluster.facility))
    for option in s.pricing.options:
        sheet = world.price_sheets[option.sheet]
        rows.append(_row("pricing", sheet, f"price option {option.name} ({option.purchase})"))
    for workload, model in sorted(world.models.items()):
        rows.append(_row("model", model, f"workload {workload}"))
    frame = pd.DataFrame(rows, columns=list(INPUT_COLUMNS)).drop_duplicates()
    return frame.sort_values(list(INPUT_COLUMNS), kind="stable").reset_index(drop=True)


def racks_table(loaded: LoadedScenario, summary: RunSummary) -> pd.DataFrame:
    """Per pool: rack power density against the facility's cooling limit."""
    s, world = loaded.scenario, loaded.world
    facility = world.facility
    limit_kw = facility.max_kw_per_rack
    cap = summary.active_nodes_per_rack_cap or world.racks.power_cap
    per_rack = summary.nodes_per_rack or world.racks.nodes_per_rack
    rows = []
    for pool in s.cluster.pools:
        node = world.pools[pool.name].node
        node_kw = node.max_power_w / 1000.0
        rows.append(
            {
                "pool": pool.name,
                "node": ref_id(pool.node),
                "nodes": pool.count,
                "node_max_kw": node_kw,
                "nodes_per_rack": int(per_rack),
                "rack_kw_all_at_max": node_kw * per_rack,
                "active_nodes_per_rack_cap": int(cap),
                "rack_kw_cap": node_kw * min(cap, per_rack),
                "cooling": facility.cooling,
                "cooling_limit_kw": limit_kw,
            }
        )
    return pd.DataFrame(rows, columns=list(RACK_COLUMNS))


def input_tables(loaded: LoadedScenario, summary: RunSummary) -> dict[str, pd.DataFrame]:
    """The tables `infrasim run` saves for the report: `inputs` and `racks`."""
    return {"inputs": inputs_table(loaded), "racks": racks_table(loaded, summary)}
