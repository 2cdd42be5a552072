"""What a run was built from, saved with its results so every figure stays traceable.

`infrasim report DIR` has only the saved directory, not the scenario or the catalog, so
`infrasim run` saves two extra tables beside the results:

- `inputs`: one row per profile or model the scenario used (hardware, facility, price sheets,
  model shapes), with its `source` and `as_of`, what it was used as, and which fields the
  scenario overrode.
- `racks`: per node pool, kW per rack with every node at its maximum draw, against the
  facility's cooling limit and the active-nodes cap the engine derives from it.
- `assumptions`: every value the run used, one row each: the scenario as run (after `--set`
  overrides: workloads, policies, failure rates, horizon) and every field of every profile it
  resolved (hardware, facility, prices, model shapes), each with its source and `as_of`.
  `key` is the value's field path in the scenario (`cluster.pools[0].count`), the form a
  `--set` override names, so the report can highlight the values a run overrode.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from pydantic import BaseModel

from simulator.scenario import LoadedScenario
from simulator.schema.run_summary import RunSummary
from simulator.schema.scenario import ProfileRef, ref_id

INPUT_COLUMNS = ("kind", "id", "name", "used_as", "overrides", "source", "as_of")
ASSUMPTION_COLUMNS = ("group", "item", "field", "value", "key", "source", "as_of")
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


def _used(loaded: LoadedScenario) -> list[tuple[str, Any, str, ProfileRef | None]]:
    """(kind, profile, used as, scenario reference) of every profile the run resolved."""
    s, world = loaded.scenario, loaded.world
    used: list[tuple[str, Any, str, ProfileRef | None]] = []
    for pool in s.cluster.pools:
        hw = world.pools[pool.name]
        used.append(("node", hw.node, f"pool {pool.name} ({pool.count} nodes)", pool.node))
        used.append(("gpu", hw.gpu, f"pool {pool.name}", None))
        if hw.scale_up is not None:
            used.append(("interconnect", hw.scale_up, "scale-up", None))
        for role, nic in hw.nics:
            used.append(("interconnect", nic, f"{role} NICs", None))
    fabric = s.cluster.fabric.interconnect
    if fabric is not None:
        used.append(("interconnect", world.fabric, "scale-out fabric", fabric))
    for spec, tier in zip(s.cluster.storage, world.storage, strict=True):
        used.append(("storage", tier.profile, f"storage ({tier.role})", spec.profile))
    used.append(("facility", world.facility, "facility", s.cluster.facility))
    for option in s.pricing.options:
        sheet = world.price_sheets[option.sheet]
        used.append(("pricing", sheet, f"price option {option.name} ({option.purchase})", None))
    for workload, model in sorted(world.models.items()):
        used.append(("model", model, f"workload {workload}", None))
    return used


def _leaves(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    """(path, value) of every scalar in `value`; lists of scalars stay one value."""
    if isinstance(value, dict):
        for key, item in value.items():
            _leaves(f"{prefix}.{key}" if prefix else str(key), item, out)
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for index, item in enumerate(value):
            _leaves(f"{prefix}[{index}]", item, out)
    else:
        out.append((prefix, value))


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def assumptions_table(loaded: LoadedScenario) -> pd.DataFrame:
    """Every value the run used, with its source and date (see the module docstring).

    Scenario rows come first, in the scenario's field order; then each profile's fields, in
    the order the run resolved them. A profile used twice (the same NIC for compute and
    storage) is listed once.
    """
    s = loaded.scenario
    rows: list[dict[str, str]] = []
    leaves: list[tuple[str, Any]] = []
    _leaves("", s.model_dump(mode="json"), leaves)
    source = f"scenario {loaded.path.name}"
    for path, value in leaves:
        item = path.split(".")[0].split("[")[0]
        rows.append(
            {
                "group": "scenario",
                "item": item,
                "field": path,
                "value": _shown(value),
                "key": path,
                "source": source,
                "as_of": "as run",
            }
        )
    seen: set[tuple[str, str]] = set()
    for kind, profile, _used_as, _ref in _used(loaded):
        ident = str(getattr(profile, "id", "") or getattr(profile, "name", ""))
        if (kind, ident) in seen or not isinstance(profile, BaseModel):
            continue
        seen.add((kind, ident))
        fields: list[tuple[str, Any]] = []
        _leaves("", profile.model_dump(mode="json"), fields)
        for path, value in fields:
            if path in ("source", "as_of", "id"):
                continue
            rows.append(
                {
                    "group": kind,
                    "item": ident,
                    "field": path,
                    "value": _shown(value),
                    "key": "",
                    "source": str(getattr(profile, "source", "") or "not given"),
                    "as_of": str(getattr(profile, "as_of", "") or "not given"),
                }
            )
    return pd.DataFrame(rows, columns=list(ASSUMPTION_COLUMNS))


def inputs_table(loaded: LoadedScenario) -> pd.DataFrame:
    """Every profile and model the scenario used, with source and date (sorted rows)."""
    rows: list[dict[str, str]] = []
    for kind, profile, used_as, ref in _used(loaded):
        rows.append(_row(kind, profile, used_as, ref))
        price = getattr(profile, "purchase_price_usd", None) if kind == "node" else None
        if price is not None:
            row = _row("node price", profile, used_as.split(" (")[0])
            row["name"] = f"{profile.name}: ${price:,.0f} per node"
            row["source"] = profile.price_source or "not given"
            rows.append(row)
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
    """The tables `infrasim run` saves for the report: `inputs`, `racks` and `assumptions`."""
    return {
        "inputs": inputs_table(loaded),
        "racks": racks_table(loaded, summary),
        "assumptions": assumptions_table(loaded),
    }
