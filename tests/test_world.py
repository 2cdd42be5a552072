"""The World: a scenario's profiles resolved once, every problem reported together, frozen.

Below the CLI nothing reads the catalog once a scenario is loaded: the engine, the cost models,
the report's provenance tables and the sweep's bounds read `LoadedScenario.world`. The rack
layout is derived there once, so the racks the engine simulates are the racks on-prem bills.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import simulator.world as world_module
from simulator.catalog import Catalog
from simulator.economics import attach_costs
from simulator.economics.fleet import cohorts
from simulator.economics.onprem import cohort_capex
from simulator.engine import Simulation
from simulator.errors import InputError
from simulator.report.provenance import input_tables
from simulator.results import simulate
from simulator.scenario import load_scenario
from simulator.schema.pricing import CapexLine
from simulator.schema.scenario import Scenario
from simulator.sweep.bounds import analytical_bounds
from simulator.world import World
from simulator.yaml_io import read_yaml

PRETRAIN = Path(__file__).resolve().parents[1] / "scenarios" / "llama3-70b-pretrain-h100.yaml"
SHORT = ["horizon_days=3"]


class NoCatalog:
    """Stands in for the catalog after loading: any use of it is a second resolution."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"catalog.{name} read after the scenario was loaded")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_profiles_resolve_once_at_load(catalog: Catalog, monkeypatch) -> None:
    calls = {"resolve": 0, "get": 0}
    resolve, get = world_module.resolve_profile, Catalog.get

    def counting_resolve(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["resolve"] += 1
        return resolve(*args, **kwargs)

    def counting_get(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls["get"] += 1
        return get(self, *args, **kwargs)

    monkeypatch.setattr(world_module, "resolve_profile", counting_resolve)
    monkeypatch.setattr(Catalog, "get", counting_get)
    loaded = load_scenario(PRETRAIN, catalog, SHORT)
    # pools, fabric, storage tiers, facility: one resolution each
    assert calls["resolve"] == 4
    at_load = dict(calls)

    loaded = dataclasses.replace(loaded, catalog=NoCatalog())  # type: ignore[arg-type]
    Simulation(loaded)
    results = simulate(loaded)
    attach_costs(loaded, results)  # spot and hybrid options simulate worlds of their own
    input_tables(loaded, results.summary)
    analytical_bounds(loaded)
    assert calls == at_load


def test_every_problem_is_reported_at_once(catalog: Catalog) -> None:
    data = read_yaml(PRETRAIN)
    data["cluster"]["pools"][0]["node"] = "no-such-node"
    data["cluster"]["fabric"]["interconnect"] = "no-such-link"
    data["cluster"]["storage"][0]["profile"] = {"id": "parallel-fs", "overrides": {"id": "x"}}
    data["cluster"]["facility"] = "no-such-hall"
    data["workloads"]["training_jobs"][0]["model"] = "no-such-model"
    with pytest.raises(InputError) as info:
        World.resolve(Scenario.model_validate(data), catalog)
    fields = [p.field for p in info.value.problems]
    assert fields == [
        "cluster.pools[0].node",
        "cluster.fabric.interconnect",
        "cluster.storage[0].profile.overrides",
        "cluster.facility",
        "workloads.training_jobs[0].model",
    ]


def test_a_node_too_hot_for_its_rack_is_refused_at_load(catalog: Catalog, tmp_path) -> None:
    settings = ['cluster.facility={"id": "air-cooled-colo", "overrides": {"max_kw_per_rack": 5}}']
    with pytest.raises(InputError) as info:
        load_scenario(PRETRAIN, catalog, settings)
    (problem,) = info.value.problems
    assert problem.field == "cluster.facility" and "5 kW per rack" in problem.message


def test_rack_layout_agrees_between_engine_and_economics(catalog: Catalog) -> None:
    # 128.7 kW / 14.3 kW is 8.999999999999998 in floating point: a rule of its own (without
    # the engine's tolerance) billed racks of 8 nodes while the engine simulated racks of 9
    settings = [
        *SHORT,
        'cluster.pools[0].node={"id": "dgx-h100", "overrides": {"max_power_w": 14300}}',
        'cluster.facility={"id": "air-cooled-colo", "overrides": {"max_kw_per_rack": 128.7}}',
    ]
    loaded = load_scenario(PRETRAIN, catalog, settings)
    racks = loaded.world.racks
    assert (racks.nodes_per_rack, racks.power_cap) == (9, 9)
    sim = Simulation(loaded)
    assert (sim.cluster.nodes_per_rack, sim.cluster.rack_cap) == (9, racks.active_cap)

    sheet = loaded.world.price_sheets["onprem-hgx-h100"].onprem
    assert sheet is not None
    sheet = sheet.model_copy(update={"capex": [CapexLine(item="rack", usd=1.0, per="rack")]})
    fleet = cohorts(loaded)
    billed = sum(
        cohort_capex(loaded, sheet, c, i == 0, "pricing.options[4]", [])["facility"]
        for i, c in enumerate(fleet)
    )
    assert billed == len(sim.cluster.rack_nodes) == 15  # 132 nodes, 9 to a rack


def test_world_is_frozen(catalog: Catalog) -> None:
    loaded = load_scenario(PRETRAIN, catalog, SHORT)
    world = loaded.world
    with pytest.raises(dataclasses.FrozenInstanceError):
        world.facility = world.facility  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        world.racks.nodes_per_rack = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        world.pools["h100"].node = world.pools["h100"].node  # type: ignore[misc]
    assert World.resolve(loaded, catalog) == world  # the same World from the loaded scenario
