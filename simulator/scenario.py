"""Load a scenario file: parse, validate, and resolve every profile it references.

Schema checks catch wrong types and unknown keys; this module adds what needs the catalog:
dangling ids, overrides that break a profile, jobs bigger than their pool, missing trace files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.catalog import Catalog
from simulator.errors import InputError, Problem, problems_from_validation
from simulator.schema import NodeProfile, Profile, TransformerModel
from simulator.schema.scenario import ProfileRef, Scenario, ref_id
from simulator.yaml_io import read_yaml


@dataclass
class LoadedScenario:
    """A validated scenario with its profiles resolved (overrides applied)."""

    scenario: Scenario
    path: Path
    catalog: Catalog
    pool_nodes: dict[str, NodeProfile] = field(default_factory=dict)
    models: dict[str, TransformerModel] = field(default_factory=dict)

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
            [
                Problem(
                    file,
                    field_name,
                    f"unknown {kind} id {profile_id!r} (known: {known})",
                )
            ]
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


def apply_settings(data: Any, settings: list[str], origin: str) -> Any:
    """Apply `--set a.b.c=value` overrides (values parsed as YAML scalars) to raw data."""
    from simulator.yaml_io import parse_yaml_text

    if not isinstance(data, dict):
        return data
    for setting in settings:
        key, sep, raw = setting.partition("=")
        if not sep or not key.strip():
            raise InputError([Problem("--set", setting, "expected key.path=value")])
        value = parse_yaml_text(raw, f"--set {key}")
        node: Any = data
        parts = key.strip().split(".")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not re.fullmatch("[0-9]{1,9}", part) or int(part) >= len(node):
                    raise InputError([Problem(origin, key, f"no list item {part!r}")])
                index = int(part)
                if last:
                    node[index] = value
                else:
                    node = node[index]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, {})
            else:
                raise InputError([Problem(origin, key, f"{part!r} is inside a scalar value")])
    return data


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
    path = Path(path)
    catalog = catalog or Catalog.load()
    data = apply_settings(read_yaml(path), settings or [], str(path))
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "(document)", "expected a mapping of fields")])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, path)) from None
    loaded = LoadedScenario(scenario=scenario, path=path, catalog=catalog)
    problems = _apply_calibration(loaded, calibration)
    problems += _resolve(loaded)
    if problems:
        raise InputError(problems)
    return loaded


def _apply_calibration(loaded: LoadedScenario, override: str | Path | None) -> list[Problem]:
    """Swap in the catalog with the calibration overlay applied; problems if it fails."""
    field_value = loaded.scenario.calibration
    if override is None and field_value is None:
        return []
    if override is not None:
        cal_path = Path(override)
    else:
        assert field_value is not None
        cal_path = loaded.resolve_path(field_value, "calibration")
        if not cal_path.is_file():
            return [
                Problem(
                    str(loaded.path), "calibration", f"calibration file not found: {field_value}"
                )
            ]
    try:
        loaded.catalog = loaded.catalog.with_calibration(cal_path)
    except InputError as exc:
        return list(exc.problems)
    return []


def _collect(problems: list[Problem], fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def _resolve(loaded: LoadedScenario) -> list[Problem]:
    s, catalog, file = loaded.scenario, loaded.catalog, str(loaded.path)
    problems: list[Problem] = []
    for i, pool in enumerate(s.cluster.pools):
        node = _collect(
            problems,
            resolve_profile,
            catalog,
            "node",
            pool.node,
            file,
            f"cluster.pools[{i}].node",
        )
        if node is not None:
            loaded.pool_nodes[pool.name] = node
    if s.cluster.fabric.interconnect is not None:
        _collect(
            problems,
            resolve_profile,
            catalog,
            "interconnect",
            s.cluster.fabric.interconnect,
            file,
            "cluster.fabric.interconnect",
        )
    storage_ids = set()
    for i, tier in enumerate(s.cluster.storage):
        _collect(
            problems,
            resolve_profile,
            catalog,
            "storage",
            tier.profile,
            file,
            f"cluster.storage[{i}].profile",
        )
        storage_ids.add(ref_id(tier.profile))
    _collect(
        problems,
        resolve_profile,
        catalog,
        "facility",
        s.cluster.facility,
        file,
        "cluster.facility",
    )

    for kind, jobs in (
        ("training_jobs", s.workloads.training_jobs),
        ("inference_services", s.workloads.inference_services),
    ):
        for i, job in enumerate(jobs):
            where = f"workloads.{kind}[{i}]"
            if isinstance(job.model, str):
                model = _collect(problems, catalog.model, job.model)
                if model is None:
                    problems[-1] = Problem(file, f"{where}.model", problems[-1].message)
                else:
                    loaded.models[job.name] = model
            else:
                loaded.models[job.name] = job.model
            gpus = job.num_gpus if kind == "training_jobs" else job.tp * job.pp  # type: ignore[union-attr]
            available = _pool_gpus(loaded, job.pool)
            if loaded.pool_nodes and gpus > available:
                problems.append(
                    Problem(
                        file,
                        f"{where}",
                        f"needs {gpus} GPUs but its pool has {available}",
                    )
                )
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
        if not loaded.resolve_path(trace.path, f"workloads.job_traces[{i}].path").is_file():
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
        if tp is not None and not loaded.resolve_path(tp, where).is_file():
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
    if trace is not None and not loaded.resolve_path(trace, "pricing.carbon_trace_path").is_file():
        problems.append(
            Problem(file, "pricing.carbon_trace_path", f"carbon trace not found: {trace}")
        )
    return problems


def _pool_gpus(loaded: LoadedScenario, pool_name: str | None) -> int:
    pools = [p for p in loaded.scenario.cluster.pools if pool_name in (None, p.name)]
    return sum(
        p.count * loaded.pool_nodes[p.name].gpus_per_node
        for p in pools
        if p.name in loaded.pool_nodes
    )


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
        if option.purchase != "owned":
            return [
                Problem(
                    file,
                    f"{where}.purchase",
                    "an onprem sheet is bought outright: "
                    f"expected 'owned' (got {option.purchase!r})",
                )
            ]
        return []
    if option.purchase == "owned":
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
