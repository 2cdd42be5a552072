"""Load a scenario file: parse, validate, and resolve it once into its World (`world.py`).

Schema checks catch wrong types and unknown keys; the World's resolution catches dangling
ids, overrides that break a profile and nodes too hot for their racks; this module adds the
rest: jobs that can never start (more GPUs than their pool will ever hand out, hot spares and
build-out counted), checkpoint tiers, missing trace files, price options their sheet cannot
price. It also reads
`--set` overrides (`apply_settings`, from `scenario_settings.py`, re-exported here).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.catalog import Catalog
from simulator.errors import InputError, Problem, problems_from_validation
from simulator.paths import scenario_path
from simulator.scenario_settings import Part, apply_settings, dotted, parse_path  # noqa: F401
from simulator.schema import NodeProfile, TransformerModel
from simulator.schema.placement import PlacementParams, hot_spares
from simulator.schema.scenario import Scenario, ref_id
from simulator.world import Resolution, World
from simulator.yaml_io import read_yaml


@dataclass
class LoadedScenario:
    """A validated scenario and its World: the profiles it names, resolved once.

    `catalog` stays for the CLI (estimates by catalog id); nothing below the CLI reads it.
    """

    scenario: Scenario
    path: Path
    catalog: Catalog
    world: World
    overrides: tuple[str, ...] = ()
    """the `--set` strings applied on loading, in order (recorded in the run's provenance)"""

    @property
    def pool_nodes(self) -> dict[str, NodeProfile]:
        """Pool name -> its node profile (overrides applied)."""
        return self.world.pool_nodes

    @property
    def models(self) -> dict[str, TransformerModel]:
        """Workload name -> its transformer shape."""
        return self.world.models

    def resolve_path(self, relative: str, field_name: str = "") -> Path:
        """A file the scenario names (trace, calibration): see `scenario_file_path`.

        Raises:
            InputError: the path breaks the rule, naming `field_name`.
        """
        return scenario_file_path(self.path, relative, field_name)

    @property
    def total_gpus(self) -> int:
        """GPUs across all pools."""
        return sum(
            pool.count * self.pool_nodes[pool.name].gpus_per_node
            for pool in self.scenario.cluster.pools
        )


MAX_PATH_BYTES = 4096
"""Longer paths are refused up front rather than failing inside the OS (ENAMETOOLONG)."""


def scenario_file_path(scenario: Path, named: str, field_name: str = "") -> Path:
    """Where a path written in scenario file `scenario` points, by the one rule for them all.

    A relative path is read relative to the scenario file's directory and must stay inside
    it: `traces/a.csv` is fine, `../../home/me/.ssh/id_rsa` is refused, so a scenario
    shared with you cannot make infrasim read (and echo in error messages) files beside it.
    An absolute path is taken as written: its author named that exact file on purpose.
    Symbolic links inside the directory are followed (they are the reader's own doing).

    Raises:
        InputError: the path escapes, is empty, holds a NUL byte, or is too long.
    """

    def refuse(why: str) -> InputError:
        shown = repr(named if len(named) <= 80 else named[:77] + "...")
        return InputError([Problem(str(scenario), field_name or "(path)", f"{why}: {shown}")])

    if not named or "\0" in named:
        raise refuse("not a usable file name")
    try:
        encoded = os.fsencode(named)
    except UnicodeError:
        raise refuse("not a usable file name") from None
    if len(encoded) > MAX_PATH_BYTES or any(len(p) > 255 for p in encoded.split(b"/")):
        raise refuse(f"path is too long (at most {MAX_PATH_BYTES} bytes, 255 per name)")
    candidate = Path(named)
    if candidate.is_absolute():
        return candidate
    if os.path.normpath(named).split(os.sep)[0] == os.pardir:
        raise refuse(
            "a relative path must stay inside the scenario's directory (no '..' out of it); "
            "give an absolute path to read a file elsewhere"
        )
    return scenario.parent / candidate


def load_scenario(
    path: str | Path,
    catalog: Catalog | None = None,
    settings: list[str] | None = None,
    calibration: str | Path | None = None,
) -> LoadedScenario:
    """Read, validate and resolve a scenario file; raise InputError listing every problem.

    The scenario's `calibration:` file (relative to the scenario) is laid over the catalog
    before profiles resolve; `calibration` (relative to the working directory, e.g. from
    `infrasim run --calibration`) replaces that field.
    """
    path = scenario_path(path)
    catalog = catalog or Catalog.load()
    data = apply_settings(read_yaml(path), settings or [], str(path))
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "(document)", "expected a mapping of fields")])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, path)) from None
    catalog, problems = _apply_calibration(scenario, path, catalog, calibration)
    resolution = Resolution(scenario, catalog, str(path))  # the World, as far as it goes
    problems += resolution.problems + _checks(scenario, path, resolution)
    if problems:
        raise InputError(problems)
    return LoadedScenario(scenario, path, catalog, resolution.world(), tuple(settings or ()))


