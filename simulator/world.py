"""The World: every profile a scenario names, resolved once, and the rack layout derived once.

A scenario refers to hardware by id (with optional overrides); the engine, the cost models,
the report's provenance tables and the sweep's bounds all need the same resolved profiles.
Resolving them in each place let the copies drift (on-prem rack capex once counted nodes per
rack by its own rule, not the engine's). `World.resolve` is the one place: the loader calls it
(`load_scenario` keeps it as `LoadedScenario.world`), and everything below the CLI reads the
World, never the catalog.

Resolution reports every problem at once (`InputError` with all of them): an unknown id, an
override that breaks a profile, a node too hot for the facility's racks. The World is frozen:
the layout the engine simulates and the layout the economics bills cannot come apart later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from simulator.catalog import Catalog
from simulator.errors import InputError, Problem, problems_from_validation
from simulator.schema import NodeProfile, Profile, TransformerModel
from simulator.schema.facility import FacilityProfile
from simulator.schema.gpu import GpuProfile
from simulator.schema.interconnect import InterconnectProfile
from simulator.schema.pricing import PricingProfile
from simulator.schema.scenario import ProfileRef, Scenario, ref_id
from simulator.schema.storage import StorageProfile


class Loaded(Protocol):
    """What `World.resolve` reads of a loaded scenario (typed here, so no import cycle)."""

    scenario: Scenario
    path: Path


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def resolve_profile(
    catalog: Catalog, kind: str, ref: ProfileRef, file: str, field_name: str
) -> Profile:
    """The profile `ref` names, with its overrides applied and re-validated."""
    profile_id = ref_id(ref)
    if profile_id not in catalog.profiles[kind]:
        known = ", ".join(sorted(catalog.profiles[kind])) or "none"
        raise InputError(
            [Problem(file, field_name, f"unknown {kind} id {profile_id!r} (known: {known})")]
        )
    profile = catalog.profiles[kind][profile_id]
    if isinstance(ref, str) or not ref.overrides:
        return profile
    if "id" in ref.overrides or "kind" in ref.overrides:
        raise InputError(
            [Problem(file, f"{field_name}.overrides", "id and kind cannot be overridden")]
        )
    data = _deep_merge(profile.model_dump(), ref.overrides)
    try:
        return type(profile).model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, file, f"{field_name}.overrides")) from None


@dataclass(frozen=True)
class PoolProfiles:
    """One pool's hardware: its node (overrides applied), GPU and links."""

    name: str
    node: NodeProfile
    gpu: GpuProfile
    scale_up: InterconnectProfile | None
    """the node's NVLink-class link (None when it has none)"""
    scale_out: InterconnectProfile
    """the scenario's fabric when it names one, else the node's compute NIC"""
    nics_per_node: int
    """compute NICs of the node's first compute NIC type"""
    nics: tuple[tuple[str, InterconnectProfile], ...]
    """(role, profile) of each NIC entry of the node, in the profile's order"""


@dataclass(frozen=True)
class StorageTier:
    """A storage tier of the cluster: its profile, the capacity asked for, and its role."""

    profile: StorageProfile
    capacity_tb: float | None
    role: str


@dataclass(frozen=True)
class RackLayout:
    """How nodes sit in racks, by the one rule the engine simulates and the economics bills.

    The facility's kW per rack over the hottest node's nameplate maximum gives how many nodes
    of a rack may run at full power (`power_cap`); racks hold `cluster.nodes_per_rack` nodes
    when the scenario says so, else exactly that many.
    """

    nodes_per_rack: int
    power_cap: int
    """nodes of a rack the facility can power at full draw (before `nodes_per_rack` clamps it)"""

    @property
    def active_cap(self) -> int:
        """Nodes of one rack that may be active at once (what the engine's cluster enforces)."""
        return min(self.power_cap, self.nodes_per_rack)

    def racks(self, nodes: int) -> int:
        """Racks that `nodes` nodes fill."""
        return math.ceil(nodes / self.nodes_per_rack)


@dataclass(frozen=True)
class World:
    """A scenario's resolved hardware, facility, storage, models and price sheets."""

    pools: dict[str, PoolProfiles]
    """pool name -> its profiles, in the scenario's order"""
    fabric: InterconnectProfile | None
    """the scale-out fabric the scenario names (`cluster.fabric.interconnect`), if any"""
    facility: FacilityProfile
    storage: tuple[StorageTier, ...]
    models: dict[str, TransformerModel]
    """workload name -> its transformer shape"""
    price_sheets: dict[str, PricingProfile]
    """sheet id -> sheet, for every sheet a price option (or its burst) names"""
    sheet_node_gpus: dict[str, str]
    """node id -> GPU id, for every node a cloud sheet's instance names (as in the catalog)"""
    racks: RackLayout

    @property
    def pool_nodes(self) -> dict[str, NodeProfile]:
        """Pool name -> node profile."""
        return {name: pool.node for name, pool in self.pools.items()}

    @classmethod
    def resolve(cls, scenario: Scenario | Loaded, catalog: Catalog) -> World:
        """Resolve `scenario` against `catalog`.

        Raises:
            InputError: every problem found, not just the first.
        """
        file = "(scenario)"
        if not isinstance(scenario, Scenario):
            file, scenario = str(scenario.path), scenario.scenario
        resolution = Resolution(scenario, catalog, file)
        if resolution.problems:
            raise InputError(resolution.problems)
        return resolution.world()