def _apply_calibration(
    s: Scenario, path: Path, catalog: Catalog, override: str | Path | None
) -> tuple[Catalog, list[Problem]]:
    """The catalog with the calibration overlay applied; problems if it fails."""
    field_value = s.calibration
    if override is None and field_value is None:
        return catalog, []
    if override is not None:
        cal_path = Path(override)
    else:
        assert field_value is not None
        cal_path = scenario_file_path(path, field_value, "calibration")
        if not cal_path.is_file():
            problem = Problem(
                str(path), "calibration", f"calibration file not found: {field_value}"
            )
            return catalog, [problem]
    try:
        return catalog.with_calibration(cal_path), []
    except InputError as exc:
        return catalog, list(exc.problems)


def _checks(s: Scenario, path: Path, resolution: Resolution) -> list[Problem]:
    """What needs more than the profiles: jobs that never start, tiers, files, price options."""
    catalog, file = resolution.catalog, str(path)
    problems: list[Problem] = []
    storage_ids = {ref_id(tier.profile) for tier in s.cluster.storage}
    if len(resolution.pool_nodes) == len(s.cluster.pools):
        problems += never_startable(s, file, resolution.pool_nodes)
    for i, job in enumerate(s.workloads.training_jobs):
        tier = job.checkpoint.storage
        if tier is not None and tier not in storage_ids:
            problems.append(
                Problem(
                    file,
                    f"workloads.training_jobs[{i}].checkpoint.storage",
                    f"{tier!r} is not a storage tier of the cluster "
                    f"(have: {sorted(storage_ids) or 'none'})",
                )
            )
    for i, trace in enumerate(s.workloads.job_traces):
        if not scenario_file_path(path, trace.path, f"workloads.job_traces[{i}].path").is_file():
            problems.append(
                Problem(
                    file,
                    f"workloads.job_traces[{i}].path",
                    f"trace file not found: {trace.path}",
                )
            )
    for i, service in enumerate(s.workloads.inference_services):
        tp = service.traffic.trace_path
        where = f"workloads.inference_services[{i}].traffic.trace_path"
        if tp is not None and not scenario_file_path(path, tp, where).is_file():
            problems.append(
                Problem(
                    file,
                    f"workloads.inference_services[{i}].traffic.trace_path",
                    f"trace file not found: {tp}",
                )
            )
    for i, option in enumerate(s.pricing.options):
        problems += _price_option_problems(catalog, option, file, f"pricing.options[{i}]")
        if option.burst is not None:
            problems += _price_option_problems(
                catalog, option.burst, file, f"pricing.options[{i}].burst"
            )
    trace = s.pricing.carbon_trace_path
    if (
        trace is not None
        and not scenario_file_path(path, trace, "pricing.carbon_trace_path").is_file()
    ):
        problems.append(
            Problem(file, "pricing.carbon_trace_path", f"carbon trace not found: {trace}")
        )
    return problems


@dataclass(frozen=True)
class PoolCapacity:
    """The most one pool can give a single job during a run, by the engine's own rules.

    The engine builds a pool at its final size (build-out included), holds `hot_spares` of
    it back for failed nodes (never for new work), and commissions build-out nodes on their
    in-service date if that falls before the horizon. A job runs inside one pool, on whole
    nodes plus at most one partial node, so the usable GPUs bound what it can ever get.
    """

    name: str
    gpus_per_node: int
    nodes: int
    """nodes the pool is built with: its count plus every build-out step"""
    spares: int
    """of those, held back as hot spares (`policies.placement.params.spare_nodes_per_pool`)"""
    late: int
    """build-out nodes that would enter service only after the horizon"""

    @property
    def total_gpus(self) -> int:
        """GPUs of every node built (what the engine rejects a larger job against)."""
        return self.nodes * self.gpus_per_node

    @property
    def usable_gpus(self) -> int:
        """GPUs of the nodes a new job may be placed on at some point of the run."""
        return max(0, self.nodes - self.spares - self.late) * self.gpus_per_node

    def held_back(self) -> str:
        """What of the pool a job cannot have, in words ('' when nothing is held back)."""
        held = []
        if self.spares:
            held.append(
                f"{self.spares} of them held back as hot spares by "
                "policies.placement.params.spare_nodes_per_pool"
            )
        if self.late:
            held.append(f"{self.late} entering service only after the horizon (cluster.build_out)")
        return "".join(f", {h}" for h in held)


def pool_capacities(loaded: LoadedScenario) -> list[PoolCapacity]:
    """Every pool's `PoolCapacity`, in the scenario's order."""
    return _capacities(loaded.scenario, loaded.pool_nodes)


def _capacities(s: Scenario, pool_nodes: dict[str, NodeProfile]) -> list[PoolCapacity]:
    spare = _spare_nodes_per_pool(s)
    horizon_s = s.horizon_days * 86400.0
    capacities = []
    for pool in s.cluster.pools:
        node = pool_nodes.get(pool.name)
        if node is None:
            continue
        steps = [step for step in s.cluster.build_out if step.pool == pool.name]
        added = sum(step.nodes for step in steps)
        on_time = sum(step.nodes for step in steps if step.in_service_s < horizon_s)
        nodes = pool.count + added
        spares = hot_spares(spare, nodes)
        # build-out withdraws nodes that are not spares, so at most nodes - spares wait
        late = max(0, min(added, nodes - spares) - on_time)
        capacities.append(PoolCapacity(pool.name, node.gpus_per_node, nodes, spares, late))
    return capacities


def _spare_nodes_per_pool(s: Scenario) -> int:
    """The hot spares asked for, read by the placement policies' own parameter model; 0 when
    the value is invalid (the engine then refuses the parameters, naming the field)."""
    params = s.policies.placement.params
    common = {k: v for k, v in params.items() if k in PlacementParams.model_fields}
    try:
        return PlacementParams.model_validate(common).spare_nodes_per_pool
    except ValidationError:
        return 0