@dataclass
class Resolution:
    """A scenario resolved as far as it goes: the parts found and the problems met.

    The loader runs its own checks (jobs that can never start need the pools' nodes) on the
    parts even when other references failed, so that one run reports everything.
    """

    scenario: Scenario
    catalog: Catalog
    file: str
    problems: list[Problem] = field(default_factory=list)
    pools: dict[str, PoolProfiles] = field(default_factory=dict)
    pool_nodes: dict[str, NodeProfile] = field(default_factory=dict)
    models: dict[str, TransformerModel] = field(default_factory=dict)
    storage: list[StorageTier] = field(default_factory=list)
    price_sheets: dict[str, PricingProfile] = field(default_factory=dict)
    fabric: InterconnectProfile | None = None
    facility: FacilityProfile | None = None
    racks: RackLayout | None = None

    def __post_init__(self) -> None:
        s, file = self.scenario, self.file
        for i, pool in enumerate(s.cluster.pools):
            node = self._get("node", pool.node, f"cluster.pools[{i}].node")
            if node is not None:
                self.pool_nodes[pool.name] = node
        if s.cluster.fabric.interconnect is not None:
            self.fabric = self._get(
                "interconnect", s.cluster.fabric.interconnect, "cluster.fabric.interconnect"
            )
        for i, tier in enumerate(s.cluster.storage):
            profile = self._get("storage", tier.profile, f"cluster.storage[{i}].profile")
            if profile is not None:
                self.storage.append(StorageTier(profile, tier.capacity_tb, tier.role))
        self.facility = self._get("facility", s.cluster.facility, "cluster.facility")
        workloads: tuple[tuple[str, list[Any]], ...] = (
            ("training_jobs", s.workloads.training_jobs),
            ("inference_services", s.workloads.inference_services),
        )
        for kind, jobs in workloads:
            for i, job in enumerate(jobs):
                if not isinstance(job.model, str):
                    self.models[job.name] = job.model
                    continue
                try:
                    self.models[job.name] = self.catalog.model(job.model)
                except InputError as exc:
                    where = f"workloads.{kind}[{i}].model"
                    self.problems.append(Problem(file, where, exc.problems[0].message))
        for option in s.pricing.options:
            for sheet_id in (option.sheet, option.burst.sheet if option.burst else None):
                if sheet_id in self.catalog.profiles["pricing"]:
                    self.price_sheets[sheet_id] = self.catalog.pricing(sheet_id)
        for pool in s.cluster.pools:
            if pool.name in self.pool_nodes:
                self._pool(pool.name, self.pool_nodes[pool.name])
        if self.facility is not None and len(self.pool_nodes) == len(s.cluster.pools):
            self.racks = self._racks(self.facility)

    def _get(self, kind: str, ref: ProfileRef, where: str) -> Any:
        try:
            return resolve_profile(self.catalog, kind, ref, self.file, where)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return None

    def _pool(self, name: str, node: NodeProfile) -> None:
        catalog = self.catalog
        try:
            nic, count = catalog.scale_out_nic(node)
            self.pools[name] = PoolProfiles(
                name=name,
                node=node,
                gpu=catalog.gpu(node.gpu),
                scale_up=catalog.interconnect(node.scale_up) if node.scale_up else None,
                scale_out=self.fabric or nic,
                nics_per_node=count,
                nics=tuple((n.role, catalog.interconnect(n.interconnect)) for n in node.nics),
            )
        except InputError as exc:  # an override naming a GPU or link the catalog lacks
            self.problems.extend(exc.problems)

    def _racks(self, facility: FacilityProfile) -> RackLayout | None:
        max_node_w = max(node.max_power_w for node in self.pool_nodes.values())
        power_cap = math.floor(facility.max_kw_per_rack * 1000.0 / max_node_w + 1e-9)
        if power_cap < 1:
            self.problems.append(
                Problem(
                    self.file,
                    "cluster.facility",
                    f"a node draws up to {max_node_w / 1000:g} kW, more than the facility's "
                    f"{facility.max_kw_per_rack:g} kW per rack ({facility.cooling} cooling)",
                )
            )
            return None
        return RackLayout(self.scenario.cluster.nodes_per_rack or power_cap, power_cap)

    def world(self) -> World:
        """The World, once there are no problems."""
        assert not self.problems and self.facility is not None and self.racks is not None
        nodes = self.catalog.profiles["node"]
        sheet_node_gpus = {
            x.node: nodes[x.node].gpu  # type: ignore[attr-defined]
            for sheet in self.price_sheets.values()
            if sheet.cloud is not None
            for x in sheet.cloud.instances
            if x.node in nodes
        }
        return World(
            pools=self.pools,
            fabric=self.fabric,
            facility=self.facility,
            storage=tuple(self.storage),
            models=self.models,
            price_sheets=self.price_sheets,
            sheet_node_gpus=sheet_node_gpus,
            racks=self.racks,
        )