def never_startable(s: Scenario, file: str, pool_nodes: dict[str, NodeProfile]) -> list[Problem]:
    """A problem for each job that needs more GPUs than any pool it may run in can give.

    Such a job would wait in the queue for the whole run (and in FIFO order, so would every
    job behind it), and its "results" would be a bill for nothing. A job allowed to burst to
    the cloud (`cluster.burst`, not `onprem_only`) does start there once it has waited, so
    only the pool's full size bounds it, as the engine's rejection of oversized jobs does.
    """
    capacities = _capacities(s, pool_nodes)
    bursts = s.cluster.burst is not None
    problems = []

    def check(where: str, what: str, gpus: int, pool: str | None, may_burst: bool) -> None:
        pools = [c for c in capacities if pool in (None, c.name)]
        why = _short_of(what, gpus, pools, bursts and may_burst)
        if why is not None:
            problems.append(Problem(file, where, why))

    for i, job in enumerate(s.workloads.training_jobs):
        where = f"workloads.training_jobs[{i}]"
        check(where, f"training job {job.name!r}", job.num_gpus, job.pool, not job.onprem_only)
    for i, svc in enumerate(s.workloads.inference_services):
        where = f"workloads.inference_services[{i}]"
        check(where, f"a replica of service {svc.name!r}", svc.tp * svc.pp, svc.pool, False)
    for i, synthetic in enumerate(s.workloads.synthetic_jobs):
        for k, gpus in enumerate(synthetic.gpus_per_job):
            where = f"workloads.synthetic_jobs[{i}].gpus_per_job[{k}]"
            what = f"a {gpus}-GPU job of {synthetic.name!r}"
            check(where, what, gpus, None, True)
    return problems


def _short_of(what: str, gpus: int, pools: list[PoolCapacity], bursts: bool) -> str | None:
    """Why `what`, needing `gpus` GPUs, can never start in any of `pools`; None if it can."""
    if not pools:
        return None

    def limit(c: PoolCapacity) -> int:
        return c.total_gpus if bursts else c.usable_gpus

    best = max(pools, key=limit)
    if gpus <= limit(best):
        return None
    whose = "its pool" if len(pools) == 1 else "its largest pool"
    has = f"{best.total_gpus}"
    if limit(best) < best.total_gpus:
        has += f", of which {limit(best)} usable"
    inside = "" if len(pools) == 1 else "a job runs inside one pool; "
    held = "" if bursts else best.held_back()
    return (
        f"{what} can never start: needs {gpus} GPUs but {whose} has {has} ({inside}pool "
        f"{best.name!r}: {_nodes(best.nodes)} of {best.gpus_per_node} GPUs{held}; the job needs "
        f"{_nodes(math.ceil(gpus / best.gpus_per_node))})"
    )


def _nodes(count: int) -> str:
    return f"{count} node" if count == 1 else f"{count} nodes"


def _price_option_problems(catalog: Catalog, option: Any, file: str, where: str) -> list[Problem]:
    sheet = catalog.profiles["pricing"].get(option.sheet)
    if sheet is None:
        known = ", ".join(sorted(catalog.profiles["pricing"])) or "none"
        return [
            Problem(
                file,
                f"{where}.sheet",
                f"unknown pricing id {option.sheet!r} (known: {known})",
            )
        ]
    if sheet.sheet == "onprem":  # type: ignore[attr-defined]
        if option.purchase not in ("owned", "colocation"):
            return [
                Problem(
                    file,
                    f"{where}.purchase",
                    "an onprem sheet is bought outright: "
                    f"expected 'owned' or 'colocation' (got {option.purchase!r})",
                )
            ]
        return []
    if option.purchase in ("owned", "colocation"):
        return [
            Problem(
                file,
                f"{where}.purchase",
                "a cloud sheet is rented: expected on_demand, reserved_1yr, reserved_3yr, "
                "spot or capacity_block",
            )
        ]
    instances = sheet.cloud.instances  # type: ignore[attr-defined]
    if option.instance_type is not None:
        instances = [x for x in instances if x.instance_type == option.instance_type]
        if not instances:
            types = ", ".join(x.instance_type for x in sheet.cloud.instances)  # type: ignore[attr-defined]
            return [
                Problem(
                    file,
                    f"{where}.instance_type",
                    f"{option.instance_type!r} not in sheet {option.sheet!r} (has: {types})",
                )
            ]
    if all(x.usd_per_gpu_hour(option.purchase) is None for x in instances):
        return [
            Problem(
                file,
                f"{where}.purchase",
                f"sheet {option.sheet!r} has no {option.purchase} price for these instances",
            )
        ]
    return []
